/**
 * A MarketPrice consumer (§4A) on the self-healing {@link Session}: the same login (an RDP token, or a DACS
 * user name through an on-site ADS, §4A.5), token refresh with `Refresh:false` re-login (§2.4), Pongs under
 * the rate governor (§2.7, §3.4), reconnect with backoff and failover over several URLs (§3.6) as the
 * Contributor has. Items are remembered: after every (re)connect each stream still open is requested again,
 * on the same stream id; a stream the server ended for good (a final state, §2.10) is not. `close()` sends
 * the item Closes, then the Login Close, then closes the socket (§3.7 step 8).
 */
import { buildItemCloses, buildItemRequest, LOGIN_STREAM_ID } from "../../protocol/messages.js";
import { type Clock, systemClock } from "../../util/clock.js";
import { type Logger, silentLogger } from "../../util/logger.js";
import type { BackoffPolicy } from "../../util/backoff.js";
import { checkObject, list, optional, str } from "../option-checks.js";
import { type FrameTracer, resolveSessionOptions, type TlsOptions } from "../connection/session-options.js";
import { ConnectionLostError, InvalidOptionsError, LoginRefusedError } from "../errors.js";
import type { InboundMessage } from "../connection/link.js";
import type { SessionLogin } from "../connection/login-tokens.js";
import { ProtocolWarnings } from "../connection/protocol-warnings.js";
import { RateGovernor } from "../connection/rate-governor.js";
import { Session } from "../connection/session.js";
import type { SessionPipeline, StatusEvent } from "../connection/session-events.js";
import type { SessionState } from "../connection/session-state.js";
import { endsStream, type ItemEvent, readItemEvent } from "./item-events.js";

export type { ItemEvent } from "./item-events.js";

/**
 * How a {@link Consumer} logs in: `{ kind: "token", auth }` (RDP tokens from a provider, as RCC wants, §2.4)
 * or `{ kind: "name", name }` (a DACS user name, as an on-site ADS takes it, §4A.5).
 */
export type ConsumerLogin = SessionLogin;

/** Options of {@link Consumer}. */
export interface ConsumerOptions {
  /** One WebSocket endpoint, `ws(s)://host:port/WebSocket`; ignored when `urls` is given. @default undefined */
  url?: string;
  /** WebSocket endpoints in failover order (§3.6). @default [url] */
  urls?: readonly string[];
  /**
   * How to log in. With a token provider the consumer starts its refresh schedule on `open()` but never stops
   * it: the provider belongs to the caller.
   */
  login: ConsumerLogin;
  /** Login `ApplicationId`, a numeric string (§2.4). @default "256" */
  applicationId?: string;
  /** Login `Position`, "ip/hostname" (§2.4). @default first non-internal IPv4 + "/" + os.hostname() */
  position?: string;
  /** `Key.Service` of the item requests (§4A.1). @default undefined (the server's default service) */
  service?: string;
  /** Fields to receive (a `View`, §4A.1). @default undefined (all fields) */
  view?: readonly string[];
  /** TLS settings of the WebSocket. @default {} (Node's bundled roots, verification on) */
  tls?: TlsOptions;
  /** HTTP CONNECT proxy URL; `false` ignores HTTPS_PROXY / HTTP_PROXY. @default undefined (from the environment) */
  proxyUrl?: string | false;
  /** Time allowed for each TCP/TLS/WebSocket handshake, milliseconds. @default 10_000 */
  connectTimeoutMs?: number;
  /** Time allowed from sending a Login to its Refresh, milliseconds. @default 10_000 */
  loginTimeoutMs?: number;
  /** The server's ping interval (RCC: 20 s, §2.7), milliseconds. @default 20_000 */
  pingIntervalMs?: number;
  /** Ping intervals without any inbound message after which the link is declared dead (§2.7). @default 3 */
  missedPings?: number;
  /**
   * Reconnect policy: exponential, capped, full jitter; `maxAttempts` consecutive failures end the consumer.
   * @default { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, maxAttempts: Infinity }
   */
  backoff?: Partial<BackoffPolicy>;
  /** Time "ready" after which the reconnect attempt counter resets, milliseconds. @default 30_000 */
  stableAfterMs?: number;
  /**
   * Give up reconnecting (the consumer ends with ConnectionLostError) once it has been without a ready
   * connection this long since the first failure of the current run of failures, milliseconds; `Infinity` =
   * never (`backoff.maxAttempts` still applies). The session option of the same name (§3.6).
   * @default Infinity
   */
  reconnectForMs?: number;
  /** A (re)connect asks the token provider for a token valid at least this long, milliseconds (§3.6). @default 60_000 */
  tokenMinValidityMs?: number;
  /** Rate limit when the Login Refresh advertises none (§3.3), messages per second. @default 1000 */
  defaultMaxMessagesPerSecond?: number;
  /** Time source of every timer. @default systemClock */
  clock?: Clock;
  /** Uniform [0, 1) source of the backoff jitter. @default Math.random */
  random?: () => number;
  /** Logger; never given secrets. @default silentLogger */
  log?: Logger;
  /**
   * Called with every WebSocket text frame sent and received, secrets masked (the session option of the same
   * name); unset, it costs nothing.
   * @default undefined (no tracing)
   */
  traceFrames?: FrameTracer;
}

