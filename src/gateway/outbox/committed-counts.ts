/**
 * What the SQLite outbox keeps in memory: per-account depth counters (loaded at open by one query each for
 * `accepted` and `sent`) and the last outcome cursor, so `depth()` and `lastCursor()` cost nothing; both change
 * only when a transaction commits.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { OutboxDepth } from "./outbox.js";
import type { Statements } from "./outbox-schema.js";
import type { TurnListener } from "./group-commit.js";

type Counts = Map<string, { items: number; bytes: number }>;

/** The depth counters and the last cursor, as committed, and the changes of the transaction under way. */
export class CommittedCounts implements TurnListener {
  readonly #statements: Statements;
  /** Items and bytes not final, per account, as committed. */
  readonly #depth: Counts = new Map();
  /** The oldest waiting acceptance time per account, as last read; dropped when the account's items change. */
  readonly #oldest = new Map<string, number | undefined>();
  #lastCursor: number;
  /** Changes of the transaction under way, applied to the fields above only once it commits. */
  #turnDepth: Counts = new Map();
  #turnCursor = 0;

  /** Loads the counts of the file as committed. */
  constructor(db: BetterSqlite3.Database, statements: Statements) {
    this.#statements = statements;
    this.#lastCursor =
      db.prepare<[], number>("SELECT seq FROM sqlite_sequence WHERE name = 'outcomes'").pluck().get() ?? 0;
    for (const state of ["accepted", "sent"] as const) {
      const rows = db
        .prepare<[], { account: string; items: number; bytes: number }>(
          `SELECT account, count(*) AS items, total(bytes) AS bytes FROM items WHERE state = '${state}' GROUP BY account`,
        )
        .all();
      for (const row of rows) addTo(this.#depth, row.account, row.items, row.bytes);
    }
  }

  /** The cursor of the last outcome committed. */
  get lastCursor(): number {
    return this.#lastCursor;
  }

  /** In the transaction under way: `items` more items of `account` not final (fewer when negative), `bytes` more. */
  add(account: string, items: number, bytes: number): void {
    addTo(this.#turnDepth, account, items, bytes);
  }

  /** In the transaction under way: an outcome was recorded at `cursor`. */
  recordOutcome(cursor: number): void {
    this.#turnCursor = Math.max(this.#turnCursor, cursor);
  }

  /** A turn's transaction begins: its changes are collected apart from the committed counts. */
  begin(): void {
    this.#turnDepth = new Map();
    this.#turnCursor = this.#lastCursor;
  }

  /** A turn's transaction committed: its changes count now. */
  commit(): void {
    this.#lastCursor = this.#turnCursor;
    for (const [account, change] of this.#turnDepth) {
      addTo(this.#depth, account, change.items, change.bytes);
      this.#oldest.delete(account);
    }
  }

  /**
   * The counts of `account` come from memory; `oldestAcceptedAtMs` is the acceptance time of the first-accepted
   * item still waiting (read once, then kept until the account's items change).
   */
  depth(account: string): OutboxDepth {
    const counted = this.#depth.get(account);
    if (counted === undefined || counted.items === 0) return { items: 0, bytes: 0, oldestAcceptedAtMs: undefined };
    let oldest = this.#oldest.get(account);
    if (oldest === undefined) {
      const accepted = this.#statements.oldestAccepted.get(account);
      const sent = this.#statements.oldestSent.get(account);
      oldest = accepted === undefined ? sent : sent === undefined ? accepted : Math.min(accepted, sent);
      this.#oldest.set(account, oldest);
    }
    return { items: counted.items, bytes: counted.bytes, oldestAcceptedAtMs: oldest };
  }
}

function addTo(counts: Counts, account: string, items: number, bytes: number) {
  const count = counts.get(account);
  if (count === undefined) counts.set(account, { items, bytes });
  else {
    count.items += items;
    count.bytes += bytes;
  }
}
