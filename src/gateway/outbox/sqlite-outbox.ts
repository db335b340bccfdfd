/**
 * The outbox (outbox.ts) on one SQLite file, through better-sqlite3, which is loaded only when an outbox opens.
 * Opening and checking the file is outbox-file.ts; the schema and statements, outbox-schema.ts; the group
 * commit (all the writes of one event-loop turn in one transaction), group-commit.ts; the depth counters and
 * last cursor kept in memory, committed-counts.ts.
 */
import type BetterSqlite3 from "better-sqlite3";
import type {
  ConflationMerge,
  AcceptedItem,
  IdempotentRequest,
  LastValue,
  NewItem,
  OutboxDepth,
  Outbox,
  OutcomeRecord,
  Settlement,
  StoredItem,
  StoredRequest,
} from "./outbox.js";
import { openOutboxFile, refusal } from "./outbox-file.js";
import {
  canonicalJson,
  checkNewItem,
  parseFields,
  type SettlementColumns,
  settlementColumns,
  toItem,
} from "./outbox-rows.js";
import { prepareStatements, type Statements } from "./outbox-schema.js";
import { GroupCommit, type SqliteOutboxStats } from "./group-commit.js";
import { CommittedCounts } from "./committed-counts.js";
import { checkOptions, DEFAULT_SQLITE_OUTBOX_OPTIONS, type SqliteOutboxOptions } from "./sqlite-outbox-options.js";

export { OutboxOpenError, type OutboxOpenReason } from "./outbox-file.js";
export type { SqliteOutboxStats } from "./group-commit.js";
export type { SqliteOutboxOptions } from "./sqlite-outbox-options.js";

/** An item for the cluster's view: with the inbound stream's sequence and its acceptance time. */
export interface SequencedItem extends NewItem {
  seq: number;
  /** Epoch milliseconds. */
  acceptedAtMs: number;
}

/** An item checked, with its fields as JSON and its size (RIC and fields), bytes. */
interface Prepared<T extends NewItem> {
  item: T;
  fields: string;
  bytes: number;
}

/** @throws TypeError for an item the outbox cannot store as given (see checkNewItem). */
function prepare<T extends NewItem>(item: T): Prepared<T> {
  checkNewItem(item);
  const fields = JSON.stringify(item.fields);
  return { item, fields, bytes: Buffer.byteLength(item.ric) + Buffer.byteLength(fields) };
}

/** Whether a stored row is the same contribution as `item` (RIC and fields, field order aside). */
function sameAs(row: { ric: string; fields: string }, item: NewItem): boolean {
  return row.ric === item.ric && canonicalJson(parseFields(row.fields)) === canonicalJson(item.fields);
}

/** The settlement that leads to `item`'s final state. @throws TypeError when it is not final. */
function settlementOf(item: StoredItem): Settlement {
  switch (item.state) {
    case "acked":
      return { id: item.id, state: "acked", ...(item.postId === undefined ? {} : { postId: item.postId }) };
    case "naked":
      return {
        id: item.id,
        state: "naked",
        nakCode: item.nakCode ?? "",
        text: item.text ?? "",
        ...(item.postId === undefined ? {} : { postId: item.postId }),
      };
    case "failed":
      return { id: item.id, state: "failed", text: item.text ?? "" };
    case "superseded":
      return { id: item.id, state: "superseded" };
    case "conflated":
      return { id: item.id, state: "conflated", into: item.conflatedInto ?? "" };
    case "accepted":
    case "sent":
    default:
      throw new TypeError(`outbox: item ${item.id} is ${JSON.stringify(item.state)}, not final`);
  }
}

/** The most rows any read returns. */
const MAX_LIMIT = 10_000;
/** Items (and requests) deleted per compaction transaction. */
const COMPACTION_CHUNK = 10_000;

/** An outbox on a SQLite file. Open one with {@link openSqliteOutbox}. */
export class SqliteOutbox implements Outbox {
  /** The file, as given to {@link openSqliteOutbox}. */
  readonly path: string;
  #db: BetterSqlite3.Database | undefined;
  readonly #statements: Statements;
  readonly #commits: GroupCommit;
  readonly #counts: CommittedCounts;
  #closed: Promise<void> | undefined;

