/**
 * The outbox (outbox.ts) on one SQLite file, through better-sqlite3, which is loaded only when an outbox opens.
 *
 * Durability: WAL journal, `synchronous=FULL` by default (a resolved write survives power loss; "normal"
 * survives a process crash only). Group commit: every write method queues its work; all the work queued in one
 * event-loop turn runs in one transaction at `setImmediate`, then its promises resolve — one fsync for many
 * writes, which is what makes tens of thousands of items a second affordable.
 *
 * Safety: a file that is there already is never recreated. It is inspected through a read-only connection
 * first (header, tables, magic, schema version, `quick_check`), so a refused file is left byte for byte as it
 * was. The writing connection uses `locking_mode=EXCLUSIVE`, so a second process (another gateway pointed at
 * the same file) is refused instead of dispatching the same items twice.
 *
 * In memory: per-account depth counters (loaded at open by one query each for `accepted` and `sent`) and the
 * last outcome cursor, so `depth()` and `lastCursor()` cost nothing; both change only when a transaction
 * commits.
 */
import { constants } from "node:fs";
import { access, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type {
  ConflationMerge,
  AcceptedItem,
  IdempotentRequest,
  ItemState,
  LastValue,
  NewItem,
  OutboxDepth,
  Outbox,
  OutcomeRecord,
  Settlement,
  StoredFields,
  StoredItem,
  StoredRequest,
} from "./outbox.js";

/** Options of {@link openSqliteOutbox}. */
export interface SqliteOutboxOptions {
  /**
   * When a commit reaches the disk. "full": each commit is fsynced, so a resolved write survives power loss.
   * "normal": the WAL is fsynced at checkpoints only, so a resolved write survives a crash of the process but
   * the last commits may be lost with the power.
   * @default "full"
   */
  synchronous?: "full" | "normal";
  /** How long opening waits for a lock another connection holds before refusing the file, ms. @default 250 */
  busyTimeoutMs?: number;
  /**
   * The largest size the file may reach, bytes (rounded down to whole pages). A transaction that would need
   * more fails ("database or disk is full") and rejects the writes of its turn; compaction makes room again.
   * @default undefined (no limit but the disk)
   */
  maxSizeBytes?: number;
}

const DEFAULT_SQLITE_OUTBOX_OPTIONS: Readonly<Required<Omit<SqliteOutboxOptions, "maxSizeBytes">>> = {
  synchronous: "full",
  busyTimeoutMs: 250,
};

/** Why an outbox file was refused: a stable code to branch on. */
export type OutboxOpenReason =
  /** The directory the file should be in does not exist (it is not created). */
  | "missing-directory"
  /** The file is not an SQLite database (another kind of file, or a damaged header), or is a directory. */
  | "not-a-database"
  /** An SQLite database that fails its integrity check or reads as corrupt. */
  | "damaged"
  /** An SQLite database, but not an rcc gateway outbox. */
  | "foreign-database"
  /** An outbox of a schema version newer than this code knows. */
  | "newer-schema"
  /** The file cannot be read. */
  | "unreadable"
  /** The file, or its directory (which holds its `-wal` beside it), cannot be written. */
  | "unwritable"
  /** Another connection (another process) holds the outbox open. */
  | "in-use";

/** An outbox file that cannot be used: `reason` says why; the message (one line) names the path. */
export class OutboxOpenError extends Error {
  override readonly name = "OutboxOpenError";
  /** The file, as given to {@link openSqliteOutbox}. */
  readonly path: string;
  /** Why it was refused. */
  readonly reason: OutboxOpenReason;

  constructor(path: string, reason: OutboxOpenReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.path = path;
    this.reason = reason;
  }
}

/** Counters of the group commit. */
export interface SqliteOutboxStats {
  /** Transactions committed. */
  transactions: number;
  /** Write calls (`accept`, `markSent`, …) committed by them. */
  writes: number;
  /** Transactions that failed and were rolled back (their write calls rejected). */
  failedTransactions: number;
}

/** What `meta.format` holds in every outbox. */
const FORMAT = "rcc-gateway-outbox";
/** The schema this code writes and reads. */
const SCHEMA_VERSION = 1;
/** The most rows any read returns. */
const MAX_LIMIT = 10_000;
/** Items (and requests) deleted per compaction transaction. */
const COMPACTION_CHUNK = 10_000;
/**
 * WAL pages between automatic checkpoints (SQLite's default is 1,000). Random ids scatter the writes to the
 * id index; checkpointing less often copies each such page to the database once for many commits.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** The size the WAL file is cut back to after a checkpoint, bytes. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('format', '${FORMAT}'), ('schema_version', ${SCHEMA_VERSION});
CREATE TABLE items (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  account TEXT NOT NULL,
  ric TEXT NOT NULL,
  fields TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('accepted', 'sent', 'acked', 'naked', 'failed', 'conflated', 'superseded')),
  accepted_at INTEGER NOT NULL,
  sent_at INTEGER,
  settled_at INTEGER,
  post_id INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  nak_code TEXT,
  text TEXT,
  conflated_into TEXT
);
CREATE INDEX items_accepted ON items (account, seq) WHERE state = 'accepted';
CREATE INDEX items_sent ON items (account, seq) WHERE state = 'sent';
CREATE TABLE outcomes (cursor INTEGER PRIMARY KEY AUTOINCREMENT, item_seq INTEGER NOT NULL, at INTEGER NOT NULL);
CREATE TABLE requests (key TEXT PRIMARY KEY, body_hash TEXT NOT NULL, ids TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX requests_at ON requests (at);
CREATE TABLE last_values (
  ric TEXT NOT NULL,
  field TEXT NOT NULL,
  value,
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  acked_at INTEGER NOT NULL,
  PRIMARY KEY (ric, field)
) WITHOUT ROWID;
`;

const ITEM_COLUMNS =
  "seq, id, account, ric, fields, state, accepted_at, sent_at, settled_at, post_id, attempts, nak_code, text, conflated_into";

interface ItemRow {
  seq: number;
  id: string;
  account: string;
  ric: string;
  fields: string;
  state: ItemState;
  accepted_at: number;
  sent_at: number | null;
  settled_at: number | null;
  post_id: number | null;
  attempts: number;
  nak_code: string | null;
  text: string | null;
  conflated_into: string | null;
}

type DatabaseConstructor = typeof BetterSqlite3;

/** Every statement the outbox runs, prepared once at open. */
function prepareStatements(db: BetterSqlite3.Database) {
  return {
    insertItem: db.prepare<[string, string, string, string, number, number]>(
      "INSERT INTO items (id, account, ric, fields, bytes, state, accepted_at) VALUES (?, ?, ?, ?, ?, 'accepted', ?) " +
        "ON CONFLICT (id) DO NOTHING",
    ),
    itemById: db.prepare<[string], ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE id = ?`),
    insertRequest: db.prepare<[string, string, string, number]>(
      "INSERT INTO requests (key, body_hash, ids, at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
    ),
    requestByKey: db.prepare<[string], { key: string; body_hash: string; ids: string; at: number }>(
      "SELECT key, body_hash, ids, at FROM requests WHERE key = ?",
    ),
    pending: db.prepare<[string, number, number], ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM items WHERE account = ? AND state = 'accepted' AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    unanswered: db.prepare<[string], ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM items WHERE account = ? AND state = 'sent' ORDER BY seq`,
    ),
    oldestAccepted: db
      .prepare<[string], number>(
        "SELECT accepted_at FROM items WHERE account = ? AND state = 'accepted' ORDER BY seq LIMIT 1",
      )
      .pluck(),
    oldestSent: db
      .prepare<[string], number>(
        "SELECT accepted_at FROM items WHERE account = ? AND state = 'sent' ORDER BY seq LIMIT 1",
      )
      .pluck(),
    markSent: db.prepare<[number, number, string]>(
      "UPDATE items SET state = 'sent', sent_at = ?, post_id = ?, attempts = attempts + 1 " +
        "WHERE id = ? AND state IN ('accepted', 'sent')",
    ),
    markUnsent: db.prepare<[string]>("UPDATE items SET state = 'accepted' WHERE id = ? AND state = 'sent'"),
    conflateInto: db.prepare<[string, number, string]>(
      "UPDATE items SET fields = ?, bytes = ? WHERE id = ? AND state = 'accepted'",
    ),
    settle: db.prepare<
      [ItemState, number, number | null, string | null, string | null, string | null, string],
      { seq: number; account: string; bytes: number }
    >(
      "UPDATE items SET state = ?, settled_at = ?, post_id = coalesce(?, post_id), nak_code = ?, text = ?, " +
        "conflated_into = ? WHERE id = ? AND state IN ('accepted', 'sent') RETURNING seq, account, bytes",
    ),
    insertOutcome: db.prepare<[number, number]>("INSERT INTO outcomes (item_seq, at) VALUES (?, ?)"),
    // One statement per Ack: SQLite walks the item's fields JSON itself, and a value already recorded by a
    // newer item (higher seq) is kept, so a late Ack of an older item never overwrites it.
    upsertLastValues: db.prepare<[number, number]>(
      "INSERT INTO last_values (ric, field, value, id, seq, acked_at) " +
        "SELECT items.ric, fields.key, fields.value, items.id, items.seq, ? " +
        "FROM items, json_each(items.fields) AS fields WHERE items.seq = ? " +
        "ON CONFLICT (ric, field) DO UPDATE SET value = excluded.value, id = excluded.id, seq = excluded.seq, " +
        "acked_at = excluded.acked_at WHERE excluded.seq > last_values.seq",
    ),
    outcomesAfter: db.prepare<[number, number], ItemRow & { cursor: number }>(
      `SELECT outcomes.cursor AS cursor, ${ITEM_COLUMNS.replace(/(\w+)/g, "items.$1")} ` +
        "FROM outcomes JOIN items ON items.seq = outcomes.item_seq WHERE outcomes.cursor > ? " +
        "ORDER BY outcomes.cursor LIMIT ?",
    ),
    lastValues: db.prepare<
      [string, number],
      { field: string; value: number | string | null; id: string; seq: number; acked_at: number }
    >("SELECT field, value, id, seq, acked_at FROM last_values WHERE ric = ? LIMIT ?"),
    // Compaction goes by the outcome log (an item is final exactly when it has its one outcome record, whose
    // time is its settled_at), oldest first, a chunk at a time; no index on settled_at to keep up per settle.
    compactionBound: db
      .prepare<[number, number], number>("SELECT cursor FROM outcomes WHERE at < ? ORDER BY cursor LIMIT 1 OFFSET ?")
      .pluck(),
    compactItems: db.prepare<[number, number]>(
      "DELETE FROM items WHERE seq IN (SELECT item_seq FROM outcomes WHERE at < ? AND cursor <= ?)",
    ),
    compactOutcomes: db.prepare<[number, number]>("DELETE FROM outcomes WHERE at < ? AND cursor <= ?"),
    compactRequests: db.prepare<[number, number]>(
      "DELETE FROM requests WHERE rowid IN (SELECT rowid FROM requests WHERE at < ? LIMIT ?)",
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** One queued write: runs inside the turn's transaction, then settles its caller's promise. */
interface Job {
  execute(): void;
  resolve(): void;
  reject(error: unknown): void;
}

/** An outbox on a SQLite file. Open one with {@link openSqliteOutbox}. */
export class SqliteOutbox implements Outbox {
  /** The file, as given to {@link openSqliteOutbox}. */
  readonly path: string;
  #db: BetterSqlite3.Database | undefined;
  readonly #statements: Statements;
  readonly #transaction: (jobs: readonly Job[]) => void;
  #queue: Job[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #closed: Promise<void> | undefined;
  /** Items and bytes not final, per account, as committed. */
  readonly #depth = new Map<string, { items: number; bytes: number }>();
  /** The oldest waiting acceptance time per account, as last read; dropped when the account's items change. */
  readonly #oldest = new Map<string, number | undefined>();
  #lastCursor: number;
  /** Changes of the transaction under way, applied to the fields above only once it commits. */
  #turnDepth = new Map<string, { items: number; bytes: number }>();
  #turnCursor = 0;
  readonly #stats: SqliteOutboxStats = { transactions: 0, writes: 0, failedTransactions: 0 };
  #lastWriteFailed = false;

  /** @internal use {@link openSqliteOutbox}. */
  constructor(path: string, db: BetterSqlite3.Database) {
    this.path = path;
    this.#db = db;
    this.#statements = prepareStatements(db);
    this.#transaction = db.transaction((jobs: readonly Job[]) => {
      for (const job of jobs) job.execute();
    });
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

  /**
   * {@inheritDoc Outbox.accept} A call with an item the outbox could not store as given (an id that is not a
   * non-empty string, a field value that is not a finite number, a string or null) rejects at once with a
   * TypeError, and nothing of that call is stored.
   */
  accept(
    items: readonly NewItem[],
    atMs: number,
    request?: IdempotentRequest & { ids: readonly (string | null)[] },
  ): Promise<AcceptedItem[]> {
    let prepared: { item: NewItem; fields: string; bytes: number }[];
    let requestIds: string | undefined;
    try {
      this.#ensureOpen();
      prepared = items.map((item) => {
        checkNewItem(item);
        const fields = JSON.stringify(item.fields);
        return { item, fields, bytes: Buffer.byteLength(item.ric) + Buffer.byteLength(fields) };
      });
      if (request !== undefined) requestIds = JSON.stringify(request.ids);
    } catch (error) {
      return rejected(error);
    }
    if (prepared.length === 0 && request === undefined) return Promise.resolve([]);
    const statements = this.#statements;
    const results: AcceptedItem[] = [];
    return this.#enqueue(
      () => {
        for (const { item, fields, bytes } of prepared) {
          const run = statements.insertItem.run(item.id, item.account, item.ric, fields, bytes, atMs);
          if (run.changes === 1) {
            results.push({ kind: "stored", id: item.id, seq: Number(run.lastInsertRowid) });
            addTo(this.#turnDepth, item.account, 1, bytes);
            continue;
          }
          const row = statements.itemById.get(item.id);
          if (row === undefined) throw new Error(`outbox ${this.path}: item ${item.id} neither stored nor found`);
          const same = row.ric === item.ric && canonicalJson(parseFields(row.fields)) === canonicalJson(item.fields);
          results.push(same ? { kind: "existing", item: toItem(row) } : { kind: "conflict", id: item.id });
        }
        if (request !== undefined && requestIds !== undefined) {
          statements.insertRequest.run(request.key, request.bodyHash, requestIds, atMs);
        }
      },
      () => results,
    );
  }

  /** {@inheritDoc Outbox.request} */
  request(key: string): StoredRequest | undefined {
    this.#ensureOpen();
    const row = this.#statements.requestByKey.get(key);
    if (row === undefined) return undefined;
    return { key: row.key, bodyHash: row.body_hash, ids: JSON.parse(row.ids) as (string | null)[], atMs: row.at };
  }

  /** {@inheritDoc Outbox.get} */
  get(id: string): StoredItem | undefined {
    this.#ensureOpen();
    const row = this.#statements.itemById.get(id);
    return row === undefined ? undefined : toItem(row);
  }

  /** {@inheritDoc Outbox.getMany} */
  getMany(ids: readonly string[]): (StoredItem | undefined)[] {
    this.#ensureOpen();
    const statement = this.#statements.itemById;
    return ids.map((id) => {
      const row = statement.get(id);
      return row === undefined ? undefined : toItem(row);
    });
  }

  /** {@inheritDoc Outbox.pending} @param limit at most this many, clamped to 0…10,000. */
  pending(account: string, afterSeq: number, limit: number): StoredItem[] {
    this.#ensureOpen();
    return this.#statements.pending.all(account, afterSeq, clampLimit(limit)).map(toItem);
  }

  /**
   * {@inheritDoc Outbox.unanswered} Not bounded by a limit (the contract has none): the dispatcher bounds how
   * many items of an account are `sent` at once.
   */
  unanswered(account: string): StoredItem[] {
    this.#ensureOpen();
    return this.#statements.unanswered.all(account).map(toItem);
  }

  /** {@inheritDoc Outbox.markSent} Unknown and final items are left alone. */
  markSent(sent: readonly { id: string; postId: number }[], atMs: number): Promise<void> {
    if (sent.length === 0) return this.#nothing();
    const statement = this.#statements.markSent;
    return this.#enqueue(
      () => {
        for (const { id, postId } of sent) statement.run(atMs, postId, id);
      },
      () => undefined,
    );
  }

  /** {@inheritDoc Outbox.markUnsent} Items not `sent` are left alone. */
  markUnsent(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return this.#nothing();
    const statement = this.#statements.markUnsent;
    return this.#enqueue(
      () => {
        for (const id of ids) statement.run(id);
      },
      () => undefined,
    );
  }

  /** {@inheritDoc Outbox.settle} Unknown ids are left out. */
  settle(settlements: readonly Settlement[], atMs: number): Promise<void> {
    let columns: SettlementColumns[];
    try {
      this.#ensureOpen();
      columns = settlements.map(settlementColumns);
    } catch (error) {
      return rejected(error);
    }
    if (columns.length === 0) return Promise.resolve();
    const statements = this.#statements;
    return this.#enqueue(
      () => {
        for (const { state, postId, nakCode, text, into, id } of columns) {
          const row = statements.settle.get(state, atMs, postId, nakCode, text, into, id);
          if (row === undefined) continue; // unknown, or final already: exactly one final outcome per item
          this.#turnCursor = Number(statements.insertOutcome.run(row.seq, atMs).lastInsertRowid);
          addTo(this.#turnDepth, row.account, -1, -row.bytes);
          if (state === "acked") statements.upsertLastValues.run(atMs, row.seq);
        }
      },
      () => undefined,
    );
  }

  /** {@inheritDoc Outbox.conflate} A merge whose `into` is no longer `accepted` is left out whole. */
  conflate(merges: readonly ConflationMerge[], atMs: number): Promise<void> {
    let prepared: { merge: ConflationMerge; fields: string }[];
    try {
      this.#ensureOpen();
      prepared = merges.map((merge) => {
        checkNewItem({ id: merge.into, account: "-", ric: "-", fields: merge.fields });
        const fields = JSON.stringify(merge.fields);
        return { merge, fields };
      });
    } catch (error) {
      return rejected(error);
    }
    if (prepared.length === 0) return this.#nothing();
    const statements = this.#statements;
    return this.#enqueue(
      () => {
        for (const { merge, fields } of prepared) {
          const into = statements.itemById.get(merge.into);
          if (into?.state !== "accepted") continue;
          const bytes = Buffer.byteLength(into.ric) + Buffer.byteLength(fields);
          if (statements.conflateInto.run(fields, bytes, merge.into).changes !== 1) continue;
          const before = Buffer.byteLength(into.ric) + Buffer.byteLength(into.fields); // as accept() counted it
          addTo(this.#turnDepth, into.account, 0, bytes - before);
          for (const id of merge.from) {
            const row = statements.settle.get("conflated", atMs, null, null, null, merge.into, id);
            if (row === undefined) continue;
            this.#turnCursor = Number(statements.insertOutcome.run(row.seq, atMs).lastInsertRowid);
            addTo(this.#turnDepth, row.account, -1, -row.bytes);
          }
        }
      },
      () => undefined,
    );
  }

  /** {@inheritDoc Outbox.outcomesAfter} @param limit at most this many, clamped to 0…10,000. */
  outcomesAfter(cursor: number, limit: number): OutcomeRecord[] {
    this.#ensureOpen();
    return this.#statements.outcomesAfter
      .all(cursor, clampLimit(limit))
      .map((row) => ({ cursor: row.cursor, item: toItem(row) }));
  }

  /** {@inheritDoc Outbox.lastCursor} Kept in memory: costs nothing. */
  lastCursor(): number {
    this.#ensureOpen();
    return this.#lastCursor;
  }

  /** {@inheritDoc Outbox.lastValues} */
  lastValues(ric: string): Record<string, LastValue> {
    this.#ensureOpen();
    const values: Record<string, LastValue> = {};
    for (const row of this.#statements.lastValues.all(ric, MAX_LIMIT)) {
      values[row.field] = { value: row.value, id: row.id, seq: row.seq, ackedAtMs: row.acked_at };
    }
    return values;
  }

  /**
   * {@inheritDoc Outbox.depth} The counts come from memory; `oldestAcceptedAtMs` is the acceptance time of the
   * first-accepted item still waiting (read once, then kept until the account's items change).
   */
  depth(account: string): OutboxDepth {
    this.#ensureOpen();
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

  /**
   * {@inheritDoc Outbox.compact} Deletes in chunks of 10,000 items (and 10,000 requests), one transaction each in its own turn, so that
   * compacting a day of items does not stall the event loop. When the outbox closes half-way, resolves with
   * what was deleted so far (the rest goes at the next compaction).
   */
  compact(beforeMs: number): Promise<number> {
    const statements = this.#statements;
    let total = 0;
    const step = (): Promise<number> => {
      let items = 0;
      let requests = 0;
      return this.#enqueue(
        () => {
          const bound = statements.compactionBound.get(beforeMs, COMPACTION_CHUNK - 1) ?? Number.MAX_SAFE_INTEGER;
          items = statements.compactItems.run(beforeMs, bound).changes;
          statements.compactOutcomes.run(beforeMs, bound);
          requests = statements.compactRequests.run(beforeMs, COMPACTION_CHUNK).changes;
        },
        () => undefined,
      ).then(() => {
        total += items;
        const more = items === COMPACTION_CHUNK || requests === COMPACTION_CHUNK;
        return more && this.#closed === undefined ? step() : total;
      });
    };
    return step();
  }

  /** The group commit's counters since open. */
  stats(): SqliteOutboxStats {
    return { ...this.#stats };
  }

  /** SQLite's `PRAGMA integrity_check` of the file as committed: "ok", or what is wrong, one problem a line. */
  integrityCheck(): string {
    const db = this.#ensureOpen();
    return (db.pragma("integrity_check") as { integrity_check: string }[]).map((row) => row.integrity_check).join("\n");
  }

  /** Commits what is queued (its promises settle first), then closes the file. Idempotent. */
  close(): Promise<void> {
    if (this.#closed === undefined) {
      if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
      this.#flush();
      const db = this.#db;
      this.#db = undefined;
      try {
        db?.close();
        this.#closed = Promise.resolve();
      } catch (error) {
        this.#closed = rejected(error);
      }
    }
    return this.#closed;
  }

  #ensureOpen(): BetterSqlite3.Database {
    if (this.#db === undefined || this.#closed !== undefined) throw new Error("outbox is closed");
    return this.#db;
  }

  /** A write with nothing to write: resolves at once (after the closed check). */
  #nothing(): Promise<void> {
    try {
      this.#ensureOpen();
    } catch (error) {
      return rejected(error);
    }
    return Promise.resolve();
  }

  /** Queues `execute` for this turn's transaction; the promise resolves with `result()` once it commits. */
  #enqueue<T>(execute: () => void, result: () => T): Promise<T> {
    try {
      this.#ensureOpen();
    } catch (error) {
      return rejected(error);
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ execute, resolve: () => resolve(result()), reject });
      this.#scheduled ??= setImmediate(this.#flush);
    });
  }

  /** Runs the queued jobs in one transaction, then settles their promises. */
  readonly #flush = (): void => {
    this.#scheduled = undefined;
    const jobs = this.#queue;
    if (jobs.length === 0 || this.#db === undefined) return;
    this.#queue = [];
    this.#turnDepth = new Map();
    this.#turnCursor = this.#lastCursor;
    try {
      this.#transaction(jobs);
    } catch (error) {
      // Rolled back: nothing of the turn happened, in the file or in memory.
      this.#stats.failedTransactions += 1;
      this.#lastWriteFailed = true;
      for (const job of jobs) job.reject(error);
      return;
    }
    this.#lastCursor = this.#turnCursor;
    for (const [account, change] of this.#turnDepth) {
      addTo(this.#depth, account, change.items, change.bytes);
      this.#oldest.delete(account);
    }
    this.#stats.transactions += 1;
    this.#stats.writes += jobs.length;
    this.#lastWriteFailed = false;
    for (const job of jobs) job.resolve();
  };

  /** Whether it is open and its last transaction committed (false after a failed one, until one commits). */
  get writable(): boolean {
    return this.#db !== undefined && !this.#lastWriteFailed;
  }
}

