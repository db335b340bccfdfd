/**
 * One account's way from the outbox to RCC: reads the account's pending items in acceptance order, hands
 * them to its Contributor (which paces, batches, re-sends across reconnects and settles each post once), and
 * records each outcome in the outbox before anyone is told (docs/gateway.md, "From the outbox to RCC").
 *
 * An item whose answer was lost — its Ack timed out, its connection ended for good, or the gateway stopped
 * or died while it was on the wire — goes back to the outbox's `accepted` state and is sent again (at least
 * once towards RCC), up to `maxAttempts` times. Before such a re-send, the fields that a newer item of the
 * same RIC carries (one acknowledged, or one on its way) are left out, so a re-send never overwrites a newer
 * value; an item left with no field is `superseded` (the rule the client applies within a connection).
 */
import {
  AckTimeoutError,
  type Ack,
  ConnectionLostError,
  ContentError,
  type Contributor,
  type Logger,
  NakError,
  SessionClosedError,
  SupersededError,
} from "../index.js";
import type { ConflationMerge, Outbox, Settlement, StoredFields, StoredItem } from "./outbox/outbox.js";
import { settledView } from "./outbox/outbox-rows.js";

/** Options of {@link AccountDispatcher}. */
export interface DispatcherOptions {
  /** The account's name (items carry it). */
  account: string;
  /** Posts the items: the account's Contributor. */
  contributor: Pick<Contributor, "contribute" | "state">;
  outbox: Outbox;
  /** Wall clock, epoch milliseconds (what the outbox records). */
  now: () => number;
  log: Logger;
  /** Items handed to the contributor and not yet settled, at most. @default 2000 */
  maxHanded?: number;
  /** Sendings of one item whose answers were all lost before it is `failed`. @default 5 */
  maxAttempts?: number;
  /**
   * Merge items of one RIC still waiting in the outbox into the newest of them before sending (the older ones
   * become `conflated`): a backlog after an outage sends each RIC's latest values once. @default false
   */
  conflate?: boolean;
  /** Called with the ids that reached a final state, once that is durable. */
  onSettled?: (items: readonly StoredItem[]) => void;
}

/** Items read from the outbox per look. */
const PAGE = 500;

interface Handed {
  item: StoredItem;
  /** The fields actually posted (fewer than the item's when a re-send left covered ones out). */
  fields: StoredFields;
}

/** Sends one account's items and records their outcomes. */
export class AccountDispatcher {
  readonly #options: Required<Omit<DispatcherOptions, "onSettled">> & Pick<DispatcherOptions, "onSettled">;
  /** Items with the contributor, by id. */
  readonly #handed = new Map<string, Handed>();
  /** The same, by RIC, for the re-send rule. */
  readonly #handedByRic = new Map<string, Set<Handed>>();
  /** Items are read from the outbox after this seq; lowered when an item goes back to `accepted`. */
  #cursor = 0;
  /** Outcomes of this synchronous run, written to the outbox together (#flushSettles). */
  #settling: { item: StoredItem; settlement: Settlement }[] = [];
  /** Items being merged (their conflation not yet durable): not handed over meanwhile. */
  readonly #conflating = new Set<string>();
  #pumpScheduled = false;
  #stopped = false;

  constructor(options: DispatcherOptions) {
    this.#options = { maxHanded: 2000, maxAttempts: 5, conflate: false, ...options };
  }

  /** Items with the contributor now. */
  get handed(): number {
    return this.#handed.size;
  }

  /**
   * Starts sending: items left `sent` by an earlier run (their answers were lost with it) go back to
   * `accepted` first, so they are sent again in order.
   */
  async start(): Promise<void> {
    const unanswered = this.#options.outbox.unanswered(this.#options.account);
    if (unanswered.length > 0) {
      await this.#options.outbox.markUnsent(unanswered.map((item) => item.id));
      this.#options.log.info(
        { account: this.#options.account, items: unanswered.length },
        "items sent before a restart have no recorded answer: sending them again",
      );
    }
    this.wake();
  }

