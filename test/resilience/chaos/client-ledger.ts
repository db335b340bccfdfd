/**
 * The client side of a chaos run: issues contributions (each RIC carries a strictly increasing sequence number
 * in {@link SEQUENCE_FIELD}), and accounts for every `contribute()` promise — acknowledged, refused with a
 * Nak code, or failed with a typed {@link RccError} — keeping per RIC the highest acknowledged sequence number
 * and the outcome of the last one contributed. Bounded memory: fixed arrays per RIC and counters.
 */
import type { Ack } from "../../../src/client/posting/post-entry.js";
import type { Contributor } from "../../../src/client/contributor.js";
import { RccError, NakError, POST_ERROR_CODES } from "../../../src/client/errors.js";
import { SEQUENCE_FIELD } from "./server-observer.js";

/** Outcome of one contribution. */
export type Outcome = "acked" | "naked" | "failed";

const OUTCOME_CODES: readonly Outcome[] = ["acked", "naked", "failed"];
const KNOWN_POST_CODES: ReadonlySet<string> = new Set(Object.values(POST_ERROR_CODES));

/** Counters of the ledger. */
export interface LedgerCounts {
  calls: number;
  settled: number;
  acked: number;
  /** Naks by NakCode. */
  naked: Record<string, number>;
  /** Typed failures by RccError code. */
  failed: Record<string, number>;
  /** Rejections that were not an RccError, or had an unknown code (must stay 0). */
  untyped: number;
  /** Settlement callbacks run more than once for one call (must stay 0; a native promise cannot). */
  settledTwice: number;
  /** Acks resolving a call for another RIC (must stay 0). */
  crossedAcks: number;
  examples: string[];
}

/** Accounts for every contribution of a run. */
export class ClientLedger {
  readonly rics: readonly string[];
  readonly counts: LedgerCounts = {
    calls: 0,
    settled: 0,
    acked: 0,
    naked: {},
    failed: {},
    untyped: 0,
    settledTwice: 0,
    crossedAcks: 0,
    examples: [],
  };
  /** Next sequence number per RIC. */
  readonly #nextSeq: Float64Array;
  /** Highest acknowledged sequence number per RIC (-1: none). */
  readonly ackedMax: Float64Array;
  /** Outcome of each RIC's highest contributed sequence number (index into OUTCOME_CODES, -1 pending). */
  readonly #lastOutcome: Int8Array;
  readonly #indexByRic: Map<string, number>;
  #waiters: (() => void)[] = [];
  /** Base of the BID each post carries besides its sequence number (a price that moves with it). */
  readonly #basePrice: number;

  /**
   * @param rics the RICs of the run, e.g. TRCCTEST000 … TRCCTEST099.
   * @param basePrice BID of sequence number 0; later ones add (seq mod 1000) / 100. @default 100
   */
  constructor(rics: readonly string[], basePrice = 100) {
    this.rics = rics;
    this.#nextSeq = new Float64Array(rics.length);
    this.ackedMax = new Float64Array(rics.length).fill(-1);
    this.#lastOutcome = new Int8Array(rics.length).fill(-1);
    this.#indexByRic = new Map(rics.map((ric, index) => [ric, index]));
    this.#basePrice = basePrice;
  }

  /** Calls made and not yet settled. */
  get pending(): number {
    return this.counts.calls - this.counts.settled;
  }

  /** Index of a RIC of the run. */
  ricIndex(ric: string): number | undefined {
    return this.#indexByRic.get(ric);
  }

  /** Highest sequence number contributed to the RIC so far (-1: none). */
  lastContributed(index: number): number {
    return (this.#nextSeq[index] ?? 0) - 1;
  }

  /** Outcome of the RIC's last contribution, or "pending". */
  lastOutcome(index: number): Outcome | "pending" {
    const code = this.#lastOutcome[index] ?? -1;
    return code < 0 ? "pending" : (OUTCOME_CODES[code] as Outcome);
  }

  /** Contributes the RIC's next sequence number; never rejects (the outcome goes into the ledger). */
  contribute(contributor: Contributor, index: number): void {
    const ric = this.rics[index] as string;
    const seq = this.#nextSeq[index] ?? 0;
    this.#nextSeq[index] = seq + 1;
    this.#lastOutcome[index] = -1;
    this.counts.calls += 1;
    let settledOnce = false;
    const settle = (outcome: Outcome): void => {
      if (settledOnce) {
        this.counts.settledTwice += 1;
        return;
      }
      settledOnce = true;
      this.counts.settled += 1;
      if (this.lastContributed(index) === seq) this.#lastOutcome[index] = OUTCOME_CODES.indexOf(outcome);
      this.#wake();
    };
    const fields = { [SEQUENCE_FIELD]: seq, BID: Math.round((this.#basePrice + (seq % 1000) / 100) * 100) / 100 };
    contributor.contribute(ric, fields).then(
      (ack: Ack) => {
        if (ack.ric !== ric) {
          this.counts.crossedAcks += 1;
          this.#example(`Ack for ${ack.ric} resolved the call for ${ric}`);
        }
        this.counts.acked += 1;
        if (seq > (this.ackedMax[index] ?? -1)) this.ackedMax[index] = seq;
        settle("acked");
      },
      (error: unknown) => {
        if (error instanceof NakError && error.nakCode !== "") {
          this.counts.naked[error.nakCode] = (this.counts.naked[error.nakCode] ?? 0) + 1;
          settle("naked");
        } else if (error instanceof RccError && KNOWN_POST_CODES.has(error.code)) {
          this.counts.failed[error.code] = (this.counts.failed[error.code] ?? 0) + 1;
          settle("failed");
        } else {
          this.counts.untyped += 1;
          this.#example(`untyped rejection for ${ric}: ${String(error)}`);
          settle("failed");
        }
      },
    );
  }

  /** Resolves once fewer than `limit` calls are pending. */
  async whenPendingBelow(limit: number): Promise<void> {
    while (this.pending >= limit) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves once every call has settled, or rejects after `timeoutMs`. */
  async allSettled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0) {
      if (Date.now() > deadline) throw new Error(`${this.pending} contribute() calls still pending`);
      await Promise.race([
        new Promise<void>((resolve) => this.#waiters.push(resolve)),
        new Promise((resolve) => setTimeout(resolve, 100)),
      ]);
    }
  }

  /** Sum of every outcome count; equals `calls` once everything settled. */
  get outcomesTotal(): number {
    const sum = (record: Record<string, number>): number => Object.values(record).reduce((a, b) => a + b, 0);
    return this.counts.acked + sum(this.counts.naked) + sum(this.counts.failed) + this.counts.untyped;
  }

  #example(text: string): void {
    if (this.counts.examples.length < 10) this.counts.examples.push(text);
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