/**
 * Opens the outbox in the file at `path`, creating it (not its directory) when there is no file.
 * An existing file is never recreated or overwritten: one that is not an rcc gateway outbox of this version,
 * or is damaged, is refused and left exactly as it was.
 * @throws OutboxOpenError naming the path and the reason.
 */
export async function openSqliteOutbox(path: string, options: SqliteOutboxOptions = {}): Promise<SqliteOutbox> {
  const settings = { ...DEFAULT_SQLITE_OUTBOX_OPTIONS, ...checkOptions(options) };
  const { default: Database } = await import("better-sqlite3");
  const found = await inspectFile(path);
  const fresh = found === "absent" || inspectDatabase(Database, path, settings.busyTimeoutMs) === "empty";
  let db: BetterSqlite3.Database;
  try {
    db = new Database(path, { fileMustExist: found !== "absent", timeout: settings.busyTimeoutMs });
  } catch (error) {
    throw refusal(path, error, "unwritable");
  }
  try {
    configure(db, settings);
    if (fresh) {
      // Checked again under the lock: nothing was created between the inspection and now.
      if (db.prepare<[], number>("SELECT count(*) FROM sqlite_schema").pluck().get() !== 0) {
        throw refusal(path, undefined, "foreign-database");
      }
      db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
    }
  } catch (error) {
    db.close();
    throw error instanceof OutboxOpenError ? error : refusal(path, error, "unwritable");
  }
  try {
    return new SqliteOutbox(path, db);
  } catch (error) {
    db.close();
    // Our magic and version, but a table or column missing.
    throw refusal(path, error, "damaged");
  }
}

