/**
 * The leader's side of the inbound stream for one account (docs/cluster.md, "The leader's consumer"): a
 * durable pull consumer on `<prefix>.in.<account>.*` with explicit acks. Each message is handed over in stream
 * order and acknowledged to JetStream only once its outcome is recorded (at least once towards RCC: a message
 * whose leader died before the ack is delivered again, to the next leader). A message that is not a valid item
 * is reported with its reason and terminated, so it never blocks the account.
 */
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { type Logger, silentLogger } from "../../index.js";
import { decodeInbound, type InboundItem, msgIdOf } from "./inbound-stream.js";
import { leaseKey } from "./lease.js";
import type { ClusterSubjects } from "./subjects.js";

/** How one delivery of an item went. */
export type HandledItem = "done" | "again";

/** Options of {@link AccountConsumer}. */
export interface AccountConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The inbound stream's name. */
  stream: string;
  subjects: ClusterSubjects;
  account: string;
  /** How long JetStream waits for an ack before it delivers a message again, milliseconds. @default 30_000 */
  ackWaitMs?: number;
  /** Messages delivered and not yet acknowledged, at most (JetStream holds back the rest). @default 2_000 */
  maxAckPending?: number;
  /**
   * Called for each item, in stream order, without waiting for the ones before to finish. Resolve `"done"` once
   * its outcome is recorded (the message is then acknowledged), `"again"` to have it delivered again later.
   * A rejection counts as `"again"`.
   */
  handle(item: InboundItem, delivery: { seq: number; deliveryCount: number }): Promise<HandledItem>;
  /** Called for a message that is not a valid item, with the id it is known by and why; then it is terminated. */
  invalid(id: string, error: string, seq: number): Promise<void>;
  log?: Logger;
}

/** The durable consumer's name for `account` (letters, digits, `-` and `_` only, as JetStream wants). */
export function consumerName(account: string): string {
  return `rcc-${leaseKey(account).slice("lease.".length)}`;
}

/** Delay before a message handed back with `"again"` is delivered again, milliseconds. */
const AGAIN_DELAY_MS = 1_000;

/** One account's consumer of the inbound stream. */
export class AccountConsumer {
  readonly #options: AccountConsumerOptions;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: AccountConsumerOptions) {
    this.#options = options;
  }

  /** Creates the durable consumer if it is missing, and starts taking messages. */
  async start(): Promise<void> {
    if (this.#messages !== undefined) return;
    const { js, jsm, stream, subjects, account } = this.#options;
    const name = consumerName(account);
    await jsm.consumers.add(stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subjects.inboundOf(account),
      ack_wait: (this.#options.ackWaitMs ?? 30_000) * 1_000_000,
      max_ack_pending: this.#options.maxAckPending ?? 2_000,
    });
    const consumer = await js.consumers.get(stream, name);
    const messages = await consumer.consume({ max_messages: Math.min(500, this.#options.maxAckPending ?? 2_000) });
    this.#messages = messages;
    this.#loop = (async () => {
      for await (const message of messages) this.#take(message);
    })();
  }

  /**
   * Stops taking messages and waits for the ones being handled; what is not acknowledged is delivered again
   * after the ack wait, to whichever gateway consumes the account then.
   */
  async stop(): Promise<void> {
    const messages = this.#messages;
    if (messages === undefined) return;
    this.#messages = undefined;
    await messages.close();
    await this.#loop;
    await Promise.all(this.#inFlight);
  }

  #take(message: JsMsg): void {
    const options = this.#options;
    const { subjects, log = silentLogger } = options;
    const msgId = msgIdOf(message.headers);
    const decoded = decodeInbound(subjects, {
      subject: message.subject,
      data: message.data,
      seq: message.seq,
      ...(msgId === undefined ? {} : { msgId }),
    });
    const work =
      decoded.kind === "invalid"
        ? options.invalid(decoded.id, decoded.error, message.seq).then(() => message.term()) // no reason: nats-server 2.9 does not read one
        : options.handle(decoded.item, { seq: message.seq, deliveryCount: message.info.deliveryCount }).then(
            (result) => (result === "done" ? message.ack() : message.nak(AGAIN_DELAY_MS)),
            () => message.nak(AGAIN_DELAY_MS),
          );
    const tracked = work.catch((error: unknown) => {
      log.error({ err: error, seq: message.seq }, "an inbound message could not be settled; it is delivered again");
    });
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }
}
