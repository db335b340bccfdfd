/**
 * The gateway's outbox in cluster mode (docs/cluster.md, "How the gateway runs"): the same contract as
 * the single-node SQLite outbox (outbox/outbox.ts), so the HTTP API, its checks and its answers are the same.
 *
 * - **Writes go to NATS.** `accept` claims the request's Idempotency-Key (request-claims.ts), publishes each new
 *   item to the inbound stream and resolves once every PubAck is in.
 * - **Reads come from a local view**: a SQLite outbox file of the same schema, fed by two ordered consumers, one
 *   on the inbound stream (every account's items, at the stream's sequence) and one on the outcomes stream
 *   (their final states, at that stream's sequence, which is the outcome feed's cursor on every gateway).
 *   The view is a cache: it is rebuilt from the streams at each start.
 * - **The leader's side**: the account's consumer (account-consumer.ts) delivers items with {@link deliver};
 *   the account's dispatcher reads them with `pending`, as it reads the file in single-node mode, and its
 *   `settle` records each outcome in the outcomes stream (the first one wins) before the delivery resolves
 *   `"done"` and the inbound message is acknowledged. Outcomes reach the view, and the waiters, through the
 *   outcomes consumer only, so each is told once and in the stream's order.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { type Logger, silentLogger } from "../../index.js";
import type {
  AcceptedItem,
  ConflationMerge,
  IdempotentRequest,
  LastValue,
  NewItem,
  Outbox,
  OutboxDepth,
  OutcomeRecord,
  Settlement,
  StoredItem,
  StoredRequest,
} from "../outbox/outbox.js";
import { FINAL_STATES, OutboxUnavailableError, RequestConflictError } from "../outbox/outbox.js";
import { canonicalJson, settledView } from "../outbox/outbox-rows.js";
import type { SequencedItem, SqliteOutbox } from "../outbox/sqlite-outbox.js";
import type { HandledItem } from "./account-consumer.js";
import {
  decodeDelivered,
  decodeInbound,
  type InboundItem,
  type PublishOptions,
  publishItem,
} from "./inbound-stream.js";
import { followOutcomes, lookUpOutcome, recordOutcome } from "./outcome-stream.js";
import type { RequestClaims } from "./request-claims.js";
import { PULL_EXPIRES_MS } from "./streams.js";
import type { ClusterSubjects } from "./subjects.js";

/** Options of {@link ClusterOutbox}. */
export interface ClusterOutboxOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: ClusterSubjects;
  /** The inbound stream's name. */
  inboundStream: string;
  /** The outcomes stream's name. */
  outcomeStream: string;
  /** The Idempotency-Key claims (a KV bucket). */
  claims: RequestClaims;
  /** The local view: an open SQLite outbox this object owns (closes it). */
  view: SqliteOutbox;
  /** How publishing an item retries. @default publishItem's defaults */
  publish?: PublishOptions;
  /** Outcomes that reached the view (from any gateway), in the outcome stream's order. */
  onSettled: (items: readonly StoredItem[]) => void;
  /**
   * An account got an item to send, at stream sequence `seq` (possibly behind items delivered before it: a
   * redelivery): its dispatcher reads again from there.
   */
  wake: (account: string, seq: number) => void;
  log?: Logger;
}

/** Writes to the view not yet committed, at most, before a follower waits for them. */
const MAX_UNCOMMITTED = 1_000;
/** Pause before a view's consumer that ended is started again, milliseconds. */
const FOLLOW_RESTART_MS = 500;
/** How often the watchdog compares the view with the streams, milliseconds. */
const WATCHDOG_EVERY_MS = 5_000;
/** Items of one request published at once, at most. */
const PUBLISH_CONCURRENCY = 256;

/** An item delivered to this gateway as the account's leader, waiting for its outcome. */
interface Delivery {
  id: string;
  account: string;
  seq: number;
  /** Sendings before this delivery, as far as JetStream knows (a redelivery was sent by an earlier leader). */
  earlierSendings: number;
  resolve: (result: HandledItem) => void;
}