/** What the first accepted Login said. */
export interface ConsumerLoginInfo {
  /** `Key.Name` of the Login Refresh: the machine ID or DACS user. */
  user: string | undefined;
  /** `State.Text` of the Login Refresh. */
  text: string;
}

/**
 * A status event of the consumer: the session's (state changes, ready, reconnecting, token-refreshed, error,
 * closed), and `resubscribed` once the open items were requested again after a reconnect.
 */
export type ConsumerStatusEvent =
  | Exclude<StatusEvent, { type: "nak" }>
  | {
      type: "resubscribed";
      /** The endpoint connected to. */
      url: string;
      /** Item streams requested again. */
      items: number;
    };

const consumerSpec = {
  service: optional(str({ nonEmpty: true })),
  view: optional(list(str({ nonEmpty: true }))),
};

/** A MarketPrice consumer over one self-healing WebSocket session. */
export class Consumer {
  /** Resolves once the consumer is closed: undefined after {@link close}, else the error that stopped it. */
  readonly closed: Promise<Error | undefined>;
  readonly #session: Session;
  readonly #login: ConsumerLogin;
  readonly #service: string | undefined;
  readonly #view: readonly string[] | undefined;
  readonly #log: Logger;
  readonly #itemListeners = new Set<(event: ItemEvent) => void>();
  readonly #errorListeners = new Set<(message: InboundMessage) => void>();
  readonly #statusListeners = new Set<(event: ConsumerStatusEvent) => void>();
  /** Item streams still open: stream id → RIC. */
  readonly #items = new Map<number, string>();
  #nextStreamId = LOGIN_STREAM_ID + 1;
  #opening: Promise<ConsumerLoginInfo> | undefined;
  #openSettle: { resolve: (info: ConsumerLoginInfo) => void; reject: (error: Error) => void } | undefined;
  #readyOnce = false;
  #closing: Promise<void> | undefined;
  #resolveClosed!: (error: Error | undefined) => void;

