/**
 * The inbound stream (docs/cluster.md, "The inbound stream"): every accepted item is a JetStream message on
 * `<prefix>.in.<account>.<ric>`, published with `Nats-Msg-Id` = the item's id so that JetStream's duplicate
 * window drops a replay, and acknowledged by the stream (stored on its replicas) before the producer hears
 * "accepted". Producers may publish there directly, without HTTP: the message is `{ "fields", "id"? }` as JSON
 * (the RIC comes from the subject), checked exactly as an HTTP item is.
 */
import type { JetStreamClient, JetStreamManager, PubAck } from "@nats-io/jetstream";
import { type CheckedItem, checkItem } from "../items.js";
import { ensureStream, NANOS_PER_MS } from "./streams.js";
import type { ClusterSubjects } from "./subjects.js";

/** Options of {@link ensureInboundStream}. */
export interface InboundStreamOptions {
  /** The stream's name. @default "RCC_INBOUND" */
  name?: string;
  /** Copies of each message, on as many servers (1, 3 or 5). @default 1 */
  replicas?: number;
  /** How long a `Nats-Msg-Id` is remembered to drop a duplicate, milliseconds. @default 120_000 */
  duplicateWindowMs?: number;
  /** How long a message is kept, milliseconds (outcomes are kept for lookups as long). @default 86_400_000 */
  maxAgeMs?: number;
}

/** The defaults of {@link InboundStreamOptions}. */
const DEFAULT_INBOUND_STREAM = Object.freeze({
  name: "RCC_INBOUND",
  replicas: 1,
  duplicateWindowMs: 120_000,
  maxAgeMs: 86_400_000,
});

/**
 * Creates the inbound stream, or checks that the one there takes the cluster's subjects.
 * @returns the stream's name.
 * @throws Error when a stream of that name exists with other subjects (another cluster's, or a typo).
 */
export async function ensureInboundStream(
  jsm: JetStreamManager,
  subjects: ClusterSubjects,
  options: InboundStreamOptions = {},
): Promise<string> {
  const settings = { ...DEFAULT_INBOUND_STREAM, ...options };
  return ensureStream(jsm, {
    name: settings.name,
    subjects: [subjects.allInbound],
    num_replicas: settings.replicas,
    duplicate_window: settings.duplicateWindowMs * NANOS_PER_MS,
    max_age: settings.maxAgeMs * NANOS_PER_MS,
  });
}

/** One item as the gateway publishes it: checked, with its id and account. */
export interface InboundItem extends CheckedItem {
  id: string;
  account: string;
}

/** Options of {@link publishItem}. */
export interface PublishOptions {
  /** How long to keep trying, milliseconds: a stream leader change takes a few seconds. @default 10_000 */
  retryForMs?: number;
  /** Wait for one PubAck, milliseconds. @default 2_000 */
  timeoutMs?: number;
}

/**
 * Publishes `item` and waits for the stream's acknowledgement. A failure that a stream leader change or a
 * slow server causes (a timeout, "no responders", JetStream not ready) is retried with the same `Nats-Msg-Id`
 * until `retryForMs`, so a publish that did reach the stream is not stored twice.
 * @returns the PubAck (`duplicate` true when the stream had the id already: a replay).
 * @throws the last error once `retryForMs` is spent, or at once for a failure a retry cannot fix.
 */
export async function publishItem(
  js: JetStreamClient,
  subjects: ClusterSubjects,
  item: InboundItem,
  options: PublishOptions = {},
): Promise<PubAck> {
  const retryForMs = options.retryForMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const body = JSON.stringify({ fields: item.fields, id: item.id });
  const deadline = performance.now() + retryForMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await js.publish(subjects.inbound(item.account, item.ric), body, { msgID: item.id, timeout: timeoutMs });
    } catch (error) {
      // Another attempt only if it can finish (its own timeout included) before the deadline.
      if (!isRetryable(error) || performance.now() + 100 + timeoutMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** Math.min(attempt, 5))));
    }
  }
}

/**
 * Failures of a publish that a later attempt may not have, by the client's error classes: no PubAck in time
 * (`TimeoutError`), nobody listening on the stream's subject (`NoRespondersError`, named "NoResponders"; also as the cause of a
 * `RequestError`), and `JetStreamNotEnabled`, which is what the client reports while a stream leader is being
 * elected. A server without JetStream at all fails the same way, for `retryForMs`, then for good.
 */
const RETRYABLE = new Set(["TimeoutError", "NoResponders", "NoRespondersError", "JetStreamNotEnabled"]);

function isRetryable(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 4; depth++) {
    if (RETRYABLE.has(cause.name)) return true;
    cause = cause.cause;
  }
  return false;
}

/** What {@link decodeInbound} makes of one message. */
export type DecodedInbound = { kind: "item"; item: InboundItem } | { kind: "invalid"; id: string; error: string };

/** The parts of a stream message {@link decodeInbound} reads. */
interface MessageView {
  subject: string;
  data: Uint8Array;
  /** The stream sequence: the id of an item that came without one. */
  seq: number;
  /** The `Nats-Msg-Id` header, if any. */
  msgId?: string;
}

/**
 * Reads one message of the inbound stream as an item, checked as an HTTP item is (schema, RIC, field names and
 * values, frame size). Its id is the body's `id`, else its `Nats-Msg-Id`, else `n-<stream sequence>`; a bad
 * message still gets an id, so its outcome (`failed` with the reason) can be looked up.
 */
export function decodeInbound(subjects: ClusterSubjects, message: MessageView): DecodedInbound {
  const fallbackId = message.msgId ?? `n-${message.seq}`;
  const route = subjects.parseInbound(message.subject);
  if (route === undefined)
    return { kind: "invalid", id: fallbackId, error: `not an inbound subject: ${message.subject}` };
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(message.data));
  } catch {
    return { kind: "invalid", id: fallbackId, error: "the message is not JSON text" };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { kind: "invalid", id: fallbackId, error: 'a message must be a JSON object: { "fields", "id"? }' };
  }
  const { ric, ...rest } = body as Record<string, unknown>;
  if (ric !== undefined && ric !== route.ric) {
    return {
      kind: "invalid",
      id: fallbackId,
      error: `ric ${JSON.stringify(ric)} differs from the subject's ${JSON.stringify(route.ric)}`,
    };
  }
  const checked = checkItem({ ...rest, ric: route.ric });
  if ("error" in checked) return { kind: "invalid", id: fallbackId, error: checked.error };
  return { kind: "item", item: { ...checked, id: checked.id ?? fallbackId, account: route.account } };
}

/** {@link decodeInbound} of a JetStream message as the client delivers it (its id header read). */
export function decodeDelivered(
  subjects: ClusterSubjects,
  message: { subject: string; data: Uint8Array; seq: number; headers?: { get(key: string): string } | undefined },
): DecodedInbound {
  const value = message.headers?.get("Nats-Msg-Id");
  const msgId = value === undefined || value === "" ? undefined : value;
  return decodeInbound(subjects, {
    subject: message.subject,
    data: message.data,
    seq: message.seq,
    ...(msgId === undefined ? {} : { msgId }),
  });
}
