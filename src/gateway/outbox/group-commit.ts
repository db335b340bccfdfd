/**
 * The SQLite outbox's group commit: every write method queues its work; all the work queued in one event-loop
 * turn runs in one transaction at `setImmediate`, then its promises resolve — one fsync for many writes, which
 * is what makes tens of thousands of items a second affordable.
 */
import type BetterSqlite3 from "better-sqlite3";

/** Counters of the group commit. */
export interface SqliteOutboxStats {
  /** Transactions committed. */
  transactions: number;
  /** Write calls (`accept`, `markSent`, …) committed by them. */
  writes: number;
  /** Transactions that failed and were rolled back (their write calls rejected). */
  failedTransactions: number;
}

/** What the queue's owner keeps in memory beside the file, told about each turn's transaction. */
export interface TurnListener {
  /** Before the turn's transaction runs: start collecting the changes its writes make. */
  begin(): void;
  /** After it committed: apply them. Not called when it rolled back. */
  commit(): void;
}

/** One queued write: runs inside the turn's transaction, then settles its caller's promise. */
interface Job {
  execute(): void;
  resolve(): void;
  reject(error: unknown): void;
}

/** The queue of writes on one connection, committed a turn at a time. */
export class GroupCommit {
  readonly #transaction: (jobs: readonly Job[]) => void;
  readonly #turn: TurnListener;
  #queue: Job[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #stopped = false;
  readonly #stats: SqliteOutboxStats = { transactions: 0, writes: 0, failedTransactions: 0 };
  #lastWriteFailed = false;

  constructor(db: BetterSqlite3.Database, turn: TurnListener) {
    this.#transaction = db.transaction((jobs: readonly Job[]) => {
      for (const job of jobs) job.execute();
    });
    this.#turn = turn;
  }

  /** Queues `execute` for this turn's transaction; the promise resolves with `result()` once it commits. */
  enqueue<T>(execute: () => void, result: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ execute, resolve: () => resolve(result()), reject });
      this.#scheduled ??= setImmediate(this.#flush);
    });
  }

  /** Commits what is queued now (its promises settle first); nothing queued later runs. */
  stop(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#flush();
    this.#stopped = true;
  }

  /** The counters since the queue was made. */
  stats(): SqliteOutboxStats {
    return { ...this.#stats };
  }

  /** Whether the last transaction failed (true after a failed one, until one commits). */
  get lastWriteFailed(): boolean {
    return this.#lastWriteFailed;
  }

  /** Runs the queued jobs in one transaction, then settles their promises. */
  readonly #flush = (): void => {
    this.#scheduled = undefined;
    const jobs = this.#queue;
    if (jobs.length === 0 || this.#stopped) return;
    this.#queue = [];
    this.#turn.begin();
    try {
      this.#transaction(jobs);
    } catch (error) {
      // Rolled back: nothing of the turn happened, in the file or in memory.
      this.#stats.failedTransactions += 1;
      this.#lastWriteFailed = true;
      for (const job of jobs) job.reject(error);
      return;
    }
    this.#turn.commit();
    this.#stats.transactions += 1;
    this.#stats.writes += jobs.length;
    this.#lastWriteFailed = false;
    for (const job of jobs) job.resolve();
  };
}
