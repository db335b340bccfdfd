/**
 * The gateway's durable outbox: every contribution it accepts is stored here before the producer hears
 * "accepted", and stays until it has one final outcome (docs/gateway.md, "The outbox"). This file is the
 * contract; sqlite-outbox.ts is the implementation on a SQLite file (WAL, group commit). The dispatcher reads
 * pending items in acceptance order, marks them sent, and settles them; the HTTP API reads states, outcomes
 * and last values. Nothing here talks to RCC.
 *
 * An item's states: `accepted` (stored, not yet written to RCC) → `sent` (written, no answer recorded) →
 * one final state: `acked`, `naked` (RCC refused it: code and text), `failed` (no outcome could be had: the
 * text says why), `conflated` (merged into a newer queued item of the same RIC, named by `conflatedInto`)
 * or `superseded` (newer acknowledged items of the same RIC carried every one of its fields, so re-sending it
 * after a lost answer would only have overwritten them). A `sent` item goes back to `accepted` when its answer
 * is lost (connection gone, Ack timeout, restart) and is sent again.
 */

/** A field value as stored and posted: a number, a string, or `null` (blank). */
type StoredFieldValue = number | string | null;

/** The fields of one contribution, by field name. */
export type StoredFields = Readonly<Record<string, StoredFieldValue>>;

/** Where an item is on its way to RCC. */
export type ItemState = "accepted" | "sent" | "acked" | "naked" | "failed" | "conflated" | "superseded";

/** States an item never leaves. */
export const FINAL_STATES: ReadonlySet<ItemState> = new Set<ItemState>([
  "acked",
  "naked",
  "failed",
  "conflated",
  "superseded",
]);

/** A contribution to store: validated and routed by the caller. */
export interface NewItem {
  /** The item's id: the producer's own, or one the gateway made; unique in the outbox. */
  id: string;
  /** The account (its name in the configuration) that will post it. */
  account: string;
  ric: string;
  fields: StoredFields;
}

/** An item as stored. Times are wall-clock milliseconds since the epoch. */
export interface StoredItem {
  /** Acceptance order over the whole outbox: larger is newer. */
  seq: number;
  id: string;
  account: string;
  ric: string;
  fields: StoredFields;
  state: ItemState;
  acceptedAtMs: number;
  /** The latest time it was written to RCC. */
  sentAtMs?: number;
  /** When it reached its final state. */
  settledAtMs?: number;
  /** The PostID of its latest sending (per connection, so only meaningful with `sentAtMs`). */
  postId?: number;
  /** Times it was written to RCC. */
  attempts: number;
  /** `naked`: RCC's NakCode. */
  nakCode?: string;
  /** `naked`/`failed`: the reason, as RCC or the gateway gave it. */
  text?: string;
  /** `conflated`: the id of the item it was merged into. */
  conflatedInto?: string;
}

/** What `accept` did with one item. */
export type AcceptedItem =
  /** Newly stored. */
  | { kind: "stored"; id: string; seq: number }
  /** An item with this id and the same RIC and fields was already stored: nothing new (a replay). */
  | { kind: "existing"; item: StoredItem }
  /** An item with this id but another RIC or other fields exists: refused. */
  | { kind: "conflict"; id: string };

/** A request made idempotent by its `Idempotency-Key`. */
export interface IdempotentRequest {
  key: string;
  /** A hash of the request body: a replay with another body is refused. */
  bodyHash: string;
}

/** The answer to a request, stored under its Idempotency-Key, replayed as it was. */
export interface StoredRequest {
  key: string;
  bodyHash: string;
  /** The ids of its items, in request order (an item refused by validation has none: `null`). */
  ids: readonly (string | null)[];
  atMs: number;
}

/** A final outcome to store (`postId`: of the sending that was answered). */
export type Settlement =
  | { id: string; state: "acked"; postId?: number }
  | { id: string; state: "naked"; nakCode: string; text: string; postId?: number }
  | { id: string; state: "failed"; text: string }
  | { id: string; state: "superseded" }
  | { id: string; state: "conflated"; into: string };

/** Queued items of one RIC merged into the newest of them (`into`), which then carries `fields`. */
export interface ConflationMerge {
  /** The newest item: it stays `accepted`, with the merged fields. */
  into: string;
  /** The merged fields: the older items' with the newer ones' on top. */
  fields: StoredFields;
  /** The older items: they become `conflated` into `into`. */
  from: readonly string[];
}

/** One entry of the outcome log: every final state, in the order it was reached. */
export interface OutcomeRecord {
  /** Position in the log: increasing, survives restarts, never reused. */
  cursor: number;
  item: StoredItem;
}

