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
import { decodeDelivered, type InboundItem } from "./inbound-stream.js";
import { leaseKey } from "./lease.js";
import { PULL_EXPIRES_MS } from "./streams.js";
import type { ClusterSubjects } from "./subjects.js";

/** How one delivery of an item went. */
export type HandledItem = "done" | "again";

/** Which delivery of which message an item came in. */
interface ItemDelivery {
  /** The inbound stream's sequence. */
  seq: number;
  /** 1 for the first delivery. */
  deliveryCount: number;
  /** When the stream stored the message, epoch milliseconds. */
  acceptedAtMs: number;
}

/** Options of {@link AccountConsumer}. */
export interface AccountConsumerOptions {
  /** The JetStream client of this gateway's NATS connection. */
  js: JetStreamClient;
  /** Its JetStream manager (creates the durable consumer). */
  jsm: JetStreamManager;
  /** The inbound stream's name. */
  stream: string;
  /** The cluster's subjects. */
  subjects: ClusterSubjects;
  /** The account whose items this consumer takes. */
  account: string;
  /**
   * How long JetStream waits for an ack before it delivers a message again, milliseconds; a message being
   * handled is reported in progress every half of it, so a slow outcome (RCC reconnecting) is not delivered
   * twice. @default DEFAULT_ACCOUNT_CONSUMER.ackWaitMs
   */
  ackWaitMs?: number;
  /**
   * Messages delivered and not yet acknowledged, at most (JetStream holds back the rest).
   * @default DEFAULT_ACCOUNT_CONSUMER.maxAckPending
   */
  maxAckPending?: number;
  /**
   * Whether this gateway may act for the account now (the lease's fencing check): a message delivered while it
   * may not is handed back untouched, for the account's next leader. @default always
   */
  mayAct?: () => boolean;
  /**
   * Called for each item, in stream order, without waiting for the ones before to finish. Resolve `"done"` once
   * its outcome is recorded (the message is then acknowledged), `"again"` to have it delivered again later.
   * A rejection counts as `"again"`.
   */
  handle(item: InboundItem, delivery: ItemDelivery): Promise<HandledItem>;
  /** Called for a message that is not a valid item, with the id it is known by and why; then it is terminated. */
  invalid(id: string, error: string, seq: number): Promise<void>;
  /** Where failures to settle a message are logged. @default silentLogger */
  log?: Logger;
}

/** The defaults of {@link AccountConsumerOptions}. */
const DEFAULT_ACCOUNT_CONSUMER = Object.freeze({ ackWaitMs: 30_000, maxAckPending: 2_000 });

/** The durable consumer's name for `account` (letters, digits, `-` and `_` only, as JetStream wants). */
export function consumerName(account: string): string {
  return `rcc-${leaseKey(account).slice("lease.".length)}`;
}

/** Delay before a message handed back with `"again"` is delivered again, milliseconds. */
const AGAIN_DELAY_MS = 1_000;

/** One account's consumer of the inbound stream. */
export class AccountConsumer {
  readonly #options: AccountConsumerOptions;
  readonly #ackWaitMs: number;
  readonly #maxAckPending: number;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;
  /** Messages being handled, by stream sequence (a redelivery of one of them is not handled twice). */
  readonly #inFlight = new Map<number, { message: JsMsg; done: Promise<void> }>();
  #progressTimer: NodeJS.Timeout | undefined;