/** The writing connection's pragmas. */
function configure(
  db: BetterSqlite3.Database,
  settings: Required<Omit<SqliteOutboxOptions, "maxSizeBytes">> & SqliteOutboxOptions,
): void {
  // Exclusive before WAL: the WAL index lives in this process's memory and the file stays locked until close.
  db.pragma("locking_mode = EXCLUSIVE");
  const mode: unknown = db.pragma("journal_mode = WAL", { simple: true });
  if (mode !== "wal") throw new Error(`the journal mode stays ${String(mode)}, not wal`);
  db.pragma(`synchronous = ${settings.synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  if (settings.maxSizeBytes !== undefined) {
    const pageSize = Number(db.pragma("page_size", { simple: true }));
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(settings.maxSizeBytes / pageSize))}`);
  }
}

function checkOptions(options: SqliteOutboxOptions): SqliteOutboxOptions {
  const { busyTimeoutMs, maxSizeBytes } = options;
  const synchronous: unknown = options.synchronous;
  if (synchronous !== undefined && synchronous !== "full" && synchronous !== "normal") {
    throw new TypeError(`openSqliteOutbox: synchronous must be "full" or "normal", not ${JSON.stringify(synchronous)}`);
  }
  for (const [name, value] of [
    ["busyTimeoutMs", busyTimeoutMs],
    ["maxSizeBytes", maxSizeBytes],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new TypeError(`openSqliteOutbox: ${name} must be a whole number ≥ 0, not ${String(value)}`);
    }
  }
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/**
 * What is at `path`, from the file system alone: nothing ("absent"), an empty file (SQLite may still hold
 * data for it in a `-wal` file beside it), or a file that starts as an SQLite database does.
 */
async function inspectFile(path: string): Promise<"absent" | "empty" | "sqlite"> {
  const directory = dirname(path);
  try {
    if (!(await stat(directory)).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
  } catch (error) {
    const detail = errorCode(error) === "ENOENT" ? "does not exist" : `cannot be used (${describe(error)})`;
    throw new OutboxOpenError(
      path,
      "missing-directory",
      `outbox ${path}: its directory ${directory} ${detail}: refusing to start; create the directory or point --outbox elsewhere`,
      { cause: error },
    );
  }
  let size: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) {
      throw new OutboxOpenError(
        path,
        "not-a-database",
        `outbox ${path} is ${stats.isDirectory() ? "a directory" : "not a regular file"}, not an SQLite database: refusing to start; point --outbox at a file`,
      );
    }
    size = stats.size;
  } catch (error) {
    if (error instanceof OutboxOpenError) throw error;
    if (errorCode(error) !== "ENOENT") throw refusal(path, error, "unreadable");
    await checkAccess(path, directory, constants.W_OK, "its directory cannot be written");
    return "absent";
  }
  if (size > 0) {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    let read: number;
    try {
      const handle = await open(path, "r");
      try {
        ({ bytesRead: read } = await handle.read(header, 0, header.length, 0));
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw refusal(path, error, "unreadable");
    }
    if (read < header.length || !header.equals(SQLITE_HEADER)) throw refusal(path, undefined, "not-a-database");
  }
  await checkAccess(path, path, constants.R_OK | constants.W_OK, "the file cannot be read and written");
  await checkAccess(path, directory, constants.W_OK, "its directory (which holds the -wal file) cannot be written");
  return size === 0 ? "empty" : "sqlite";
}

async function checkAccess(path: string, target: string, mode: number, what: string): Promise<void> {
  try {
    await access(target, mode);
  } catch (error) {
    throw new OutboxOpenError(
      path,
      "unwritable",
      `outbox ${path} cannot be written: ${what} (${describe(error)}): refusing to start; fix its permissions or point --outbox elsewhere`,
      { cause: error },
    );
  }
}

/**
 * Checks an existing file through a read-only connection, which changes nothing in it: "empty" for an SQLite
 * database holding nothing at all (a new outbox whose first commit never happened: it is created in it),
 * "outbox" for ours.
 * @throws OutboxOpenError for anything else.
 */
function inspectDatabase(Database: DatabaseConstructor, path: string, busyTimeoutMs: number): "empty" | "outbox" {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    const names = db.prepare<[], string>("SELECT name FROM sqlite_schema").pluck().all();
    if (names.length === 0) return "empty";
    if (!names.includes("meta")) throw refusal(path, undefined, "foreign-database");
    const meta = new Map(
      db
        .prepare<[], [unknown, unknown]>("SELECT key, value FROM meta")
        .raw()
        .all()
        .map(([key, value]) => [String(key), value]),
    );
    if (meta.get("format") !== FORMAT) throw refusal(path, undefined, "foreign-database");
    const version = meta.get("schema_version");
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
      throw refusal(path, undefined, "damaged", `its schema_version is ${JSON.stringify(version)}`);
    }
    if (version > SCHEMA_VERSION) {
      throw new OutboxOpenError(
        path,
        "newer-schema",
        `outbox ${path} was written by a newer rcc (schema version ${version}; this one reads ${SCHEMA_VERSION}): refusing to start; upgrade rcc or point --outbox elsewhere`,
      );
    }
    const check = (db.pragma("quick_check") as { quick_check: string }[]).map((row) => row.quick_check);
    if (check.length !== 1 || check[0] !== "ok") {
      throw refusal(path, undefined, "damaged", `quick_check: ${check.slice(0, 3).join("; ")}`);
    }
    return "outbox";
  } catch (error) {
    if (error instanceof OutboxOpenError) throw error;
    // A table named meta without key and value columns, among other things, is not ours.
    if (errorCode(error) === "SQLITE_ERROR") throw refusal(path, error, "foreign-database");
    throw refusal(path, error, "unreadable");
  } finally {
    db?.close();
  }
}