  /** @throws InvalidOptionsError (code "RCC_INVALID_OPTIONS") naming each invalid option (values are never echoed). */
  constructor(options: ConsumerOptions) {
    const checked = checkObject(options, consumerSpec);
    if (checked.problems.length > 0) {
      throw new InvalidOptionsError(`invalid consumer options: ${checked.problems.join("; ")}`);
    }
    const sessionOptions = resolveSessionOptions({
      urls: options.urls ?? (options.url === undefined ? [] : [options.url]),
      ...pick(options, [
        "applicationId",
        "position",
        "tls",
        "connectTimeoutMs",
        "loginTimeoutMs",
        "pingIntervalMs",
        "missedPings",
        "backoff",
        "stableAfterMs",
        "reconnectForMs",
        "tokenMinValidityMs",
        "defaultMaxMessagesPerSecond",
        "traceFrames",
      ]),
      ...(options.proxyUrl === undefined ? {} : { proxy: options.proxyUrl }),
    });
    this.#login = options.login;
    this.#service = options.service;
    this.#view = options.view === undefined ? undefined : Object.freeze([...options.view]);
    const clock = options.clock ?? systemClock;
    const log = (options.log ?? silentLogger).child({ component: "consumer" });
    this.#log = log;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    const governor = new RateGovernor({
      maxMessagesPerSecond: sessionOptions.defaultMaxMessagesPerSecond,
      safetyFactor: sessionOptions.safetyFactor,
      windowMs: 1000,
      // Everything a consumer sends is a control message, which nothing answers: count it with the margin.
      controlMarginMs: sessionOptions.rateWindowMarginMs,
      paceBurstMs: sessionOptions.rateBurstMs,
    });
    this.#session = new Session(sessionOptions, {
      login: options.login,
      clock,
      random: options.random ?? Math.random,
      log,
      governor,
      pipeline: this.#pipeline(),
      publish: (event) => this.#onStatus(event),
      warnings: new ProtocolWarnings(log),
    });
  }

  /** The session's state. */
  get state(): SessionState {
    return this.#session.state;
  }

  /** The endpoint in use or next in line. */
  get url(): string {
    return this.#session.url;
  }

  /** Reconnects scheduled so far. */
  get reconnects(): number {
    return this.#session.counters.reconnects;
  }

  /** RICs of the item streams still open (requested and not ended by the server), in request order. */
  get openItems(): string[] {
    return [...this.#items.values()];
  }

  /** Reports every Refresh, Update and Status of the item streams. @returns unsubscribe. */
  onEvent(listener: (event: ItemEvent) => void): () => void {
    this.#itemListeners.add(listener);
    return () => this.#itemListeners.delete(listener);
  }

  /** Reports converter `Error` messages (§2.11) the server sends back. @returns unsubscribe. */
  onServerError(listener: (message: InboundMessage) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** Reports the consumer's status events (reconnects, token refreshes, the end). @returns unsubscribe. */
  onStatus(listener: (event: ConsumerStatusEvent) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /**
   * Connects and logs in; the session then heals itself until {@link close}. Resolves on the first accepted
   * Login. Retriable failures (no connection, "System busy", a Login timeout) are retried with backoff, for
   * ever by default: bound the wait yourself, or set `reconnectForMs` or `backoff.maxAttempts`. Idempotent.
   * @throws LoginRefusedError when the Login is refused for good (a bad token, an unknown DACS user) or the
   *   server cannot read it; the token provider's fatal errors; CertificateError for an untrusted server;
   *   ConnectionLostError when reconnecting gave up or the consumer was closed first.
   */
  open(): Promise<ConsumerLoginInfo> {
    if (this.#opening !== undefined) return this.#opening;
    this.#opening = new Promise((resolve, reject) => (this.#openSettle = { resolve, reject }));
    if (this.#closing !== undefined || this.#session.state === "closed") {
      this.#settleOpen(new ConnectionLostError("open() after close()", { retriable: false }));
      return this.#opening;
    }
    if (this.#login.kind === "token") this.#login.auth.start();
    this.#session.start();
    return this.#opening;
  }

  /**
   * Opens one MarketPrice stream per RIC (§4A.1): requested at once when logged in, else on the next login.
   * @returns their stream ids, in order.
   */
  subscribe(rics: readonly string[]): number[] {
    const ids = rics.map((ric) => {
      const streamId = this.#nextStreamId++;
      this.#items.set(streamId, ric);
      return streamId;
    });
    if (this.#session.state === "ready") this.#request(ids);
    return ids;
  }

  /**
   * Sends the item Closes (when logged in), the Login Close, closes the socket and ends the consumer (§3.7
   * step 8); resolves once closed. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Queued on the same control queue ahead of the Login Close, which the session sends once they are out.
    if (this.#session.state === "ready") for (const close of buildItemCloses(this.#items.keys())) this.#send(close);
    this.#items.clear();
    await this.#session.close();
    await this.closed;
  }

  #pipeline(): SessionPipeline {
    return {
      onReady: () => this.#onReady(),
      onDisconnected: (cause) => this.#log.info({ err: cause.message }, "connection lost"),
      onAck: () => undefined,
      onServerError: (message) => this.#onServerError(message),
      onWritable: () => undefined,
      onItemMessage: (message) => this.#onItem(message),
      onItemUpdate: (message) => this.#onItem(message),
    };
  }

  #onReady(): void {
    const again = this.#readyOnce;
    this.#readyOnce = true;
    if (this.#items.size === 0 && !again) return;
    this.#request([...this.#items.keys()]);
    if (again) {
      this.#log.info({ items: this.#items.size }, "item streams requested again");
      this.#emitStatus({ type: "resubscribed", url: this.#session.url, items: this.#items.size });
    }
  }

  /** Requests the streams `ids` (one message each, so the rate governor counts each). */
  #request(ids: readonly number[]): void {
    for (const streamId of ids) {
      const ric = this.#items.get(streamId);
      if (ric === undefined) continue;
      this.#send(
        buildItemRequest({
          streamId,
          ric,
          ...(this.#service === undefined ? {} : { service: this.#service }),
          ...(this.#view === undefined ? {} : { view: this.#view }),
        }),
      );
    }
  }

  #onItem(message: InboundMessage): void {
    const event = readItemEvent(message, (id) => this.#items.get(id));
    if (event === undefined) return;
    if (endsStream(event)) this.#items.delete(event.streamId);
    for (const listener of this.#itemListeners) listener(event);
  }

  #onServerError(message: InboundMessage): void {
    if (this.#session.state === "logging-in" && !this.#readyOnce) {
      // A Login the converter cannot read is answered with an Error, never a Refresh (§2.11): sending it
      // again would not help.
      const text = typeof message.Text === "string" ? message.Text : "Error";
      this.#settleOpen(
        new LoginRefusedError("Error", undefined, `the server could not read the Login: ${text}`, false),
      );
      void this.close();
    }
    for (const listener of this.#errorListeners) listener(message);
  }

  #onStatus(event: StatusEvent): void {
    if (event.type === "nak") return; // a consumer posts nothing
    if (event.type === "ready") this.#settleOpen({ user: this.#session.user, text: event.text });
    if (event.type === "closed") {
      this.#settleOpen(event.error ?? new ConnectionLostError("closed before logging in", { retriable: false }));
      this.#resolveClosed(event.error);
    }
    this.#emitStatus(event);
  }

  #emitStatus(event: ConsumerStatusEvent): void {
    for (const listener of this.#statusListeners) listener(event);
  }

  /** Settles a pending `open()`, once. */
  #settleOpen(outcome: ConsumerLoginInfo | Error): void {
    const settle = this.#openSettle;
    this.#openSettle = undefined;
    if (settle === undefined) return;
    if (outcome instanceof Error) settle.reject(outcome);
    else settle.resolve(outcome);
  }

  #send(message: object): void {
    this.#session.sendControl(message);
  }
}

/** The keys of `source` among `keys` whose value is defined. */
function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}
