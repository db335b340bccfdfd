/**
 * The public client: `new Contributor(options)`, `connect()`, `contribute(ric, fields)`, `close()`. It wires
 * the self-healing {@link Session} (connection, login, heartbeat, reconnect, failover) to the {@link
 * PostPipeline} (queue, batching, rate governor, acks) and publishes lifecycle events three ways: typed
 * EventEmitter events, the `status()` async iterator and the `closed()` promise (STYLE habit 3).
 */
import { EventEmitter } from "node:events";
import { systemClock } from "../util/clock.js";
import { silentLogger } from "../util/logger.js";
import { type ResolvedAuth, resolveAuth } from "./contributor-auth.js";
import { buildStats, type ContributorStats } from "./contributor-stats.js";
import { NakError, SessionClosedError, type UnsettledPost } from "./errors.js";
import type { ContributorOptions } from "./options.js";
import { ProtocolWarnings } from "./connection/protocol-warnings.js";
import { RateGovernor } from "./connection/rate-governor.js";
import { Session } from "./connection/session.js";
import type {
  ReadyInfo,
  ReconnectInfo,
  StateChange,
  StatusEvent,
  TokenRefreshInfo,
} from "./connection/session-events.js";
import { resolveSessionOptions } from "./connection/session-options.js";
import type { SessionState } from "./connection/session-state.js";
import type { FieldsInput } from "./posting/post-fields.js";
import { resolvePipelineOptions } from "./posting/pipeline-options.js";
import type { Ack, PostEntry } from "./posting/post-entry.js";
import { type ContributeOptions, PostPipeline } from "./posting/post-pipeline.js";
import { StatusHub } from "./status-stream.js";

/** Typed event map of the contributor's EventEmitter. */
export interface ContributorEvents {
  state: [StateChange];
  ready: [ReadyInfo];
  reconnecting: [ReconnectInfo];
  "token-refreshed": [TokenRefreshInfo];
  nak: [NakError];
  /** Emitted only when at least one listener is attached (an unhandled "error" would throw). */
  error: [Error];
  closed: [Error | undefined];
}

/** Contributes to RCC over one self-healing WebSocket session. */
export class Contributor extends EventEmitter<ContributorEvents> {
  readonly #session: Session;
  readonly #pipeline: PostPipeline;
  readonly #hub = new StatusHub();
  readonly #auth: ResolvedAuth;
  readonly #drainTimeoutMs: number;
  readonly #warnings: ProtocolWarnings;
  #accepting = true;
  #connecting: Promise<void> | undefined;
  #connectSettle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #closing: Promise<void> | undefined;
  #resolveClosed!: (result: Error | undefined) => void;
  readonly #closed = new Promise<Error | undefined>((resolve) => (this.#resolveClosed = resolve));

