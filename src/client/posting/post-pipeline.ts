/**
 * The path of a post: validate → queue (bounded, optional conflation) → frame (batched, ≤
 * maxFrameBytes, within the rate governor's budget) → in flight (bounded) → Ack/Nak/Error/timeout → settle
 * exactly once. Posts in flight when a connection drops are re-sent with new PostIDs or rejected, as the
 * resend policy decides (resend-policy.ts: never over a newer acknowledged value). The hot path writes a
 * post's fields as JSON once (post-fields.ts) and logs nothing per post. With `postMode: "on-stream"` posts
 * go out on item streams (§4A.6, see item-streams.ts); the queue stays one FIFO, whose head waits while its
 * RIC's stream is opening.
 *
 * `ackTimeoutMs` runs from a post's acceptance into the queue, so a post settles within it (plus the sweep
 * period) whether it was sent or not: a server that keeps the rate window full, or never answers, cannot
 * keep a `contribute()` pending. A caller waiting for room in a full queue is not accepted yet; its time
 * starts when it gets in (and the queue drains within `ackTimeoutMs` whatever the server does). With
 * `ackTimeoutFrom: "sent"` queued posts never expire and the time runs from each sending instead.
 */
import { redactSecrets } from "../../util/logger.js";
import { type Ack, type PostEntry, rejectPost, settleFromAck } from "./post-entry.js";
import { AckTracker } from "./ack-tracker.js";
import { type PipelineCounters, newPipelineCounters } from "./pipeline-counters.js";
import { readAckId, readNakCode } from "../../protocol/inbound-frame.js";
import { FrameBuilder, PostFormat } from "./frame-builder.js";
import { DrainSignal } from "./drain-signal.js";
import { FlushScheduler } from "./flush-scheduler.js";
import { fillOffStream, fillOnStream } from "./post-queue.js";
import { type ItemStreams, itemStreamsFor } from "./item-streams.js";
import { type FieldsInput, normalizeFields } from "./post-fields.js";
import { LatencyHistogram } from "./latency.js";
import { MAY_POST_RECHECK_MS, type ResolvedPipelineOptions } from "./pipeline-options.js";
import { AckTimeoutError, ContentError, type NakError, QueueFullError } from "../errors.js";
import { type PrepareContext, PrepareMemo, checkRic, createEntry, mergeInto } from "./post-entry.js";
import { PostQueue } from "./post-queue.js";
import { ProtocolWarnings } from "../connection/protocol-warnings.js";
import { ResendPolicy } from "./resend-policy.js";
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { Logger } from "../../util/logger.js";
import type { PostSink } from "../connection/post-sink.js";
import type { SessionPipeline } from "../connection/session-events.js";
import type { InboundMessage } from "../connection/link.js";
import { errorDetails, matchServerError } from "./server-error-match.js";

/** The NakCode of a Nak whose `NakCode` was no code at all (see `readNakCode`). */
const MALFORMED_NAK_CODE = "Malformed";

/** Collaborators of a `PostPipeline`. */
export interface PipelineDeps {
  clock: Clock;
  log: Logger;
  /** Where posts go out: the session. */
  sink: PostSink;
  onNak: (error: NakError) => void;
  /** Where malformed Acks are reported (logged once per kind and connection). @default a new one on `log` */
  warnings?: ProtocolWarnings;
}

/** Per-call options of `contribute()`. */
export interface ContributeOptions {
  /** When the queue is full: `true` waits for room, `false` rejects with QueueFullError. @default true */
  wait?: boolean;
  /** Merge into a still-queued post to the same RIC. @default the contributor's `conflate` option */
  conflate?: boolean;
}