  /** New items were stored for this account: look for them on the next turn. */
  wake(): void {
    if (this.#pumpScheduled || this.#stopped) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /**
   * An item at `seq` became pending behind the items already read (in cluster mode, an item delivered again
   * after newer ones were delivered): read again from there.
   */
  rewind(seq: number): void {
    this.#cursor = Math.min(this.#cursor, seq - 1);
    this.wake();
  }

  /** Stops handing items over; those with the contributor settle as the contributor decides. */
  stop(): void {
    this.#stopped = true;
  }

  #pump(): void {
    const { outbox, account, maxHanded, contributor } = this.#options;
    // While the session is not ready, items wait in the outbox (state `accepted`, where conflation can merge a
    // backlog) rather than in the contributor's queue; the gateway wakes the dispatcher when it is ready.
    if (contributor.state !== "ready") return;
    while (!this.#stopped && this.#handed.size < maxHanded) {
      const page = outbox.pending(account, this.#cursor, Math.min(PAGE, maxHanded - this.#handed.size));
      if (page.length === 0) return;
      const sent: { id: string; postId: number }[] = [];
      const merging = this.#options.conflate ? this.#merge(page) : undefined;
      for (const item of page) {
        this.#cursor = Math.max(this.#cursor, item.seq);
        if (this.#handed.has(item.id) || this.#conflating.has(item.id)) continue; // already on its way
        if (merging?.has(item.id) === true) continue;
        if (this.#hand(item)) sent.push({ id: item.id, postId: 0 });
      }
      if (sent.length > 0) this.#record(outbox.markSent(sent, this.#options.now()));
    }
  }

  /**
   * Merges the first sendings of each RIC in `page` into its newest one, durably, then reads them again (the
   * newest, now carrying every field, is sent on the next look). @returns the ids being merged.
   */
  #merge(page: readonly StoredItem[]): Set<string> | undefined {
    const byRic = new Map<string, StoredItem[]>();
    for (const item of page) {
      if (item.attempts > 0 || this.#handed.has(item.id) || this.#conflating.has(item.id)) continue;
      const group = byRic.get(item.ric);
      if (group === undefined) byRic.set(item.ric, [item]);
      else group.push(item);
    }
    const merges: ConflationMerge[] = [];
    for (const group of byRic.values()) {
      if (group.length < 2) continue;
      const newest = group[group.length - 1] as StoredItem;
      merges.push({
        into: newest.id,
        fields: Object.assign({}, ...group.map((item) => item.fields)) as StoredFields,
        from: group.slice(0, -1).map((item) => item.id),
      });
    }
    if (merges.length === 0) return undefined;
    const ids = new Set(merges.flatMap((merge) => [merge.into, ...merge.from]));
    for (const id of ids) this.#conflating.add(id);
    const lowest = Math.min(...page.filter((item) => ids.has(item.id)).map((item) => item.seq));
    const { outbox, onSettled } = this.#options;
    this.#record(
      outbox.conflate(merges, this.#options.now()).finally(() => {
        for (const id of ids) this.#conflating.delete(id);
        this.#cursor = Math.min(this.#cursor, lowest - 1); // the merged newest is read (and sent) again
        this.wake();
        if (onSettled !== undefined) {
          const settled = outbox.getMany(merges.flatMap((merge) => merge.from));
          onSettled(settled.filter((item): item is StoredItem => item?.state === "conflated"));
        }
      }),
    );
    return ids;
  }

  /** Hands one item to the contributor. @returns false when it was settled instead (superseded). */
  #hand(item: StoredItem): boolean {
    const fields = item.attempts > 0 ? this.#uncovered(item) : item.fields;
    if (fields === undefined) {
      this.#settle(item, { id: item.id, state: "superseded" });
      return false;
    }
    // As the outbox will have it once `sent` is recorded (the outcome's view is built from this, not read back).
    const sending: StoredItem = { ...item, state: "sent", attempts: item.attempts + 1, sentAtMs: this.#options.now() };
    const handed: Handed = { item: sending, fields };
    this.#handed.set(item.id, handed);
    let sameRic = this.#handedByRic.get(item.ric);
    if (sameRic === undefined) this.#handedByRic.set(item.ric, (sameRic = new Set()));
    sameRic.add(handed);
    this.#options.contributor.contribute(item.ric, fields).then(
      (ack) => this.#onAck(handed, ack),
      (error: unknown) => this.#onError(handed, error),
    );
    return true;
  }

  /**
   * The fields of an item being sent again that no newer item of its RIC carries (acknowledged, or with the
   * contributor now), or undefined when there are none left.
   */
  #uncovered(item: StoredItem): StoredFields | undefined {
    const acked = this.#options.outbox.lastValues(item.ric);
    const newer = [...(this.#handedByRic.get(item.ric) ?? [])].filter((other) => other.item.seq > item.seq);
    const left: Record<string, StoredFields[string]> = {};
    let count = 0;
    for (const [name, value] of Object.entries(item.fields)) {
      if ((acked[name]?.seq ?? 0) > item.seq) continue;
      if (newer.some((other) => Object.hasOwn(other.fields, name))) continue;
      left[name] = value;
      count += 1;
    }
    return count === 0 ? undefined : left;
  }

  #release(handed: Handed): void {
    this.#handed.delete(handed.item.id);
    const sameRic = this.#handedByRic.get(handed.item.ric);
    sameRic?.delete(handed);
    if (sameRic?.size === 0) this.#handedByRic.delete(handed.item.ric);
    this.wake(); // room for more
  }

  #onAck(handed: Handed, ack: Ack): void {
    this.#release(handed);
    this.#settle(handed.item, { id: handed.item.id, state: "acked", postId: ack.postId });
  }