  /** @throws InvalidOptionsError (code "RCC_INVALID_OPTIONS") naming each invalid option (values are never echoed). */
  constructor(options: ContributorOptions) {
    super();
    const clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    const log = (options.log ?? silentLogger).child({ component: "contributor" });
    const sessionOptions = resolveSessionOptions(options);
    const pipelineOptions = resolvePipelineOptions(options);
    this.#drainTimeoutMs = pipelineOptions.drainTimeoutMs;
    this.#auth = resolveAuth(options, { clock, random, log, proxy: sessionOptions.proxy, tls: sessionOptions.tls });
    this.#warnings = new ProtocolWarnings(log);
    // The session and the pipeline know each other: the session hands the pipeline its connection events, the
    // pipeline sends through the session (its PostSink: the link, and the rate governor the session owns). The
    // session is built first and reads its `pipeline` only once started, so the one late reference is that.
    const pipeline = (): PostPipeline => this.#pipeline;
    this.#session = new Session(sessionOptions, {
      login: this.#auth.login,
      clock,
      random,
      log,
      governor: new RateGovernor({
        maxMessagesPerSecond: sessionOptions.defaultMaxMessagesPerSecond,
        safetyFactor: sessionOptions.safetyFactor,
        // Posts count from their Ack's arrival, which no delay can make early (§3.4, rate-governor.ts); only
        // control messages, which nothing answers, need the jitter margin.
        windowMs: 1000,
        ackClocked: true,
        controlMarginMs: sessionOptions.rateWindowMarginMs,
        paceBurstMs: sessionOptions.rateBurstMs,
      }),
      get pipeline() {
        return pipeline();
      },
      publish: (event) => this.#publish(event),
      warnings: this.#warnings,
    });
    this.#pipeline = new PostPipeline(pipelineOptions, {
      clock,
      log,
      sink: this.#session,
      onNak: (error) => this.#publish({ type: "nak", error }),
      warnings: this.#warnings,
    });
  }

  /** The session's state. */
  get state(): SessionState {
    return this.#session.state;
  }

  /**
   * Starts the session. Resolves when first ready; rejects on a fatal failure before that (e.g.
   * `LoginRefusedError`, `InvalidCredentialsError`, `CertificateError` — a server certificate that does not
   * verify is not retried before the first Login — reconnecting gave up) or if closed first. Idempotent.
   */
  connect(): Promise<void> {
    if (this.#connecting) return this.#connecting;
    if (!this.#accepting) return Promise.reject(new SessionClosedError("connect() after close()"));
    this.#connecting = new Promise<void>((resolve, reject) => (this.#connectSettle = { resolve, reject }));
    this.#auth.start();
    this.#session.start();
    return this.#connecting;
  }

  /**
   * Contributes `fields` to `ric` (a Post with Ack: off-stream, §2.8, or on the RIC's item stream with
   * `postMode: "on-stream"`, §4A.6). Settles exactly once: resolves with the Ack; rejects with
   * ValidationError (nothing sent), QueueFullError (`{ wait: false }` and the queue is full), NakError,
   * ContentError, AckTimeoutError (not settled within `ackTimeoutMs` of being accepted, sent or still queued; of
   * being sent with `ackTimeoutFrom: "sent"`),
   * ConnectionLostError (`resendInFlight: false`), SupersededError (the link
   * dropped before its Ack and newer acknowledged posts to the RIC carried all its fields, so it was not re-sent),
   * ItemStreamError (on-stream: the RIC's stream was refused) or SessionClosedError (closed first: its `sent`
   * says whether the post had been written). Called before `connect()`, it connects on demand (as `connect()`
   * does; a failure to connect rejects the post with SessionClosedError whose `cause` is that failure). With
   * conflation, a call merged into a still-queued post to the same RIC returns that post's promise (the same
   * object), which settles with the merged post's outcome.
   */
  contribute(ric: string, fields: FieldsInput, options?: ContributeOptions): Promise<Ack> {
    if (!this.#accepting) return Promise.reject(new SessionClosedError("the contributor is closing or closed"));
    if (this.#connecting === undefined) {
      // The failure reaches the post (and closed()); connect()'s own promise is not the caller's to handle here.
      this.connect().catch(() => undefined);
    }
    return this.#pipeline.submit(ric, fields, options);
  }

  /**
   * Stops accepting posts, waits up to `drainTimeoutMs` for queued and in-flight posts to settle, rejects
   * the rest with SessionClosedError (`sent` tells the posts on the wire, whose outcome is unknown, from those
   * never written), sends the Login Close and closes the socket. Idempotent: a later call while closing applies
   * its `dropQueued`, and a `drainTimeoutMs` of 0 ends the wait at once (a second Ctrl+C); it returns the same
   * promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (options.dropQueued === true) this.#dropQueued();
    if (this.#closing !== undefined && options.drainTimeoutMs === 0) this.#pipeline.endDrain();
    this.#closing ??= this.#close(options.drainTimeoutMs ?? this.#drainTimeoutMs);
    return this.#closing;
  }

  /** Resolves once closed: with undefined after `close()`, or with the error that stopped the session. */
  closed(): Promise<Error | undefined> {
    return this.#closed;
  }

  /** Async iterator of status events from now until the contributor is closed. */
  status(): AsyncIterableIterator<StatusEvent> {
    return this.#hub.subscribe();
  }

  /** A snapshot of counters, queue sizes and Ack latency percentiles. */
  stats(): ContributorStats {
    const pipeline = this.#pipeline;
    return buildStats({
      state: this.#session.state,
      url: this.#session.url,
      maxMessagesPerSecond: this.#session.maxMessagesPerSecond,
      counters: pipeline.counters,
      inFlight: pipeline.inFlight,
      queued: pipeline.queued,
      waiting: pipeline.waiting,
      reconnects: this.#session.counters.reconnects,
      tokenRefreshes: this.#session.counters.tokenRefreshes,
      protocolErrors: this.#warnings.count,
      latency: pipeline.latency.summary(),
    });
  }

  async #close(drainTimeoutMs: number): Promise<void> {
    this.#accepting = false;
    const state = this.#session.state;
    if (state !== "idle" && state !== "closed" && drainTimeoutMs > 0) await this.#pipeline.drain(drainTimeoutMs);
    this.#pipeline.rejectAll((entry) => unsettledError("closed", entry));
    await this.#session.close();
    await this.#closed;
  }

  /** Rejects the posts not yet written (queued, waiting, or back in the queue for a re-send). */
  #dropQueued(): void {
    this.#accepting = false;
    this.#pipeline.dropQueued((entry) => unsettledError("closed", entry));
  }

  #publish(event: StatusEvent): void {
    this.#hub.publish(event);
    switch (event.type) {
      case "state": {
        const { type: _type, ...change } = event;
        this.emit("state", change);
        break;
      }
      case "ready": {
        const { type: _type, ...info } = event;
        this.#connectSettle?.resolve();
        this.#connectSettle = undefined;
        this.emit("ready", info);
        break;
      }
      case "reconnecting": {
        const { type: _type, ...info } = event;
        this.emit("reconnecting", info);
        break;
      }
      case "token-refreshed":
        this.emit("token-refreshed", { expiresAtMs: event.expiresAtMs });
        break;
      case "nak":
        this.emit("nak", event.error);
        break;
      case "error":
        // An "error" event without a listener would throw; the error is in status() and the logs anyway.
        if (this.listenerCount("error") > 0) this.emit("error", event.error);
        break;
      case "closed":
        void this.#finish(event.error);
        break;
    }
  }

  /** The session ended (after close() or a fatal failure): settle everything, release the auth provider. */
  async #finish(error: Error | undefined): Promise<void> {
    this.#accepting = false;
    this.#pipeline.rejectAll((entry) => unsettledError("session ended", entry, error));
    this.#connectSettle?.reject(error ?? new SessionClosedError("closed before the session was ready"));
    this.#connectSettle = undefined;
    await this.#auth.dispose();
    this.#hub.end();
    this.emit("closed", error);
    this.#resolveClosed(error);
  }
}

/** Options of {@link Contributor.close}. */
export interface CloseOptions {
  /** Longest wait for posts to settle before the rest are rejected, milliseconds. @default the `drainTimeoutMs` option */
  drainTimeoutMs?: number;
  /**
   * Reject at once every post not yet written to the connection (SessionClosedError, `sent` false) and wait
   * only for the Acks of posts already on the wire. @default false
   */
  dropQueued?: boolean;
}

/** The SessionClosedError of a post left unsettled when the contributor closed or its session ended. */
function unsettledError(when: "closed" | "session ended", entry: PostEntry, cause?: Error): SessionClosedError {
  const post: UnsettledPost = {
    ric: entry.ric,
    postId: entry.postId,
    connection: entry.connection,
    sends: entry.sends,
  };
  const message =
    entry.sends === 0
      ? `${when} before the post to ${entry.ric} was sent`
      : `${when} before the Ack of post ${entry.postId} to ${entry.ric} (sent on connection ${entry.connection}); the server may have applied it`;
  return new SessionClosedError(message, cause === undefined ? { post } : { post, cause });
}