/** Queue, batching, acks and backpressure of one contributor. */
export class PostPipeline implements SessionPipeline {
  readonly counters: PipelineCounters = newPipelineCounters();
  readonly latency = new LatencyHistogram();
  readonly #options: ResolvedPipelineOptions;
  readonly #deps: PipelineDeps;
  readonly #warnings: ProtocolWarnings;
  readonly #format: PostFormat;
  readonly #prepare: PrepareContext;
  /** The hot path's memos (last RIC, field names' JSON), this pipeline's own. */
  readonly #memo = new PrepareMemo();
  readonly #frame: FrameBuilder;
  readonly #queue: PostQueue;
  readonly #tracker: AckTracker;
  readonly #resend: ResendPolicy;
  /** The item streams of on-stream posting; undefined off-stream (the default). */
  readonly #streams: ItemStreams | undefined;
  #ready = false;
  #nextPostId = 1;
  /** Connections that became ready, counted from 1 ({@link PostEntry.connection}). */
  #connection = 0;
  readonly #flushes: FlushScheduler;
  readonly #drained: DrainSignal;
  /** Times out queued posts (the tracker times out those in flight); armed while anything is queued. */
  #queueSweep: TimerHandle | undefined;
  readonly #sweepIntervalMs: number;

  constructor(options: ResolvedPipelineOptions, deps: PipelineDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#warnings = deps.warnings ?? new ProtocolWarnings(deps.log);
    const info = options.postUserInfo;
    this.#format = new PostFormat({
      service: options.service,
      ...(info ? { postUserInfo: { Address: info.address, UserID: info.userId } } : {}),
    });
    this.#streams = itemStreamsFor(options, this.#format, {
      ...deps,
      send: (request) => deps.sink.sendControl(request),
      onChange: () => this.#scheduleFlush(),
    });
    this.#flushes = new FlushScheduler(deps.clock, () => this.#flush());
    this.#frame = new FrameBuilder(options.maxFrameBytes);
    this.#prepare = { format: this.#format, maxFrameBytes: options.maxFrameBytes, memo: this.#memo };
    this.#queue = new PostQueue(options.maxQueued);
    this.#drained = new DrainSignal(deps.clock, () => this.#tracker.size === 0 && this.#queue.empty);
    this.#sweepIntervalMs = Math.min(1000, Math.max(1, options.ackTimeoutMs / 10));
    this.#tracker = new AckTracker({
      clock: deps.clock,
      ackTimeoutMs: options.ackTimeoutMs,
      from: options.ackTimeoutFrom,
      sweepIntervalMs: this.#sweepIntervalMs,
      onTimeout: (entry) => {
        this.counters.ackTimeouts += 1;
        deps.sink.postsSettled(deps.clock.monotonic(), 1);
        this.#resend.settled(entry, false);
        rejectPost(entry, new AckTimeoutError(entry, options.ackTimeoutMs));
        this.#afterSettle();
      },
    });
    const resendDeps = { inFlight: this.#tracker, prepare: this.#prepare, counters: this.counters };
    this.#resend = new ResendPolicy(options.resendInFlight, resendDeps);
  }

  /** Posts sent and awaiting an Ack. */
  get inFlight(): number {
    return this.#tracker.size;
  }

  /** Posts accepted and not yet sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Callers waiting for room in the queue. */
  get waiting(): number {
    return this.#queue.waiting;
  }

  /** Validates and enqueues a post; the promise settles exactly once. */
  submit(ric: string, fields: FieldsInput, options?: ContributeOptions): Promise<Ack> {
    const conflate = options?.conflate ?? this.#options.conflate;
    let entry: PostEntry;
    try {
      checkRic(ric, this.#memo);
      const target = conflate ? this.#queue.conflatable(ric) : undefined;
      if (target !== undefined && mergeInto(target, normalizeFields(fields, this.#memo.fields.names), this.#prepare)) {
        this.counters.conflated += 1;
        return target.promise; // both callers settle with the merged post's outcome
      }
      entry = createEntry(ric, fields, conflate, this.#prepare); // validates the fields as it writes them
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    entry.acceptedAtMs = this.#deps.clock.monotonic();
    const result = this.#queue.offer(entry, options?.wait ?? true);
    if (result === "full") {
      this.counters.queueFull += 1;
      return Promise.reject(new QueueFullError(ric, this.#options.maxQueued));
    }
    if (result === "queued") {
      this.#armQueueSweep();
      this.#scheduleFlush();
    }
    // On-stream: ask for the RIC's stream now, so that it is open by the time the post reaches the head.
    if (this.#ready) this.#streams?.open(ric);
    return entry.promise;
  }

  onReady = (): void => {
    this.#ready = true;
    this.#connection += 1;
    this.#nextPostId = 1; // PostIDs are per connection; the old connection's are gone with it
    this.#resend.reset();
    this.#streams?.connected(this.#queue.rics()); // streams are per connection too: re-opened here
    this.#scheduleFlush();
  };

  onDisconnected = (cause: Error): void => {
    this.#ready = false;
    this.#streams?.disconnected();
    this.#flushes.cancelWait();
    const lost = this.#tracker.takeAll();
    if (lost.length === 0) return;
    this.#deps.sink.postsSettled(this.#deps.clock.monotonic(), lost.length);
    this.#queue.unshiftAll(this.#resend.takeLost(lost, cause));
    this.#armQueueSweep();
    this.#afterSettle();
  };

  onAck = (message: InboundMessage, nowMs: number): void => {
    const ackId = readAckId(message.AckID);
    if (ackId === undefined) {
      // Under Number() `true`, "0x1" or [1] would acknowledge post 1: such an Ack settles nothing.
      this.#warnings.report("ack-id", message.AckID);
      return;
    }
    const entry = this.#tracker.take(ackId);
    if (entry === undefined) {
      this.counters.unmatchedAcks += 1; // late (after a timeout), duplicate or foreign
      return;
    }
    this.#deps.sink.postsSettled(nowMs, 1);
    const reading = readNakCode(message.NakCode);
    let nakCode: string | undefined;
    if (reading.kind === "nak") nakCode = reading.code;
    else if (reading.kind === "malformed") {
      // The server answered this post but not with "accepted": it is not reported as acknowledged.
      this.#warnings.report("nak-code", message.NakCode, { ackId });
      nakCode = MALFORMED_NAK_CODE;
    }
    const nak = settleFromAck(entry, nakCode, message, nowMs, this.counters, this.latency);
    this.#resend.settled(entry, nak === undefined);
    if (nak !== undefined) this.#deps.onNak(nak);
    this.#afterSettle();
  };

  onItemMessage = (message: InboundMessage): void => {
    if (this.#streams?.onMessage(message) === true) return;
    this.#deps.log.debug({ id: message.ID, type: message.Type }, "ignored a message on an unknown stream");
  };

  onServerError = (message: InboundMessage): void => {
    if (this.#streams?.onError(message) === true) return; // the answer to an item Request
    const entry = matchServerError(message, this.#tracker);
    const { text } = errorDetails(message);
    if (entry === undefined) {
      this.counters.unmatchedErrors += 1;
      this.#deps.log.warn({ text: redactSecrets(text), id: message.ID }, "server Error not matched to a post");
      return;
    }
    this.#tracker.take(entry.postId);
    this.#resend.settled(entry, false);
    this.#deps.sink.postsSettled(this.#deps.clock.monotonic(), 1);
    this.counters.contentErrors += 1;
    rejectPost(entry, new ContentError(text, entry));
    this.#afterSettle();
  };

  onWritable = (): void => this.#scheduleFlush();

  /** Resolves true once nothing is queued, waiting or in flight; false after `timeoutMs` or {@link endDrain}. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.#drained.wait(timeoutMs);
  }

  /** Ends every {@link drain} wait now (each resolves false). */
  endDrain(): void {
    this.#drained.release();
  }

  /**
   * Rejects every post accepted but not yet written to the current connection (queued, waiting for room, or
   * back in the queue to be re-sent after a lost connection), leaving those on the wire to their Acks.
   * @returns how many were rejected.
   */
  dropQueued(makeError: (entry: PostEntry) => Error): number {
    const dropped = this.#queue.clear();
    for (const entry of dropped) rejectPost(entry, makeError(entry));
    this.#stopQueueSweep();
    this.#afterSettle();
    return dropped.length;
  }

  /** Rejects every post not yet settled (closing, or the session failed) and stops timers. */
  rejectAll(makeError: (entry: PostEntry) => Error): void {
    this.#ready = false;
    this.#streams?.disconnected();
    this.#flushes.cancelWait();
    for (const entry of [...this.#tracker.takeAll(), ...this.#queue.clear()]) rejectPost(entry, makeError(entry));
    this.#tracker.stop();
    this.#stopQueueSweep();
    this.#resend.reset();
    this.#drained.check();
  }

  #scheduleFlush(): void {
    if (this.#ready) this.#flushes.soon();
  }

  #flush(): void {
    const { clock, sink } = this.#deps;
    const maxInFlight = this.#options.maxInFlight;
    this.#expireQueued(clock.monotonic()); // a post past its time is never sent
    while (this.#ready && this.#queue.length > 0 && this.#tracker.size < maxInFlight) {
      const now = clock.monotonic();
      const gate = this.#options.mayPost;
      if (gate !== undefined && !gate()) {
        this.#flushes.after(MAY_POST_RECHECK_MS); // held back, not failed: the caller decides what becomes of them
        break;
      }
      const budget = Math.min(sink.postCapacity(now), maxInFlight - this.#tracker.size);
      if (budget <= 0) {
        this.#flushes.after(sink.postWaitMs(now));
        break;
      }
      const batch: PostEntry[] = [];
      const postId = this.#nextPostId;
      if (this.#streams === undefined) fillOffStream(this.#queue, this.#frame, this.#format, batch, budget, postId);
      else this.#countRefused(fillOnStream(this.#queue, this.#frame, this.#streams, batch, budget, postId));
      this.#nextPostId += batch.length;
      // Empty: the head waits for its item stream (on-stream), else unreachable (every post fits a frame).
      if (batch.length === 0) break;
      sink.sendPosts(this.#frame.take(), batch.length);
      for (const entry of batch) {
        entry.sentAtMs = now;
        entry.sends += 1;
        entry.connection = this.#connection;
        this.#tracker.add(entry);
      }
      this.counters.sent += batch.length;
    }
    if (this.#queue.waiting > 0 && this.#queue.admitWaiting(clock.monotonic()) > 0) {
      this.#armQueueSweep();
      this.#scheduleFlush();
    }
  }

  #stopQueueSweep(): void {
    if (this.#queueSweep !== undefined) this.#deps.clock.clearTimeout(this.#queueSweep);
    this.#queueSweep = undefined;
  }

  #armQueueSweep(): void {
    if (this.#options.ackTimeoutFrom === "sent") return; // nothing in the queue can expire
    this.#queueSweep ??= this.#deps.clock
      .setTimeout(() => {
        this.#queueSweep = undefined;
        this.#expireQueued(this.#deps.clock.monotonic());
        if (this.#queue.length > 0) this.#armQueueSweep();
      }, this.#sweepIntervalMs)
      .unref();
  }

  /** Rejects the queued posts accepted `ackTimeoutMs` or more before `nowMs` with AckTimeoutError. */
  #expireQueued(nowMs: number): void {
    if (this.#options.ackTimeoutFrom === "sent") return; // a queued post's time has not started
    const expired = this.#queue.expire(nowMs - this.#options.ackTimeoutMs);
    if (expired.length === 0) return;
    for (const entry of expired) {
      this.counters.ackTimeouts += 1;
      rejectPost(entry, new AckTimeoutError(entry, this.#options.ackTimeoutMs, entry.sends > 0));
    }
    // Room again: callers waiting for it get in (and their time starts) even while no connection is ready.
    if (this.#queue.waiting > 0 && this.#queue.admitWaiting(nowMs) > 0) this.#armQueueSweep();
    this.#afterSettle();
  }

  /** `refused` posts were rejected because their item stream was refused. */
  #countRefused(refused: number): void {
    if (refused === 0) return;
    this.counters.itemStreamRefused += refused;
    this.#afterSettle();
  }

  #afterSettle(): void {
    if (this.#queue.length > 0 || this.#queue.waiting > 0) this.#scheduleFlush();
    else if (this.#tracker.size === 0) this.#drained.check();
  }
}