/** How much is waiting for one account. */
export interface OutboxDepth {
  /** Items not yet final. */
  items: number;
  /** Their size (RIC and fields as JSON), bytes. */
  bytes: number;
  /** Acceptance time of the oldest of them, or undefined when none waits. */
  oldestAcceptedAtMs: number | undefined;
}

/** The last acknowledged value of one field of a RIC. */
export interface LastValue {
  value: StoredFieldValue;
  /** The item that carried it. */
  id: string;
  seq: number;
  ackedAtMs: number;
}

/** The outbox could not store a request's items now (cluster mode: NATS did not acknowledge them in time). */
export class OutboxUnavailableError extends Error {
  override name = "OutboxUnavailableError";
}

/**
 * The request's Idempotency-Key was used for another body (cluster mode: found by its claim, which another
 * gateway may have made).
 */
export class RequestConflictError extends Error {
  override name = "RequestConflictError";
  constructor() {
    super("this Idempotency-Key was used with another body");
  }
}

/**
 * The durable store of a gateway's contributions. Writes are durable when their promise resolves (group
 * commit: the writes of one event-loop turn share one transaction); reads see every resolved write.
 */
export interface Outbox {
  /** The file it lives in. */
  readonly path: string;

  /** Whether it is open and its last write committed (false after a failed one, until a later one commits). */
  readonly writable: boolean;

  /**
   * True when items may reach their final state by other means than this gateway's dispatchers, at any moment
   * (cluster mode: another gateway leads the account), so that a wait must also read the states once it began.
   * @default undefined (false)
   */
  readonly settlesElsewhere?: boolean;

  /**
   * Stores new items (state `accepted`), in order, and the request under its Idempotency-Key when given.
   * Resolves once they are durable. An id already stored is not stored again (`existing` or `conflict`).
   * @param atMs the acceptance time, epoch milliseconds.
   * @param request with `ids`, the request's answer to replay (null for an item refused before storage).
   */
  accept(
    items: readonly NewItem[],
    atMs: number,
    request?: IdempotentRequest & { ids: readonly (string | null)[] },
  ): Promise<AcceptedItem[]>;

  /** The stored request under an Idempotency-Key, if any (and not yet compacted). */
  request(key: string): StoredRequest | undefined;

  /** One item by id, if stored (and not yet compacted). */
  get(id: string): StoredItem | undefined;

  /** Several items by id, in the same order (undefined where unknown). */
  getMany(ids: readonly string[]): (StoredItem | undefined)[];

  /**
   * Items of `account` in state `accepted`, oldest first, with `seq` above `afterSeq`, at most `limit`
   * (the dispatcher's read of what to send next).
   */
  pending(account: string, afterSeq: number, limit: number): StoredItem[];

  /** Items of `account` in state `sent` (after a restart: their answers were lost), oldest first. */
  unanswered(account: string): StoredItem[];

  /** Records that items were written to RCC (state `sent`, `attempts` + 1). Durable when it resolves. */
  markSent(sent: readonly { id: string; postId: number }[], atMs: number): Promise<void>;

  /** Puts `sent` items whose answer was lost back to `accepted`, to be sent again. */
  markUnsent(ids: readonly string[]): Promise<void>;

  /**
   * Records final outcomes (and, for `acked`, each field as the RIC's last value unless a newer item's value
   * is already recorded), appends each to the outcome log. An item already final is left as it is.
   * @returns the ids that reached their final state with this call (the others were unknown or final already).
   */
  settle(settlements: readonly Settlement[], atMs: number): Promise<string[]>;

  /**
   * Merges queued items into the newest of their RIC, in one transaction: `into` gets the merged fields (so
   * nothing of the older items is lost if the gateway dies now), each of `from` becomes `conflated`. Only
   * items still `accepted` take part.
   */
  conflate(merges: readonly ConflationMerge[], atMs: number): Promise<void>;

  /** Outcome records after `cursor`, oldest first, at most `limit`. */
  outcomesAfter(cursor: number, limit: number): OutcomeRecord[];

  /** The newest cursor in the outcome log (0 when empty). */
  lastCursor(): number;

  /** The last acknowledged value of each field of `ric` (empty when none). */
  lastValues(ric: string): Record<string, LastValue>;

  /** Items and bytes waiting for `account`. */
  depth(account: string): OutboxDepth;

  /**
   * Deletes final items, outcome records and stored requests settled (or made) before `beforeMs`.
   * Last values stay. @returns how many items were deleted.
   */
  compact(beforeMs: number): Promise<number>;

  /** Commits what is pending and closes the file. Idempotent. */
  close(): Promise<void>;
}