/** The OutboxOpenError for `error` (an SQLite or file-system error, or none), `fallback` when it says nothing more. */
function refusal(path: string, error: unknown, fallback: OutboxOpenReason, detail?: string): OutboxOpenError {
  const code = errorCode(error) ?? "";
  const reason: OutboxOpenReason =
    code === "SQLITE_NOTADB"
      ? "not-a-database"
      : code.startsWith("SQLITE_CORRUPT")
        ? "damaged"
        : code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")
          ? "in-use"
          : code.startsWith("SQLITE_READONLY") || code === "EACCES" || code === "EPERM" || code === "EROFS"
            ? "unwritable"
            : fallback;
  const because = detail ?? (error === undefined ? undefined : describe(error));
  const suffix = because === undefined ? "" : ` (${because})`;
  const message = {
    "missing-directory": `outbox ${path}: its directory does not exist${suffix}: refusing to start; create the directory or point --outbox elsewhere`,
    "not-a-database": `outbox ${path} is not an SQLite database (corrupt, or another kind of file)${suffix}: refusing to start; move it away or point --outbox elsewhere`,
    damaged: `outbox ${path} is damaged${suffix}: refusing to start; move it away (keep it for recovery) or point --outbox elsewhere`,
    "foreign-database": `outbox ${path} is an SQLite database but not an rcc gateway outbox${suffix}: refusing to start; move it away or point --outbox elsewhere`,
    "newer-schema": `outbox ${path} was written by a newer rcc${suffix}: refusing to start; upgrade rcc or point --outbox elsewhere`,
    unreadable: `outbox ${path} cannot be read${suffix}: refusing to start; fix its permissions or point --outbox elsewhere`,
    unwritable: `outbox ${path} cannot be written${suffix}: refusing to start; fix its permissions or point --outbox elsewhere`,
    "in-use": `outbox ${path} is in use by another process (another gateway?)${suffix}: refusing to start; stop it or point --outbox elsewhere`,
  }[reason];
  return new OutboxOpenError(path, reason, message, error === undefined ? undefined : { cause: error });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** An error's message on one line. */
function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}

