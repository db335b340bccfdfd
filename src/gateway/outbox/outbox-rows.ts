/**
 * Between the contract's objects (outbox.ts) and the rows of the schema (outbox-schema.ts): checks of what is
 * to be stored, a settlement as the settle statement's columns, and an item row read back.
 */
import type { ItemState, NewItem, Settlement, StoredFields, StoredItem } from "./outbox.js";
import type { ItemRow } from "./outbox-schema.js";

/** Refuses what TypeScript cannot rule out at run time and SQLite or JSON would store as something else. */
export function checkNewItem(item: NewItem): void {
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

/** A settlement as the columns the settle statement writes. */
export interface SettlementColumns {
  id: string;
  state: ItemState;
  postId: number | null;
  nakCode: string | null;
  text: string | null;
  into: string | null;
}

/** The columns `settlement` writes. @throws TypeError for a state that is not final. */
export function settlementColumns(settlement: Settlement): SettlementColumns {
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

/** An item row as the contract gives it: columns that are null are left out. */
export function toItem(row: ItemRow): StoredItem {
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

export function parseFields(json: string): StoredFields {
  return JSON.parse(json) as StoredFields;
}

/** Fields as JSON with their names in sorted order: equal for equal fields given in any order. */
export function canonicalJson(fields: StoredFields): string {
  return JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** The item as the outbox holds it after `settlement` at `atMs` (what a read would return). */
export function settledView(item: StoredItem, settlement: Settlement, atMs: number): StoredItem {
  const view: StoredItem = { ...item, state: settlement.state, settledAtMs: atMs };
  switch (settlement.state) {
    case "acked":
      if (settlement.postId !== undefined) view.postId = settlement.postId;
      break;
    case "naked":
      view.nakCode = settlement.nakCode;
      view.text = settlement.text;
      if (settlement.postId !== undefined) view.postId = settlement.postId;
      break;
    case "failed":
      view.text = settlement.text;
      break;
    case "conflated":
      view.conflatedInto = settlement.into;
      break;
    case "superseded":
      break;
  }
  return view;
}