  /** @internal use {@link openSqliteOutbox}. */
  constructor(path: string, db: BetterSqlite3.Database) {
    this.path = path;
    this.#db = db;
    this.#statements = prepareStatements(db);
    this.#counts = new CommittedCounts(db, this.#statements);
    this.#commits = new GroupCommit(db, this.#counts);
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
    return this.#store(items, request === undefined ? undefined : { ...request, atMs }, (entry) =>
      this.#insertNew(entry, atMs),
    );
  }

  /**
   * The cluster's view (docs/cluster.md, "Reads from a local view"): stores items at the sequence the inbound
   * stream gave them, so that `seq` orders items the same way on every gateway. An item already there (by id
   * or by seq) is left as it is: `existing` when it is the same contribution, else `conflict`.
   * @param request the request to replay under its Idempotency-Key, stored with the items.
   */
  acceptAt(
    items: readonly SequencedItem[],
    request?: IdempotentRequest & { ids: readonly (string | null)[]; atMs: number },
  ): Promise<AcceptedItem[]> {
    for (const item of items) {
      if (!(Number.isSafeInteger(item.seq) && item.seq > 0))
        return rejected(new TypeError(`outbox: item ${item.id}: bad seq`));
    }
    return this.#store(items, request, (entry) => this.#insertAt(entry));
  }

  /** Checks and stores `items` with `insert`, and `request`, in this turn's transaction. */
  #store<T extends NewItem>(
    items: readonly T[],
    request: (IdempotentRequest & { ids: readonly (string | null)[]; atMs: number }) | undefined,
    insert: (entry: Prepared<T>) => AcceptedItem,
  ): Promise<AcceptedItem[]> {
    let prepared: Prepared<T>[];
    let requestIds: string | undefined;
    try {
      this.#ensureOpen();
      prepared = items.map(prepare);
      if (request !== undefined) requestIds = JSON.stringify(request.ids);
    } catch (error) {
      return rejected(error);
    }
    if (prepared.length === 0 && request === undefined) return Promise.resolve([]);
    const statements = this.#statements;
    const results: AcceptedItem[] = [];
    return this.#enqueue(
      () => {
        for (const entry of prepared) results.push(insert(entry));
        if (request !== undefined && requestIds !== undefined) {
          statements.insertRequest.run(request.key, request.bodyHash, requestIds, request.atMs);
        }
      },
      () => results,
    );
  }

  /** Inserts one new item (in a transaction under way). */
  #insertNew({ item, fields, bytes }: Prepared<NewItem>, atMs: number): AcceptedItem {
    const run = this.#statements.insertItem.run(item.id, item.account, item.ric, fields, bytes, atMs);
    if (run.changes === 1) {
      this.#counts.add(item.account, 1, bytes);
      return { kind: "stored", id: item.id, seq: Number(run.lastInsertRowid) };
    }
    const row = this.#statements.itemById.get(item.id);
    if (row === undefined) throw new Error(`outbox ${this.path}: item ${item.id} neither stored nor found`);
    return sameAs(row, item) ? { kind: "existing", item: toItem(row) } : { kind: "conflict", id: item.id };
  }

  /**
   * The cluster's view: records outcomes as the outcomes stream has them (`cursor` = its sequence, `item` in its
   * final state), in one transaction. An item the view does not have yet (the outcome came first) is stored from
   * the record; one final already is left as it is.
   * @returns the items that reached their final state with this call, as stored.
   */
  applyOutcomes(records: readonly OutcomeRecord[]): Promise<StoredItem[]> {
    let prepared: { record: OutcomeRecord; columns: SettlementColumns; entry: Prepared<SequencedItem> }[];
    try {
      this.#ensureOpen();
      prepared = records.map((record) => ({
        record,
        columns: settlementColumns(settlementOf(record.item)),
        entry: prepare(record.item),
      }));
    } catch (error) {
      return rejected(error);
    }
    if (prepared.length === 0) return Promise.resolve([]);
    const statements = this.#statements;
    const changed: StoredItem[] = [];
    return this.#enqueue(
      () => {
        for (const { record, columns, entry } of prepared) {
          const { item } = record;
          this.#insertAt(entry);
          const atMs = item.settledAtMs ?? item.acceptedAtMs;
          const { state, postId, nakCode, text, into, id } = columns;
          const row = statements.settle.get(state, atMs, postId, nakCode, text, into, id);
          if (row === undefined) continue; // final already
          statements.insertOutcomeAt.run(record.cursor, row.seq, atMs);
          this.#counts.recordOutcome(record.cursor);
          this.#counts.add(row.account, -1, -row.bytes);
          if (state === "acked") statements.upsertLastValues.run(atMs, row.seq);
          const stored = statements.itemById.get(id);
          if (stored !== undefined) changed.push(toItem(stored));
        }
      },
      () => changed,
    );
  }

  /** Inserts one item at its seq (the view's insert, in a transaction under way). */
  #insertAt({ item, fields, bytes }: Prepared<SequencedItem>): AcceptedItem {
    const statements = this.#statements;
    const run = statements.insertItemAt.run(
      item.seq,
      item.id,
      item.account,
      item.ric,
      fields,
      bytes,
      item.acceptedAtMs,
    );
    if (run.changes === 1) {
      this.#counts.add(item.account, 1, bytes);
      return { kind: "stored", id: item.id, seq: item.seq };
    }
    const row = statements.itemById.get(item.id);
    if (row === undefined) return { kind: "conflict", id: item.id }; // its seq holds another item
    return sameAs(row, item) ? { kind: "existing", item: toItem(row) } : { kind: "conflict", id: item.id };
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
  settle(settlements: readonly Settlement[], atMs: number): Promise<string[]> {
    let columns: SettlementColumns[];
    try {
      this.#ensureOpen();
      columns = settlements.map(settlementColumns);
    } catch (error) {
      return rejected(error);
    }
    if (columns.length === 0) return Promise.resolve([]);
    const statements = this.#statements;
    const changed: string[] = [];
    return this.#enqueue(
      () => {
        for (const { state, postId, nakCode, text, into, id } of columns) {
          const row = statements.settle.get(state, atMs, postId, nakCode, text, into, id);
          if (row === undefined) continue; // unknown, or final already: exactly one final outcome per item
          this.#counts.recordOutcome(Number(statements.insertOutcome.run(row.seq, atMs).lastInsertRowid));
          this.#counts.add(row.account, -1, -row.bytes);
          if (state === "acked") statements.upsertLastValues.run(atMs, row.seq);
          changed.push(id);
        }
      },
      () => changed,
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
          this.#counts.add(into.account, 0, bytes - before);
          for (const id of merge.from) {
            const row = statements.settle.get("conflated", atMs, null, null, null, merge.into, id);
            if (row === undefined) continue;
            this.#counts.recordOutcome(Number(statements.insertOutcome.run(row.seq, atMs).lastInsertRowid));
            this.#counts.add(row.account, -1, -row.bytes);
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
    return this.#counts.lastCursor;
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
    return this.#counts.depth(account);
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
    return this.#commits.stats();
  }

  /** SQLite's `PRAGMA integrity_check` of the file as committed: "ok", or what is wrong, one problem a line. */
  integrityCheck(): string {
    const db = this.#ensureOpen();
    return (db.pragma("integrity_check") as { integrity_check: string }[]).map((row) => row.integrity_check).join("\n");
  }

  /** Commits what is queued (its promises settle first), then closes the file. Idempotent. */
  close(): Promise<void> {
    if (this.#closed === undefined) {
      this.#commits.stop();
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
    return this.#commits.enqueue(execute, result);
  }

  /** Whether it is open and its last transaction committed (false after a failed one, until one commits). */
  get writable(): boolean {
    return this.#db !== undefined && !this.#commits.lastWriteFailed;
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
  const db = await openOutboxFile(path, settings);
  try {
    return new SqliteOutbox(path, db);
  } catch (error) {
    db.close();
    // Our magic and version, but a table or column missing.
    throw refusal(path, error, "damaged");
  }
}

/** A rejected promise with `error` (made an Error when it is not one). */
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

function clampLimit(limit: number): number {
  return Number.isNaN(limit) ? 0 : Math.max(0, Math.min(Math.floor(limit), MAX_LIMIT));
}