/** The outbox of a cluster gateway. Call {@link start} before use. */
export class ClusterOutbox implements Outbox {
  readonly #options: ClusterOutboxOptions;
  readonly #view: SqliteOutbox;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  /** Delivered items waiting for their outcome, by id. */
  readonly #delivered = new Map<string, Delivery>();
  /** The same by account, in seq order once sorted (`#sorted` false after an insert). */
  readonly #byAccount = new Map<string, { deliveries: Delivery[]; sorted: boolean }>();
  #inboundApplied = 0;
  #outcomesApplied = 0;
  #followers: Promise<void>[] = [];
  #failed: Error | undefined;
  #closed: Promise<void> | undefined;
  readonly #caughtUpWaiters = new Set<() => void>();
  /**
   * Acknowledged values this gateway recorded that the view may not show yet (its outcomes consumer is a moment
   * behind): the re-send rule must see them at once, or an item delivered again just after a newer one of its RIC
   * was acknowledged would be sent with the older value. By RIC, then field; dropped once the view has them.
   */
  readonly #recentAcks = new Map<string, Map<string, LastValue & { cursor: number }>>();
  /** The same entries in the order they were remembered, to drop them as the view catches up. */
  #recentOrder: { cursor: number; ric: string; field: string }[] = [];

  constructor(options: ClusterOutboxOptions) {
    this.#options = options;
    this.#view = options.view;
    this.#log = options.log ?? silentLogger;
  }

  /** Outcomes come from whichever gateway leads an account, at any moment. */
  readonly settlesElsewhere = true;

  /** The view's file. */
  get path(): string {
    return this.#view.path;
  }

  /** Whether the view is writable and both followers run. */
  get writable(): boolean {
    return this.#view.writable && this.#failed === undefined && this.#closed === undefined;
  }