  #onError(handed: Handed, error: unknown): void {
    this.#release(handed);
    const id = handed.item.id;
    if (error instanceof NakError) {
      this.#settle(handed.item, { id, state: "naked", nakCode: error.nakCode, text: error.text, postId: error.postId });
    } else if (error instanceof ContentError) {
      this.#settle(handed.item, { id, state: "failed", text: `RCC answered with an Error: ${error.text}` });
    } else if (error instanceof SupersededError) {
      this.#settle(handed.item, { id, state: "superseded" });
    } else if (error instanceof SessionClosedError) {
      // The gateway is stopping: the item stays as it is in the outbox and is sent at the next start.
    } else if (error instanceof AckTimeoutError || error instanceof ConnectionLostError) {
      this.#sendAgain(handed.item, error.message);
    } else {
      this.#settle(handed.item, { id, state: "failed", text: (error as Error).message });
    }
  }

  /**
   * The answer was lost: back to `accepted` (read again from its seq), or `failed` after the last attempt.
   * @param item as handed over: its `attempts` already counts the sending whose answer was lost.
   */
  #sendAgain(item: StoredItem, reason: string): void {
    const attempts = item.attempts;
    if (attempts >= this.#options.maxAttempts) {
      const text = `no answer from RCC after ${attempts} sendings (the last: ${reason}); RCC may have applied it`;
      this.#settle(item, { id: item.id, state: "failed", text });
      return;
    }
    this.#record(
      this.#options.outbox.markUnsent([item.id]).then(() => {
        this.#cursor = Math.min(this.#cursor, item.seq - 1);
        this.wake();
      }),
    );
  }

  /**
   * Records `item`'s outcome; once durable (and only if it was not final already) tells `onSettled`. The
   * outcomes of one frame of Acks (settled in one synchronous run) go to the outbox as one call.
   */
  #settle(item: StoredItem, settlement: Settlement): void {
    this.#settling.push({ item, settlement });
    if (this.#settling.length === 1) queueMicrotask(this.#flushSettles);
  }

  readonly #flushSettles = (): void => {
    const batch = this.#settling;
    this.#settling = [];
    const { outbox, onSettled } = this.#options;
    const atMs = this.#options.now();
    this.#record(
      outbox
        .settle(
          batch.map((entry) => entry.settlement),
          atMs,
        )
        .then((changed) => {
          if (onSettled === undefined || changed.length === 0) return;
          const done = new Set(changed);
          const views = batch.filter((entry) => done.has(entry.item.id));
          onSettled(views.map((entry) => settledView(entry.item, entry.settlement, atMs)));
        }),
    );
  };

  /** An outbox write failed: nothing is told to anyone; the item stays in its last durable state. */
  #record(write: Promise<unknown>): void {
    write.catch((error: unknown) => {
      this.#options.log.error({ account: this.#options.account, err: error }, "the outbox could not record a change");
    });
  }
}