/** Refuses what TypeScript cannot rule out at run time and SQLite or JSON would store as something else. */
function checkNewItem(item: NewItem): void {
  const { id, account, ric, fields } = item as { [Key in keyof NewItem]: unknown };
  if (typeof id !== "string" || id === "") throw new TypeError("outbox: an item's id must be a non-empty string");
  if (typeof account !== "string") throw new TypeError(`outbox: item ${id}: account must be a string`);
  if (typeof ric !== "string") throw new TypeError(`outbox: item ${id}: ric must be a string`);
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new TypeError(`outbox: item ${id}: fields must be an object`);
  }
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) continue;
    throw new TypeError(
      `outbox: item ${id}: field ${name} must be a finite number, a string or null, not ${String(value)}`,
    );
  }
}

/** A rejected promise with `error` (made an Error when it is not one). */
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

interface SettlementColumns {
  id: string;
  state: ItemState;
  postId: number | null;
  nakCode: string | null;
  text: string | null;
  into: string | null;
}

function settlementColumns(settlement: Settlement): SettlementColumns {
  const base = { id: settlement.id, state: settlement.state, postId: null, nakCode: null, text: null, into: null };
  switch (settlement.state) {
    case "acked":
      return { ...base, postId: settlement.postId ?? null };
    case "naked":
      return { ...base, postId: settlement.postId ?? null, nakCode: settlement.nakCode, text: settlement.text };
    case "failed":
      return { ...base, text: settlement.text };
    case "superseded":
      return base;
    case "conflated":
      return { ...base, into: settlement.into };
    default:
      throw new TypeError(`outbox: ${JSON.stringify((settlement as { state: unknown }).state)} is not a final state`);
  }
}