  /** The inbound stream's last sequence applied to the view, and the outcomes stream's. */
  applied(): { inbound: number; outcomes: number } {
    return { inbound: this.#inboundApplied, outcomes: this.#outcomesApplied };
  }

  /** Items delivered to this gateway as a leader and not yet settled, for `account` (or all). */
  deliveredCount(account?: string): number {
    return account === undefined ? this.#delivered.size : (this.#byAccount.get(account)?.deliveries.length ?? 0);
  }

  /**
   * Starts both followers and waits until the view holds what both streams held when it was called (so the
   * first reads are complete), or `timeoutMs` passed.
   * @returns whether the view caught up in time.
   */
  async start(timeoutMs = 60_000): Promise<boolean> {
    this.#followers = [
      this.#keepFollowing("inbound", (signal, from) => this.#followInbound(signal, from)),
      this.#keepFollowing("outcomes", (signal, from) => this.#followOutcomes(signal, from)),
    ];
    this.#watchdog = setInterval(() => {
      this.#checkFollowers().catch(() => undefined); // NATS unreachable: the next check tries again
    }, WATCHDOG_EVERY_MS);
    this.#watchdog.unref();
    return this.catchUp(timeoutMs);
  }

  #watchdog: NodeJS.Timeout | undefined;

  /**
   * Waits until the view holds every message both streams hold now (a new leader calls it before sending, so
   * that the last values an earlier leader's Acks set are known to the supersession rule).
   * @returns false when `timeoutMs` passed first.
   */
  async catchUp(timeoutMs: number): Promise<boolean> {
    const target = await this.#lastSequences();
    const reached = () => this.#inboundApplied >= target.inbound && this.#outcomesApplied >= target.outcomes;
    if (reached()) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#caughtUpWaiters.delete(check);
        resolve(false);
      }, timeoutMs);
      const check = () => {
        if (!reached()) return;
        clearTimeout(timer);
        this.#caughtUpWaiters.delete(check);
        resolve(true);
      };
      this.#caughtUpWaiters.add(check);
    });
  }

  #progressed(): void {
    for (const check of [...this.#caughtUpWaiters]) check();
  }

  /**
   * Runs `follow` (one follower of a stream) until the outbox closes, starting it again from where the view is
   * whenever it ends or fails (an ordered consumer whose server died can end, or stall, without an error), and
   * when the watchdog finds it stalled: behind its stream and no further than at the last check.
   */
  async #keepFollowing(
    name: "inbound" | "outcomes",
    follow: (signal: AbortSignal, from: number) => Promise<void>,
  ): Promise<void> {
    const closed = this.#abort.signal;
    // A function, not the property: TypeScript would keep its value from the loop's test across the awaits.
    const isClosed = (): boolean => closed.aborted;
    while (!isClosed()) {
      const run = new AbortController();
      const stop = () => run.abort();
      closed.addEventListener("abort", stop, { once: true });
      this.#restarts[name] = stop;
      try {
        await follow(run.signal, name === "inbound" ? this.#inboundApplied : this.#outcomesApplied);
      } catch (error) {
        if (!run.signal.aborted) this.#log.warn({ err: error, stream: name }, "the view's consumer failed");
      } finally {
        closed.removeEventListener("abort", stop);
      }
      if (isClosed()) break;
      this.#log.warn({ stream: name }, "the view's consumer stopped: starting it again where the view is");
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_RESTART_MS));
    }
  }

  /** How to start each follower again (the watchdog's lever). */
  readonly #restarts: Record<"inbound" | "outcomes", () => void> = { inbound: () => {}, outcomes: () => {} };
  /** What the view had applied at the watchdog's last check. */
  #lastCheck = { inbound: 0, outcomes: 0 };

  /** The watchdog: a follower behind its stream that made no progress since the last check is started again. */
  async #checkFollowers(): Promise<void> {
    const applied = { inbound: this.#inboundApplied, outcomes: this.#outcomesApplied };
    const last = await this.#lastSequences();
    for (const name of ["inbound", "outcomes"] as const) {
      if (last[name] > applied[name] && applied[name] === this.#lastCheck[name]) {
        this.#log.warn({ stream: name, applied: applied[name], last: last[name] }, "the view's consumer is stalled");
        this.#restarts[name]();
      }
    }
    this.#lastCheck = applied;
  }

  /** The last sequence of each stream now. */
  async #lastSequences(): Promise<{ inbound: number; outcomes: number }> {
    const { jsm, inboundStream, outcomeStream } = this.#options;
    const [inbound, outcomes] = await Promise.all([jsm.streams.info(inboundStream), jsm.streams.info(outcomeStream)]);
    return { inbound: inbound.state.last_seq, outcomes: outcomes.state.last_seq };
  }

  /** The inbound stream's messages after `from`, every account's, into the view (bad ones are the leader's). */
  async #followInbound(signal: AbortSignal, from: number): Promise<void> {
    const { js, inboundStream, subjects } = this.#options;
    const consumer = await js.consumers.get(
      inboundStream,
      from > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from + 1 } : {},
    );
    const messages = await consumer.consume({ expires: PULL_EXPIRES_MS });
    const stop = () => void messages.close();
    signal.addEventListener("abort", stop, { once: true });
    if (signal.aborted) stop();
    try {
      let uncommitted: Promise<unknown>[] = [];
      for await (const message of messages) {
        const decoded = decodeDelivered(subjects, message);
        const seq = message.seq;
        if (decoded.kind === "item") {
          const acceptedAtMs = Math.floor(message.info.timestampNanos / 1e6);
          uncommitted.push(this.#view.acceptAt([sequenced(decoded.item, seq, acceptedAtMs)]));
        }
        const written = uncommitted[uncommitted.length - 1] ?? Promise.resolve();
        void written.then(() => {
          this.#inboundApplied = Math.max(this.#inboundApplied, seq);
          this.#progressed();
        }, this.#failWith);
        if (uncommitted.length >= MAX_UNCOMMITTED) {
          await Promise.all(uncommitted);
          uncommitted = [];
        }
        if (signal.aborted) break;
      }
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }

  /** The outcomes stream after `from` into the view; each outcome that is new there is told to `onSettled`. */
  async #followOutcomes(signal: AbortSignal, from: number): Promise<void> {
    const { js, outcomeStream, onSettled } = this.#options;
    let uncommitted: Promise<unknown>[] = [];
    for await (const entry of followOutcomes(js, outcomeStream, from, signal)) {
      const write = this.#view.applyOutcomes([entry]).then((changed) => {
        this.#outcomesApplied = Math.max(this.#outcomesApplied, entry.cursor);
        if (this.#recentAcks.size > 0) this.#forgetAppliedAcks();
        if (changed.length > 0) onSettled(changed);
        this.#progressed();
      });
      write.catch(this.#failWith);
      uncommitted.push(write);
      if (uncommitted.length >= MAX_UNCOMMITTED) {
        await Promise.all(uncommitted);
        uncommitted = [];
      }
    }
  }

  readonly #failWith = (error: unknown): void => {
    if (this.#closed !== undefined) return;
    this.#failed ??= error instanceof Error ? error : new Error(String(error));
    this.#log.error({ err: error }, "the cluster view stopped following the streams: reads may be stale");
  };

  /**
   * {@inheritDoc Outbox.accept} Publishes each new item to the inbound stream (an id the view knows is not
   * published again: `existing` or `conflict`), then stores them in the view at their stream sequence.
   * @throws RequestConflictError when the Idempotency-Key was claimed for another body (by any gateway).
   * @throws OutboxUnavailableError when NATS did not acknowledge an item in time (some may be published).
   */
  async accept(
    items: readonly NewItem[],
    atMs: number,
    request?: IdempotentRequest & { ids: readonly (string | null)[] },
  ): Promise<AcceptedItem[]> {
    const { claims, js, subjects, jsm, inboundStream } = this.#options;
    let toPublish = [...items];
    let claimed: { revision: number } | undefined;
    const claim =
      request === undefined ? undefined : { key: request.key, bodyHash: request.bodyHash, ids: request.ids, atMs };
    if (claim !== undefined && request !== undefined) {
      const result = await this.#unavailableOnFailure(() => claims.claim(claim), "claiming the Idempotency-Key");
      if (result.kind === "conflict") throw new RequestConflictError();
      if (result.kind === "claimed") claimed = { revision: result.revision };
      else toPublish = withClaimedIds(items, request.ids, result.claim.ids); // the first request's ids
    }
    const results: (AcceptedItem | undefined)[] = new Array<AcceptedItem | undefined>(toPublish.length);
    const toStore: { position: number; item: SequencedItem }[] = [];
    const publish = async (item: NewItem, position: number) => {
      const known = this.#view.get(item.id);
      if (known !== undefined) {
        results[position] = sameContribution(known, item) ? { kind: "existing", item: known } : conflict(item);
        return;
      }
      const ack = await publishItem(js, subjects, item, this.#options.publish);
      if (!ack.duplicate) {
        toStore.push({ position, item: sequenced(item, ack.seq, atMs) });
        results[position] = { kind: "stored", id: item.id, seq: ack.seq };
        return;
      }
      // The stream had this id already (a replay the view has not seen yet): the same contribution or not?
      const earlier = await jsm.streams.getMessage(inboundStream, { seq: ack.seq });
      const decoded =
        earlier === null
          ? undefined
          : decodeInbound(subjects, { subject: earlier.subject, data: earlier.data, seq: ack.seq, msgId: item.id });
      if (earlier !== null && decoded?.kind === "item" && sameContribution(decoded.item, item)) {
        toStore.push({ position, item: sequenced(item, ack.seq, earlier.time.getTime()) });
      } else {
        results[position] = conflict(item);
      }
    };
    await this.#unavailableOnFailure(async () => {
      for (let start = 0; start < toPublish.length; start += PUBLISH_CONCURRENCY) {
        const chunk = toPublish.slice(start, start + PUBLISH_CONCURRENCY);
        await Promise.all(chunk.map((item, offset) => publish(item, start + offset)));
      }
    }, "publishing to the inbound stream");
    const stored = await this.#view.acceptAt(
      toStore.map((entry) => entry.item),
      request === undefined ? undefined : { ...request, atMs },
    );
    for (const [index, entry] of toStore.entries()) {
      const outcome = stored[index];
      if (results[entry.position] !== undefined) continue; // published now: `stored` whatever the view had
      results[entry.position] =
        outcome?.kind === "stored" ? { kind: "existing", item: this.#view.get(entry.item.id) as StoredItem } : outcome;
    }
    if (claimed !== undefined && claim !== undefined) {
      claims.complete(claim, claimed.revision).catch((error: unknown) => {
        this.#log.warn({ err: error }, "an Idempotency-Key claim could not be marked complete (a replay republishes)");
      });
    }
    return results.map((result, position) => result ?? conflict(toPublish[position] as NewItem));
  }

  async #unavailableOnFailure<T>(work: () => Promise<T>, doing: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new OutboxUnavailableError(`NATS did not answer ${doing}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** {@inheritDoc Outbox.request} Requests this gateway answered (others' are found by the claim in `accept`). */
  request(key: string): StoredRequest | undefined {
    return this.#view.request(key);
  }

  get(id: string): StoredItem | undefined {
    return this.#view.get(id);
  }

  getMany(ids: readonly string[]): (StoredItem | undefined)[] {
    return this.#view.getMany(ids);
  }

  /**
   * {@inheritDoc Outbox.pending} Only items delivered to this gateway as the account's leader, and still
   * `accepted` in the view. An item an earlier leader sent counts that sending in `attempts`, so the dispatcher's
   * re-send rule leaves out the fields a newer acknowledged item carries.
   */
  pending(account: string, afterSeq: number, limit: number): StoredItem[] {
    const entry = this.#byAccount.get(account);
    if (entry === undefined || limit <= 0) return [];
    if (!entry.sorted) {
      entry.deliveries.sort((a, b) => a.seq - b.seq);
      entry.sorted = true;
    }
    const items: StoredItem[] = [];
    for (const delivery of entry.deliveries) {
      if (delivery.seq <= afterSeq) continue;
      const item = this.#view.get(delivery.id);
      if (item?.state !== "accepted") continue;
      items.push(delivery.earlierSendings > item.attempts ? { ...item, attempts: delivery.earlierSendings } : item);
      if (items.length >= limit) break;
    }
    return items;
  }

  unanswered(account: string): StoredItem[] {
    return this.#view.unanswered(account);
  }

  markSent(sent: readonly { id: string; postId: number }[], atMs: number): Promise<void> {
    return this.#view.markSent(sent, atMs);
  }

  markUnsent(ids: readonly string[]): Promise<void> {
    return this.#view.markUnsent(ids);
  }

  /**
   * {@inheritDoc Outbox.settle} Records each outcome in the outcomes stream (if another was recorded first, that
   * one stands), then has the item's inbound message acknowledged. The view and `onSettled` learn the outcome
   * from the outcomes stream, so this resolves with no ids.
   */
  async settle(settlements: readonly Settlement[], atMs: number): Promise<string[]> {
    const { js, jsm, outcomeStream, subjects } = this.#options;
    await Promise.all(
      settlements.map(async (settlement) => {
        const delivery = this.#delivered.get(settlement.id);
        const item = this.#view.get(settlement.id);
        if (item === undefined || FINAL_STATES.has(item.state)) {
          this.#settleDelivery(delivery, "done");
          return;
        }
        try {
          const final = settledView(item, settlement, atMs);
          const recorded = await recordOutcome(js, jsm, outcomeStream, subjects, final);
          if (recorded.recorded && final.state === "acked") this.#rememberAck(final, recorded.cursor);
          this.#settleDelivery(delivery, "done");
        } catch (error) {
          // Not recorded: the message is delivered again (to whoever leads then), and sent again; here it is
          // `accepted` again, so a redelivery to this gateway is pending.
          await this.#view.markUnsent([settlement.id]).catch(() => undefined);
          this.#settleDelivery(delivery, "again");
          throw error;
        }
      }),
    );
    return [];
  }

  #settleDelivery(delivery: Delivery | undefined, result: HandledItem): void {
    if (delivery === undefined || this.#delivered.get(delivery.id) !== delivery) return;
    this.#delivered.delete(delivery.id);
    const entry = this.#byAccount.get(delivery.account);
    if (entry !== undefined) {
      const index = entry.deliveries.indexOf(delivery);
      if (index >= 0) entry.deliveries.splice(index, 1);
    }
    delivery.resolve(result);
  }

  /** Conflation is not available in cluster mode (the gateway refuses `conflate: true` with `nats`). */
  conflate(_merges: readonly ConflationMerge[], _atMs: number): Promise<void> {
    return Promise.reject(new Error("conflation is not available in cluster mode"));
  }

  outcomesAfter(cursor: number, limit: number): OutcomeRecord[] {
    return this.#view.outcomesAfter(cursor, limit);
  }

  lastCursor(): number {
    return this.#view.lastCursor();
  }

  /** {@inheritDoc Outbox.lastValues} The view's, with the Acks this gateway recorded that it may not show yet. */
  lastValues(ric: string): Record<string, LastValue> {
    const values = this.#view.lastValues(ric);
    for (const [field, recent] of this.#recentAcks.get(ric) ?? []) {
      if ((values[field]?.seq ?? 0) < recent.seq) {
        values[field] = { value: recent.value, id: recent.id, seq: recent.seq, ackedAtMs: recent.ackedAtMs };
      }
    }
    return values;
  }

  #rememberAck(item: StoredItem, cursor: number): void {
    if (cursor <= this.#outcomesApplied) return; // the view has it already
    let fields = this.#recentAcks.get(item.ric);
    if (fields === undefined) {
      fields = new Map<string, LastValue & { cursor: number }>();
      this.#recentAcks.set(item.ric, fields);
    }
    for (const [field, value] of Object.entries(item.fields)) {
      if ((fields.get(field)?.seq ?? 0) >= item.seq) continue;
      fields.set(field, { value, id: item.id, seq: item.seq, ackedAtMs: item.settledAtMs ?? 0, cursor });
      this.#recentOrder.push({ cursor, ric: item.ric, field });
    }
  }

  /** Drops the remembered Acks the view shows now (oldest first; one recorded late waits for those before it). */
  #forgetAppliedAcks(): void {
    let done = 0;
    for (const entry of this.#recentOrder) {
      if (entry.cursor > this.#outcomesApplied) break;
      done += 1;
      const fields = this.#recentAcks.get(entry.ric);
      if (fields?.get(entry.field)?.cursor === entry.cursor) fields.delete(entry.field);
      if (fields?.size === 0) this.#recentAcks.delete(entry.ric);
    }
    if (done > 0) this.#recentOrder = this.#recentOrder.slice(done);
  }

  /** {@inheritDoc Outbox.depth} Over the whole cluster: every gateway's items of the account not yet final. */
  depth(account: string): OutboxDepth {
    return this.#view.depth(account);
  }

  compact(beforeMs: number): Promise<number> {
    return this.#view.compact(beforeMs);
  }

  /**
   * The leader's side: `item` was delivered by the account's consumer. Resolves `"done"` once its outcome is
   * recorded (at once when it has one already), `"again"` when this gateway stops leading the account first.
   */
  async deliver(
    item: InboundItem,
    delivery: { seq: number; deliveryCount: number; acceptedAtMs: number },
  ): Promise<HandledItem> {
    const [stored] = await this.#view.acceptAt([sequenced(item, delivery.seq, delivery.acceptedAtMs)]);
    if (stored?.kind === "conflict") {
      // Its id names another contribution (published straight to NATS after the duplicate window): that one's
      // outcome is the id's; this message cannot have one of its own.
      this.#log.warn({ id: item.id, seq: delivery.seq }, "an inbound message reuses the id of another contribution");
      return "done";
    }
    const known = this.#view.get(item.id);
    if (known === undefined || FINAL_STATES.has(known.state)) return "done";
    // `sent` with no delivery under way: an earlier delivery ended without an outcome (its term ended, or the
    // outcome could not be recorded). It is this delivery's to send again.
    if (known.state === "sent" && !this.#delivered.has(item.id)) await this.#view.markUnsent([item.id]);
    if (delivery.deliveryCount > 1) {
      // An earlier leader may have recorded its outcome and died before acknowledging the message.
      const { jsm, outcomeStream, subjects } = this.#options;
      const recorded = await lookUpOutcome(jsm, outcomeStream, subjects, item.id);
      if (recorded !== undefined) {
        await this.#view.applyOutcomes([recorded]);
        return "done";
      }
    }
    if (this.#delivered.has(item.id)) return "again"; // the consumer never hands one message twice; an id reused
    return new Promise<HandledItem>((resolve) => {
      const entry: Delivery = {
        id: item.id,
        account: item.account,
        seq: delivery.seq,
        earlierSendings: delivery.deliveryCount - 1,
        resolve,
      };
      this.#delivered.set(item.id, entry);
      let account = this.#byAccount.get(item.account);
      if (account === undefined) this.#byAccount.set(item.account, (account = { deliveries: [], sorted: true }));
      const last = account.deliveries[account.deliveries.length - 1];
      account.deliveries.push(entry);
      if (last !== undefined && last.seq > entry.seq) account.sorted = false;
      this.#options.wake(item.account, entry.seq);
    });
  }

  /**
   * The leader's side: a message that is not a valid item. Its outcome is `failed` with the reason (so a lookup
   * of its id says why), unless it has one already.
   */
  async invalid(id: string, error: string, seq: number, account: string, ric = ""): Promise<void> {
    const { js, jsm, outcomeStream, subjects } = this.#options;
    const now = Date.now();
    const item: StoredItem = {
      seq,
      id,
      account,
      ric,
      fields: {},
      state: "failed",
      acceptedAtMs: now,
      settledAtMs: now,
      attempts: 0,
      text: `refused: ${error}`,
    };
    await recordOutcome(js, jsm, outcomeStream, subjects, item);
  }

  /** This gateway no longer leads `account`: every delivery of it waiting for an outcome goes back to JetStream. */
  release(account: string): void {
    const entry = this.#byAccount.get(account);
    if (entry === undefined) return;
    this.#byAccount.delete(account);
    for (const delivery of entry.deliveries) {
      this.#delivered.delete(delivery.id);
      delivery.resolve("again");
    }
  }

  /** Stops following the streams and closes the view. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const account of [...this.#byAccount.keys()]) this.release(account);
      if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
      this.#abort.abort();
      await Promise.allSettled(this.#followers);
      await this.#view.close();
    })();
    return this.#closed;
  }
}

/** `item` for the view, at `seq`. */
function sequenced(item: NewItem, seq: number, acceptedAtMs: number): SequencedItem {
  return { id: item.id, account: item.account, ric: item.ric, fields: item.fields, seq, acceptedAtMs };
}

function conflict(item: NewItem): AcceptedItem {
  return { kind: "conflict", id: item.id };
}

/** Whether two items are the same contribution (account, RIC and fields; field order aside). */
function sameContribution(a: Pick<NewItem, "account" | "ric" | "fields">, b: NewItem): boolean {
  return a.account === b.account && a.ric === b.ric && canonicalJson(a.fields) === canonicalJson(b.fields);
}

/**
 * `items` (the request's items that passed the checks, in order) with the ids the first request with this
 * Idempotency-Key gave them: the same body makes the same items at the same positions.
 */
function withClaimedIds(
  items: readonly NewItem[],
  ours: readonly (string | null)[],
  claimed: readonly (string | null)[],
): NewItem[] {
  const positions = ours.flatMap((id, index) => (id === null ? [] : [index]));
  return items.map((item, position) => {
    const id = claimed[positions[position] ?? -1];
    return typeof id === "string" ? { ...item, id } : item;
  });
}
