/**
 * A small MarketPrice consumer (§4A): opens a WebSocket (tr_json2), logs in with an RDP token (RCC) or a DACS
 * user name (an on-site ADS, §4A.5), requests items, reports their Refreshes, Updates and Statuses, answers
 * Pings, re-logs in silently when the token is refreshed (§2.4), and closes cleanly: item Closes, Login
 * Close, then the socket (§3.7 step 8). No reconnect: a lost connection ends it (`closed` says why).
 */
import type { WebSocket } from "ws";
import { buildLoginClose, buildLoginRequest, LOGIN_STREAM_ID, PONG, parseFrame } from "../../protocol/messages.js";
import { type Clock, systemClock } from "../../util/clock.js";
import { type Logger, silentLogger } from "../../util/logger.js";
import type { AuthProvider } from "../auth/auth-provider.js";
import type { TlsOptions } from "../options.js";
import { ConnectionLostError, LoginRefusedError } from "../post-errors.js";
import type { InboundMessage } from "../connection/link.js";
import { classifyLoginMessage } from "../connection/login-outcome.js";
import { defaultPosition, openWebSocket, proxyFor } from "../connection/web-socket.js";
import { messageType } from "../../protocol/inbound-frame.js";
import { buildItemCloses, buildItemRequest, buildUserNameLogin } from "../../protocol/messages.js";
import { endsStream, type ItemEvent, readItemEvent } from "./item-events.js";

export type { ItemEvent } from "./item-events.js";

/** How a {@link Subscriber} logs in. */
export type SubscriberLogin =
  /** An RDP access token in a NameType AuthnToken Login, as RCC wants (§2.4). */
  | { kind: "token"; auth: AuthProvider }
  /** A DACS user name, as an on-site ADS takes it (§4A.5). */
  | { kind: "name"; user: string };

/** Options of {@link Subscriber}. */
export interface SubscriberOptions {
  /** WebSocket endpoint, `ws(s)://host:port/WebSocket`. */
  url: string;
  login: SubscriberLogin;
  /** Login `ApplicationId`. @default "256" */
  applicationId?: string;
  /** Login `Position`, "ip/hostname". @default first non-internal IPv4 + "/" + os.hostname() */
  position?: string;
  /** Service of the item requests. @default undefined (the server's default service) */
  service?: string;
  /** Fields to receive (a `View`, §4A.1). @default undefined (all fields) */
  view?: readonly string[];
  /** TLS settings of the WebSocket. @default {} (Node's bundled roots, verification on) */
  tls?: TlsOptions;
  /** HTTP CONNECT proxy; `false` ignores HTTPS_PROXY / HTTP_PROXY. @default from the environment */
  proxyUrl?: string | false;
  /** Time allowed for the WebSocket handshake, milliseconds. @default 10_000 */
  connectTimeoutMs?: number;
  /** Time allowed from sending the Login to its Refresh, milliseconds. @default 10_000 */
  loginTimeoutMs?: number;
  /** Time source for the timeouts. @default systemClock */
  clock?: Clock;
  /** Logger; never given secrets. @default silentLogger */
  log?: Logger;
}

/** What an accepted Login said. */
export interface SubscriberLoginInfo {
  /** `Key.Name` of the Login Refresh: the machine ID or DACS user. */
  user: string | undefined;
  /** `State.Text` of the Login Refresh. */
  text: string;
}

/** How long {@link Subscriber.close} waits for the server's close handshake, milliseconds. */
const CLOSE_GRACE_MS = 2_000;

/** A MarketPrice consumer on one WebSocket connection. */
export class Subscriber {
  /** Resolves when the connection is gone: undefined after {@link close}, else the reason it was lost. */
  readonly closed: Promise<Error | undefined>;
  readonly #options: SubscriberOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #listeners = new Set<(event: ItemEvent) => void>();
  readonly #errorListeners = new Set<(message: InboundMessage) => void>();
  /** Open item streams: stream id → RIC. */
  readonly #streams = new Map<number, string>();
  #nextStreamId = LOGIN_STREAM_ID + 1;
  #ws: WebSocket | undefined;
  #closing = false;
  /** Settles the pending `open()` with the Login answer, or with why none will come. */
  #loginWaiter: { resolve(message: InboundMessage): void; reject(error: Error): void } | undefined;
  #stopTokenUpdates: (() => void) | undefined;
  #resolveClosed!: (reason: Error | undefined) => void;