function toItem(row: ItemRow): StoredItem {
  const item: StoredItem = {
    seq: row.seq,
    id: row.id,
    account: row.account,
    ric: row.ric,
    fields: parseFields(row.fields),
    state: row.state,
    acceptedAtMs: row.accepted_at,
    attempts: row.attempts,
  };
  if (row.sent_at !== null) item.sentAtMs = row.sent_at;
  if (row.settled_at !== null) item.settledAtMs = row.settled_at;
  if (row.post_id !== null) item.postId = row.post_id;
  if (row.nak_code !== null) item.nakCode = row.nak_code;
  if (row.text !== null) item.text = row.text;
  if (row.conflated_into !== null) item.conflatedInto = row.conflated_into;
  return item;
}

function parseFields(json: string): StoredFields {
  return JSON.parse(json) as StoredFields;
}

/** Fields as JSON with their names in sorted order: equal for equal fields given in any order. */
function canonicalJson(fields: StoredFields): string {
  return JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

function clampLimit(limit: number): number {
  return Number.isNaN(limit) ? 0 : Math.max(0, Math.min(Math.floor(limit), MAX_LIMIT));
}

function addTo(counts: Map<string, { items: number; bytes: number }>, account: string, items: number, bytes: number) {
  const count = counts.get(account);
  if (count === undefined) counts.set(account, { items, bytes });
  else {
    count.items += items;
    count.bytes += bytes;
  }
}
