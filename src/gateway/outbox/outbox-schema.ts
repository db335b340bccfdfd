/**
 * The outbox's SQLite schema (tables, indexes, and the meta rows that mark a file as ours) and every statement
 * the outbox runs on it, with the shapes of the rows they read.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { ItemState } from "./outbox.js";

/** What `meta.format` holds in every outbox. */
export const FORMAT = "rcc-gateway-outbox";
/** The schema this code writes and reads. */
export const SCHEMA_VERSION = 1;

/** The tables and indexes of a new outbox, and the meta rows that mark it as one. */
export const SCHEMA = `
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

/** An `items` row as the statements read it. */
export interface ItemRow {
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

/** A `requests` row. */
interface RequestRow {
  key: string;
  body_hash: string;
  ids: string;
  at: number;
}

/** What settling an item returns of it. */
interface SettledRow {
  seq: number;
  account: string;
  bytes: number;
}

/** A `last_values` row of one RIC. */
interface LastValueRow {
  field: string;
  value: number | string | null;
  id: string;
  seq: number;
  acked_at: number;
}

/** A prepared statement taking `Parameters`, reading rows of `Row`. */
type Statement<Parameters extends unknown[], Row = unknown> = BetterSqlite3.Statement<Parameters, Row>;

/**
 * Every statement the outbox runs, by name, with what it binds and reads. Spelled out (not inferred from
 * {@link prepareStatements}) because the type better-sqlite3 infers cannot be named in a declaration file.
 */
export interface Statements {
  insertItem: Statement<[string, string, string, string, number, number]>;
  insertItemAt: Statement<[number, string, string, string, string, number, number]>;
  itemById: Statement<[string], ItemRow>;
  insertRequest: Statement<[string, string, string, number]>;
  requestByKey: Statement<[string], RequestRow>;
  pending: Statement<[string, number, number], ItemRow>;
  unanswered: Statement<[string], ItemRow>;
  oldestAccepted: Statement<[string], number>;
  oldestSent: Statement<[string], number>;
  markSent: Statement<[number, number, string]>;
  markUnsent: Statement<[string]>;
  conflateInto: Statement<[string, number, string]>;
  settle: Statement<
    [ItemState, number, number | null, string | null, string | null, string | null, string],
    SettledRow
  >;
  insertOutcome: Statement<[number, number]>;
  insertOutcomeAt: Statement<[number, number, number]>;
  upsertLastValues: Statement<[number, number]>;
  outcomesAfter: Statement<[number, number], ItemRow & { cursor: number }>;
  lastValues: Statement<[string, number], LastValueRow>;
  compactionBound: Statement<[number, number], number>;
  compactItems: Statement<[number, number]>;
  compactOutcomes: Statement<[number, number]>;
  compactRequests: Statement<[number, number]>;
}

/** Every statement the outbox runs, prepared once at open. */
export function prepareStatements(db: BetterSqlite3.Database): Statements {
  return {
    insertItem: db.prepare<[string, string, string, string, number, number]>(
      "INSERT INTO items (id, account, ric, fields, bytes, state, accepted_at) VALUES (?, ?, ?, ?, ?, 'accepted', ?) " +
        "ON CONFLICT (id) DO NOTHING",
    ),
    // The cluster's view (cluster/cluster-outbox.ts): an item at the inbound stream's sequence. Either unique
    // column may conflict (the same message seen by two paths): nothing happens then.
    insertItemAt: db.prepare<[number, string, string, string, string, number, number]>(
      "INSERT INTO items (seq, id, account, ric, fields, bytes, state, accepted_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, 'accepted', ?) ON CONFLICT DO NOTHING",
    ),
    itemById: db.prepare<[string], ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE id = ?`),
    insertRequest: db.prepare<[string, string, string, number]>(
      "INSERT INTO requests (key, body_hash, ids, at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
    ),
    requestByKey: db.prepare<[string], RequestRow>("SELECT key, body_hash, ids, at FROM requests WHERE key = ?"),
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
      SettledRow
    >(
      "UPDATE items SET state = ?, settled_at = ?, post_id = coalesce(?, post_id), nak_code = ?, text = ?, " +
        "conflated_into = ? WHERE id = ? AND state IN ('accepted', 'sent') RETURNING seq, account, bytes",
    ),
    insertOutcome: db.prepare<[number, number]>("INSERT INTO outcomes (item_seq, at) VALUES (?, ?)"),
    // The cluster's view: an outcome at the outcomes stream's sequence.
    insertOutcomeAt: db.prepare<[number, number, number]>(
      "INSERT INTO outcomes (cursor, item_seq, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
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
    lastValues: db.prepare<[string, number], LastValueRow>(
      "SELECT field, value, id, seq, acked_at FROM last_values WHERE ric = ? LIMIT ?",
    ),
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