  constructor(options: SubscriberOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? silentLogger).child({ component: "subscriber" });
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** Reports every Refresh, Update and Status of the item streams. @returns unsubscribe. */
  onEvent(listener: (event: ItemEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reports converter `Error` messages (§2.11) the server sends back. @returns unsubscribe. */
  onServerError(listener: (message: InboundMessage) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Connects and logs in.
   * @throws LoginRefusedError when the server refuses the Login; ConnectionLostError when the connection
   *   fails or the Refresh does not come in time; the auth provider's errors for a token login.
   */
  async open(): Promise<SubscriberLoginInfo> {
    const { url, login } = this.#options;
    const applicationId = this.#options.applicationId ?? "256";
    const position = this.#options.position ?? defaultPosition();
    const token = login.kind === "token" ? await login.auth.getToken({ minValidityMs: 60_000 }) : undefined;
    let ws: WebSocket;
    try {
      ws = await openWebSocket(url, {
        clock: this.#clock,
        connectTimeoutMs: this.#options.connectTimeoutMs ?? 10_000,
        proxyUrl: proxyFor(url, this.#options.proxyUrl),
        tls: this.#options.tls ?? {},
      });
    } catch (error) {
      throw new ConnectionLostError(`cannot connect to ${url}: ${(error as Error).message}`, { cause: error });
    }
    this.#ws = ws;
    ws.on("message", (data) => this.#onFrame((data as Buffer).toString("utf8")));
    ws.on("error", (error) => this.#log.debug({ err: error.message }, "socket error"));
    ws.on("close", (code, reason) => this.#onClose(code, reason.toString()));
    const refresh = new Promise<InboundMessage>((resolve, reject) => {
      this.#loginWaiter = { resolve, reject };
    });
    this.#send(
      token === undefined
        ? buildUserNameLogin({ user: (login as { user: string }).user, applicationId, position })
        : buildLoginRequest({ token: token.accessToken, applicationId, position }),
    );
    const answer = await this.#withTimeout(refresh, this.#options.loginTimeoutMs ?? 10_000);
    const outcome = classifyLoginMessage(answer);
    if (outcome.kind !== "accepted") {
      const error =
        outcome.kind === "ended"
          ? outcome.error
          : new LoginRefusedError(outcome.stream, undefined, outcome.text || "unexpected Login answer", true);
      ws.terminate();
      throw error;
    }
    if (login.kind === "token") this.#keepTokenFresh(login.auth, applicationId, position);
    this.#log.info({ url, user: outcome.user }, "logged in");
    return { user: outcome.user, text: outcome.text };
  }

  /** Requests `rics` (one stream each, in one frame). @returns their stream ids, in order. */
  subscribe(rics: readonly string[]): number[] {
    const { service, view } = this.#options;
    const ids: number[] = [];
    const requests = rics.map((ric) => {
      const streamId = this.#nextStreamId++;
      ids.push(streamId);
      this.#streams.set(streamId, ric);
      return buildItemRequest({
        streamId,
        ric,
        ...(service === undefined ? {} : { service }),
        ...(view === undefined ? {} : { view }),
      });
    });
    if (requests.length > 0) this.#send(requests);
    return ids;
  }

  /** Closes the item streams and the Login, then the socket; resolves once it is closed. Idempotent. */
  async close(): Promise<void> {
    const ws = this.#ws;
    if (!this.#closing && ws !== undefined && ws.readyState === ws.OPEN) {
      this.#closing = true;
      this.#send([...buildItemCloses(this.#streams.keys()), buildLoginClose()]);
      this.#streams.clear();
      ws.close(1000);
      const timer = this.#clock.setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      await this.closed;
      this.#clock.clearTimeout(timer);
    } else if (ws === undefined) {
      this.#closing = true;
      this.#resolveClosed(undefined);
    }
    await this.closed;
  }

  /** Re-logs in with `Refresh:false` whenever the provider refreshes the token (§2.4). */
  #keepTokenFresh(auth: AuthProvider, applicationId: string, position: string): void {
    this.#stopTokenUpdates = auth.onToken((fresh) => {
      this.#send(buildLoginRequest({ token: fresh.accessToken, applicationId, position, refresh: false }));
    });
    auth.start();
  }

  #onFrame(text: string): void {
    let messages: unknown[];
    try {
      messages = parseFrame(text);
    } catch {
      this.#log.warn({ bytes: text.length }, "a frame that is not JSON was ignored");
      return;
    }
    for (const element of messages) {
      if (typeof element !== "object" || element === null) continue;
      this.#onMessage(element as InboundMessage);
    }
  }

  #onMessage(message: InboundMessage): void {
    const type = messageType(message);
    if (type === "Ping") return this.#send(PONG);
    if (type === "Error") {
      // A Login the converter cannot read is answered with an Error, never a Refresh (§2.11).
      const waiter = this.#loginWaiter;
      this.#loginWaiter = undefined;
      const text = typeof message.Text === "string" ? message.Text : "Error";
      waiter?.reject(new LoginRefusedError("Error", undefined, `the server could not read the Login: ${text}`, false));
      for (const listener of this.#errorListeners) listener(message);
      return;
    }
    if (message.ID === LOGIN_STREAM_ID && (type === "Refresh" || type === "Status"))
      return this.#onLoginMessage(message);
    const event = readItemEvent(message, (id) => this.#streams.get(id));
    if (event === undefined) return;
    if (endsStream(event)) this.#streams.delete(event.streamId);
    for (const listener of this.#listeners) listener(event);
  }

  #onLoginMessage(message: InboundMessage): void {
    const waiter = this.#loginWaiter;
    this.#loginWaiter = undefined;
    if (waiter !== undefined) return waiter.resolve(message);
    const outcome = classifyLoginMessage(message);
    if (outcome.kind !== "ended") return;
    this.#log.warn({ reason: outcome.error.message }, "the server ended the login");
    this.#fail(outcome.error);
  }

  #onClose(code: number, reason: string): void {
    this.#stopTokenUpdates?.();
    if (this.#options.login.kind === "token") this.#options.login.auth.stop();
    if (this.#closing) return this.#resolveClosed(undefined);
    this.#closing = true;
    const lost = new ConnectionLostError(`the server closed the connection (${code}${reason ? ` ${reason}` : ""})`);
    this.#loginWaiter?.reject(lost);
    this.#loginWaiter = undefined;
    this.#resolveClosed(lost);
  }

  /** Ends the connection because of `error`; `closed` resolves with it. */
  #fail(error: Error): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#resolveClosed(error);
    this.#ws?.close(1000);
  }

  #send(message: unknown): void {
    const ws = this.#ws;
    if (ws !== undefined && ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  }

  #withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#ws?.terminate();
        reject(new ConnectionLostError(`no answer to the Login within ${timeoutMs} ms`));
      }, timeoutMs);
      promise.then(
        (value) => {
          this.#clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.#clock.clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
