/**
 * Which fields of a post still in flight a NEWER, already acknowledged post to the same RIC has overwritten at
 * the server — what the re-send policy must not send again after a reconnect (resend-policy.ts: the
 * RIC's final value must be the last one contributed).
 *
 * Cheap on the hot path. PostIDs are consecutive per connection and Acks normally arrive in PostID order: then
 * no post in flight is older than an acknowledged one, and the only work per Ack is one in-flight look-up to
 * move a low-water mark. Only an Ack that overtakes an older post still in flight (its Ack lost or late) makes
 * the ledger look further: each PostID below it is examined once, the older posts still in flight are marked
 * "overtaken", and from then on positive Acks to the RICs of overtaken posts record, per field, the newest
 * PostID that acknowledged it (one `JSON.parse` of those posts' fields). A RIC's record goes as soon as its
 * last overtaken post settles, so memory is bounded by the posts in flight and the fields of their RICs.
 */
import type { PostEntry } from "./post-entry.js";

/** The posts in flight by PostID (the AckTracker). */
export interface InFlightLookup {
  get(postId: number): PostEntry | undefined;
}

/** One RIC with overtaken posts in flight. */
interface LedgerRicRecord {
  readonly ric: string;
  /** Overtaken posts to this RIC still in flight. */
  overtaken: number;
  /** Field name → newest PostID of a positively acknowledged post to this RIC carrying it. */
  readonly ackedBy: Map<string, number>;
}

/** Per connection: the acknowledged fields that newer posts hold over older posts still in flight. */
export class SupersessionLedger {
  readonly #inFlight: InFlightLookup;
  /** Every PostID below this has left flight (moved lazily, on Acks). */
  #lowWater = 1;
  /** Every PostID below this was examined for being overtaken. */
  #examined = 1;
  /** PostID of an overtaken post in flight → the record of its RIC. */
  readonly #overtaken = new Map<number, LedgerRicRecord>();
  readonly #byRic = new Map<string, LedgerRicRecord>();

  /** @param inFlight the posts in flight; the ledger only reads it. */
  constructor(inFlight: InFlightLookup) {
    this.#inFlight = inFlight;
  }

  /** RICs with overtaken posts in flight (for tests and diagnostics). */
  get trackedRics(): number {
    return this.#byRic.size;
  }

  /**
   * A post left flight (Ack, Nak, matched Error or Ack timeout), already taken from the in-flight posts.
   * `acked`: it was positively acknowledged, so the server holds its fields.
   */
  settled(entry: PostEntry, acked: boolean): void {
    const postId = entry.postId;
    if (this.#overtaken.size > 0) this.#release(postId);
    if (!acked) return;
    let lowWater = this.#lowWater;
    while (lowWater < postId && this.#inFlight.get(lowWater) === undefined) lowWater += 1;
    this.#lowWater = lowWater;
    if (lowWater < postId) this.#markOvertaken(lowWater, postId);
    if (this.#byRic.size === 0) return;
    const record = this.#byRic.get(entry.ric);
    if (record !== undefined) this.#record(record, entry);
  }

  /**
   * The fields of `entry` (in flight, or just lost with its connection) that a newer, positively acknowledged
   * post to its RIC carried; undefined when there are none.
   */
  coveredFields(entry: PostEntry): Set<string> | undefined {
    const record = this.#byRic.get(entry.ric);
    if (record === undefined) return undefined;
    let covered: Set<string> | undefined;
    for (const [field, postId] of record.ackedBy) {
      if (postId > entry.postId) (covered ??= new Set()).add(field);
    }
    return covered;
  }

  /** Forgets everything: the connection is gone (PostIDs start again at 1 on the next one). */
  reset(): void {
    this.#lowWater = 1;
    this.#examined = 1;
    this.#overtaken.clear();
    this.#byRic.clear();
  }

  /** Marks the posts in flight with PostIDs in [from, below) not examined before. */
  #markOvertaken(from: number, below: number): void {
    for (let postId = Math.max(from, this.#examined); postId < below; postId++) {
      const entry = this.#inFlight.get(postId);
      if (entry === undefined) continue;
      let record = this.#byRic.get(entry.ric);
      if (record === undefined) {
        record = { ric: entry.ric, overtaken: 0, ackedBy: new Map() };
        this.#byRic.set(entry.ric, record);
      }
      record.overtaken += 1;
      this.#overtaken.set(postId, record);
    }
    if (below > this.#examined) this.#examined = below;
  }

  #release(postId: number): void {
    const record = this.#overtaken.get(postId);
    if (record === undefined) return;
    this.#overtaken.delete(postId);
    record.overtaken -= 1;
    // No older post to the RIC is in flight any more: newer Acks to it cannot overwrite anything re-sent.
    if (record.overtaken === 0) this.#byRic.delete(record.ric);
  }

  #record(record: LedgerRicRecord, entry: PostEntry): void {
    for (const field of Object.keys(JSON.parse(entry.fieldsJson) as object)) {
      if ((record.ackedBy.get(field) ?? 0) < entry.postId) record.ackedBy.set(field, entry.postId);
    }
  }
}
