/**
 * The outcomes stream (docs/cluster.md, "The outcomes stream"): the final outcome of every item, one message on
 * `<prefix>.out.<item id>`, so that any gateway — not only the account's leader — can answer a lookup of an id,
 * a `wait=ack` and the outcome feed. A message is written only if its subject has none yet, so an item has
 * exactly one final outcome even when it was sent twice (a leader that died after recording the outcome and
 * before acknowledging the item to the inbound stream leaves the next leader to send it again). The stream
 * sequence is the outcome feed's cursor: it survives restarts of the gateways and of NATS.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { StoredItem } from "../outbox/outbox.js";
import { isWrongLastSequence } from "./lease.js";
import { ensureStream, NANOS_PER_MS, PULL_EXPIRES_MS } from "./streams.js";
import type { ClusterSubjects } from "./subjects.js";

/** Options of {@link ensureOutcomeStream}. */
export interface OutcomeStreamOptions {
  /** The stream's name. @default "RCC_OUTCOMES" */
  name?: string;
  /** Copies of each message (1, 3 or 5). @default 1 */
  replicas?: number;
  /** How long outcomes are kept for lookups and the feed, milliseconds. @default 86_400_000 (24 h) */
  maxAgeMs?: number;
}

/**
 * Creates the outcomes stream, or checks that the one there takes the cluster's subjects.
 * @returns the stream's name.
 * @throws Error when a stream of that name exists with other subjects.
 */
export async function ensureOutcomeStream(
  jsm: JetStreamManager,
  subjects: ClusterSubjects,
  options: OutcomeStreamOptions = {},
): Promise<string> {
  return ensureStream(jsm, {
    name: options.name ?? "RCC_OUTCOMES",
    subjects: [subjects.allOutcomes],
    num_replicas: options.replicas ?? 1,
    max_age: (options.maxAgeMs ?? 86_400_000) * NANOS_PER_MS,
    max_msgs_per_subject: 1,
  });
}

/** What {@link recordOutcome} did. */
export type RecordedOutcome = { recorded: true; cursor: number } | { recorded: false; existing: StoredItem };

/**
 * Records `item` (in a final state) as its outcome, unless one is recorded already.
 * @returns the cursor of the new record, or the outcome that was there first (which stays the item's outcome).
 */
export async function recordOutcome(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  subjects: ClusterSubjects,
  item: StoredItem,
): Promise<RecordedOutcome> {
  try {
    const ack = await js.publish(subjects.outcome(item.id), JSON.stringify(item), {
      expect: { lastSubjectSequence: 0 },
    });
    return { recorded: true, cursor: ack.seq };
  } catch (error) {
    if (!isWrongLastSequence(error)) throw error; // someone recorded this item's outcome first
    const existing = await lookUpOutcome(jsm, stream, subjects, item.id);
    if (existing === undefined) throw error;
    return { recorded: false, existing: existing.item };
  }
}

/** An outcome as the feed and lookups give it. */
export interface OutcomeEntry {
  /** Its stream sequence: pass it as `after` to continue the feed behind it. */
  cursor: number;
  item: StoredItem;
}

/** The recorded outcome of item `id`, or undefined when it has none (not final yet, unknown, or expired). */
export async function lookUpOutcome(
  jsm: JetStreamManager,
  stream: string,
  subjects: ClusterSubjects,
  id: string,
): Promise<OutcomeEntry | undefined> {
  const message = await jsm.streams.getMessage(stream, { last_by_subj: subjects.outcome(id) });
  return message === null ? undefined : { cursor: message.seq, item: message.json<StoredItem>() };
}

/**
 * The outcomes recorded after `after` (a cursor; 0 = from the oldest kept), in order, then each new one as it is
 * recorded, until `signal` aborts.
 */
export async function* followOutcomes(
  js: JetStreamClient,
  stream: string,
  after: number,
  signal: AbortSignal,
): AsyncGenerator<OutcomeEntry> {
  // A function, not the property: TypeScript would take `aborted` for false after the first check.
  const aborted = (): boolean => signal.aborted;
  if (aborted()) return;
  const consumer = await js.consumers.get(
    stream,
    after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 } : {},
  );
  const messages = await consumer.consume({ expires: PULL_EXPIRES_MS });
  const stop = () => void messages.close();
  signal.addEventListener("abort", stop, { once: true });
  if (aborted()) stop(); // aborted while the consumer was being made: the listener came too late
  try {
    for await (const message of messages) {
      yield { cursor: message.seq, item: message.json<StoredItem>() };
      if (aborted()) break;
    }
  } finally {
    signal.removeEventListener("abort", stop);
    await messages.close();
  }
}