  /** @throws RangeError when ackWaitMs or maxAckPending is not a positive whole number. */
  constructor(options: AccountConsumerOptions) {
    this.#options = options;
    this.#ackWaitMs = options.ackWaitMs ?? DEFAULT_ACCOUNT_CONSUMER.ackWaitMs;
    this.#maxAckPending = options.maxAckPending ?? DEFAULT_ACCOUNT_CONSUMER.maxAckPending;
    for (const [name, value] of [
      ["ackWaitMs", this.#ackWaitMs],
      ["maxAckPending", this.#maxAckPending],
    ] as const) {
      if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${name} must be a whole number > 0`);
    }
  }

  /** Creates the durable consumer if it is missing, and starts taking messages. */
  async start(): Promise<void> {
    if (this.#messages !== undefined || this.#loop !== undefined || this.#stopped) return;
    const { js, jsm, stream, subjects, account, log = silentLogger } = this.#options;
    const name = consumerName(account);
    const settings = { ack_wait: this.#ackWaitMs * 1_000_000, max_ack_pending: this.#maxAckPending };
    try {
      await jsm.consumers.add(stream, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subjects.inboundOf(account),
        ...settings,
      });
    } catch (error) {
      // Made by a gateway with other settings (its ack wait or bound changed): those two can be changed.
      await jsm.consumers.update(stream, name, settings).catch(() => {
        throw error;
      });
    }
    const consumer = await js.consumers.get(stream, name);
    const messages = await consumer.consume({
      max_messages: Math.min(500, this.#maxAckPending),
      expires: PULL_EXPIRES_MS,
    });
    if (this.#isStopped()) {
      await messages.close(); // stopped while starting
      return;
    }
    this.#messages = messages;
    this.#progressTimer = setInterval(() => {
      for (const { message } of this.#inFlight.values()) message.working();
    }, this.#ackWaitMs / 2);
    this.#loop = (async () => {
      for await (const message of messages) this.#take(message);
    })().catch((error: unknown) => {
      log.error({ err: error, account }, "the account's consumer stopped taking messages");
    });
  }

  /**
   * Stops taking messages and waits for the ones being handled (they settle as the handler decides: the
   * dispatcher bounds that by its drain timeout); what is not acknowledged is delivered again after the ack
   * wait, to whichever gateway consumes the account then.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    const messages = this.#messages;
    this.#messages = undefined;
    try {
      if (messages !== undefined) await messages.close().catch(() => undefined); // its connection may be gone
      await this.#loop;
      await Promise.all([...this.#inFlight.values()].map((entry) => entry.done));
    } finally {
      if (this.#progressTimer !== undefined) clearInterval(this.#progressTimer);
    }
  }

  /** Whether stop() was called (a method: TypeScript would keep its value from before an await). */
  #isStopped(): boolean {
    return this.#stopped;
  }

  #take(message: JsMsg): void {
    const options = this.#options;
    const { subjects, log = silentLogger } = options;
    // A redelivery of a message still being handled here (its ack wait passed meanwhile): the first handling
    // acknowledges it; handling it again would post it twice.
    if (this.#inFlight.has(message.seq)) return;
    if (options.mayAct !== undefined && !options.mayAct()) {
      message.nak(AGAIN_DELAY_MS); // not ours to post any more: for the next leader
      return;
    }
    const decoded = decodeDelivered(subjects, message);
    // A handler that throws at once is a rejection like any other (the message is handed back).
    const work =
      decoded.kind === "invalid"
        ? Promise.resolve()
            .then(() => options.invalid(decoded.id, decoded.error, message.seq))
            .then(() => message.term()) // no reason given: nats-server 2.9 does not read one
        : Promise.resolve()
            .then(() =>
              options.handle(decoded.item, {
                seq: message.seq,
                deliveryCount: message.info.deliveryCount,
                acceptedAtMs: Math.floor(message.info.timestampNanos / 1e6),
              }),
            )
            .then(
              (result) => (result === "done" ? message.ack() : message.nak(AGAIN_DELAY_MS)),
              () => message.nak(AGAIN_DELAY_MS),
            );
    const done = work
      .catch((error: unknown) => {
        log.error({ err: error, seq: message.seq }, "an inbound message could not be settled; it is delivered again");
      })
      .finally(() => this.#inFlight.delete(message.seq));
    this.#inFlight.set(message.seq, { message, done });
  }
}
