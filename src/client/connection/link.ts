/**
 * One open WebSocket connection: inbound frames split and dispatched by a handler table keyed on `Type`
 * (STYLE habit 7), Pings answered (§2.7), the heartbeat, and every outbound message counted by the rate
 * governor (§3.4). The session above owns login and reconnect policy; this class owns only the socket.
 *
 * Pings are answered coalesced. §2.7 asks for a Pong to every Ping, but a Pong carries nothing that ties
 * it to one Ping, and all RCC wants from it is traffic: one Pong sent after a burst of Pings answers them
 * all. So a frame's Pings get one Pong, sent once the frame is read, and Pings arriving while that Pong
 * waits for the rate governor (its reply cap, rate-governor.ts) add nothing to it. A server pinging
 * thousands of times a second thus costs at most the reply cap, never the posts' share of the window.
 */
import type { WebSocket } from "ws";
import type { FrameDirection, FrameTracer, TlsOptions } from "./session-options.js";
import { openWebSocket, proxyFor } from "./web-socket.js";
import { MESSAGE_TYPES, nameOf } from "../../protocol/codes.js";
import { LOGIN_STREAM_ID, PING, PONG } from "../../protocol/messages.js";
import { parseInboundFrame } from "../../protocol/inbound-frame.js";
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { Logger } from "../../util/logger.js";
import { processSecrets, REDACTED } from "../../util/secret-registry.js";
import { Heartbeat } from "./heartbeat.js";
import { ConnectionLostError } from "../errors.js";
import type { RateGovernor } from "./rate-governor.js";

import type { InboundMessage } from "../../protocol/inbound-frame.js";

export type { InboundMessage };

/** What the link reports upwards. */
export interface LinkHandlers {
  /** A Refresh or Status on the login stream (§2.5, §2.6). */
  onLogin(message: InboundMessage): void;
  /** A Refresh or Status on another stream: an item stream of on-stream posting (§4A.6). */
  onItem(message: InboundMessage): void;
  /** An Update on an item stream (§4A.3), for a consumer; without this handler Updates are only counted. */
  onUpdate?(message: InboundMessage): void;
  /** An Ack or Nak (§2.9), with the monotonic arrival time of its frame. Hot path. */
  onAck(message: InboundMessage, nowMs: number): void;
  /** A converter Error (§2.11). */
  onServerError(message: InboundMessage): void;
  /** The link is gone (closed by either side, or declared dead); called once. */
  onClosed(cause: Error): void;
  /** Control messages held back by the rate governor have all been sent. */
  onWritable(): void;
}

/** Options of {@link Link}. */
export interface LinkOptions {
  clock: Clock;
  log: Logger;
  governor: RateGovernor;
  pingIntervalMs: number;
  missedPings: number;
  handlers: LinkHandlers;
  /** Sees every text frame sent and received, secrets masked (session-options.ts). @default undefined */
  traceFrames?: FrameTracer | undefined;
}

type Dispatch = (link: Link, message: InboundMessage, nowMs: number) => void;

const PONG_TEXT = JSON.stringify(PONG);

/** The value of a Login's `AuthenticationToken` member in frame text (§2.4), whatever its escapes. */
const TOKEN_MEMBER = /("AuthenticationToken"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

/**
 * Frame text as a tracer may see it: a Login's `AuthenticationToken` and every secret the process knows (in
 * any of its encodings, secret-registry.ts) replaced by `[redacted]`.
 */
function maskFrameSecrets(text: string): string {
  const masked = text.includes('"AuthenticationToken"') ? text.replace(TOKEN_MEMBER, `$1"${REDACTED}"`) : text;
  return processSecrets.redact(masked);
}

/** Inbound handler table (§2.3, §2.7, §2.9, §2.11); unknown types are logged and counted, never fatal. */
const DISPATCH: Readonly<Record<string, Dispatch>> = {
  Ping: (link) => link.pingReceived(),
  Pong: () => undefined,
  Ack: (link, message, nowMs) => link.handlers.onAck(message, nowMs),
  Error: (link, message) => link.handlers.onServerError(message),
  Refresh: (link, message) => link.loginOrItem(message),
  Status: (link, message) => link.loginOrItem(message),
  // For a contributor, the fan-out of its own on-stream posts (§4A.6 rule 5): one per post, so dropped at the
  // cost of a count. A consumer's session hands them on (onUpdate): they are what it subscribed for.
  Update: (link, message) => {
    link.updates += 1;
    link.handlers.onUpdate?.(message);
  },
};

/** A live WebSocket connection. */
export class Link {
  readonly handlers: LinkHandlers;
  readonly #ws: WebSocket;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #governor: RateGovernor;
  readonly #heartbeat: Heartbeat;
  readonly #tracer: FrameTracer | undefined;
  readonly #controlQueue: string[] = [];
  #controlTimer: TimerHandle | undefined;
  /** Pings not yet answered: the next Pong answers them all. */
  #pingsUnanswered = 0;
  /** Set while the owed Pong waits for the rate governor. */
  #pongTimer: TimerHandle | undefined;
  #closed = false;
  /** Pings received from the server. */
  pingsReceived = 0;
  /** Pongs sent (each answering every Ping received before it). */
  pongsSent = 0;
  /** Inbound messages whose type or stream was not understood (logged at debug). */
  unknownMessages = 0;
  /** Inbound frames that were not JSON. */
  unparseableFrames = 0;
  /** Inbound Updates (ignored: a contributor subscribes only to post on-stream). */
  updates = 0;

  constructor(ws: WebSocket, options: LinkOptions) {
    this.#ws = ws;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#governor = options.governor;
    this.handlers = options.handlers;
    this.#tracer = options.traceFrames;
    this.#heartbeat = new Heartbeat({
      clock: options.clock,
      pingIntervalMs: options.pingIntervalMs,
      missedPings: options.missedPings,
      onDead: (silentMs) => {
        this.#ws.terminate();
        this.#finish(new ConnectionLostError(`no inbound traffic for ${Math.round(silentMs)} ms: link declared dead`));
      },
      onProbe: () => this.sendControl(PING),
    });
    ws.on("message", (data) => this.#onFrame(data));
    ws.on("close", (code, reason) => {
      const text = reason.toString();
      this.#finish(new ConnectionLostError(`connection closed (code ${code}${text ? `, "${text}"` : ""})`));
    });
    ws.on("error", (error) => this.#log.debug({ err: error.message }, "WebSocket error"));
    this.#heartbeat.start();
  }

  /** Whether the socket can still send. */
  get open(): boolean {
    return !this.#closed && this.#ws.readyState === this.#ws.OPEN;
  }

  /**
   * Sends a control message (Login, Pong, Close) at once when the governor allows, else as soon as it does,
   * ahead of any post. Never log `message` itself: a Login carries the token.
   */
  sendControl(message: object): void {
    if (!this.open) return;
    this.#controlQueue.push(JSON.stringify(message));
    this.#drainControl();
  }

  /** Sends a frame of `count` posts; the caller checked {@link postCapacity}. */
  sendPosts(text: string, count: number): void {
    if (!this.open) return;
    this.#ws.send(text);
    if (this.#tracer !== undefined) this.#trace("sent", text);
    this.#governor.record(this.#clock.monotonic(), count, "post");
  }

  /**
   * Posts that may be sent now; 0 while control messages wait, or while an owed Pong could go now and its
   * timer has yet to fire (the slot is the Pong's). A Pong held by the reply cap does not hold posts back.
   */
  postCapacity(nowMs: number): number {
    if (this.#controlQueue.length > 0) return 0;
    if (this.#pingsUnanswered > 0 && this.#governor.available(nowMs, "reply") > 0) return 0;
    return this.#governor.available(nowMs, "post");
  }

  /** Notes a server Ping; the Pong goes out once the frame is read (see the file comment). */
  pingReceived(): void {
    this.pingsReceived += 1;
    this.#pingsUnanswered += 1;
  }

  /** Closes the socket gracefully (code 1000); resolves when closed or after `timeoutMs` (then terminates). */
  close(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#ws.readyState === this.#ws.CLOSED) {
        this.#finish(new ConnectionLostError("connection closed by the client", { retriable: false }));
        resolve();
        return;
      }
      const timer = this.#clock.setTimeout(() => this.#ws.terminate(), timeoutMs);
      this.#ws.once("close", () => {
        this.#clock.clearTimeout(timer);
        resolve();
      });
      this.#ws.close(1000, "client closing");
    });
  }

  /**
   * Drops the connection at once, without the close handshake, and without calling `onClosed` (the caller
   * is the one ending it).
   */
  terminate(): void {
    this.#closed = true;
    this.#stopTimers();
    this.#ws.terminate();
  }

  /** Resolves once every held-back control message is sent, or after `timeoutMs`. */
  async controlDrained(timeoutMs: number): Promise<void> {
    const deadline = this.#clock.monotonic() + timeoutMs;
    while (this.#controlQueue.length > 0 && this.open && this.#clock.monotonic() < deadline) {
      const waitMs = Math.min(
        deadline - this.#clock.monotonic(),
        this.#governor.waitMs(this.#clock.monotonic(), 1, "control"),
      );
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, Math.max(1, waitMs)));
    }
  }

  /**
   * Dead-link detection by the server's advertised `PingTimeout` (ADS, §4A.5) instead of `pingIntervalMs ×
   * missedPings`: dead after `pingTimeoutMs` of silence, with a Ping of ours after a third of it.
   */
  usePingTimeout(pingTimeoutMs: number): void {
    this.#heartbeat.retune(pingTimeoutMs);
  }

  /** Routes a Refresh/Status: login stream messages to the session, the rest to the item streams. */
  loginOrItem(message: InboundMessage): void {
    const domain = message.Domain;
    if (domain === "Login" || domain === 1 || (domain === undefined && message.ID === LOGIN_STREAM_ID)) {
      this.handlers.onLogin(message);
    } else {
      this.handlers.onItem(message);
    }
  }

  #onFrame(data: unknown): void {
    const nowMs = this.#clock.monotonic(); // one clock read per frame, shared by its messages
    this.#heartbeat.touch(nowMs);
    let messages: unknown[];
    // Servers send text frames; a binary frame holding JSON text is read the same way.
    const text = (data as Buffer).toString();
    if (this.#tracer !== undefined) this.#trace("received", text);
    try {
      // Packed Acks take a fast path (inbound-frame.ts); the result is what JSON.parse would give.
      messages = parseInboundFrame(text);
    } catch {
      this.unparseableFrames += 1;
      this.#log.warn("ignored an inbound frame that is not JSON");
      return;
    }
    for (const message of messages) {
      if (typeof message !== "object" || message === null || Array.isArray(message)) {
        this.#unknown(message);
        continue;
      }
      const record = message as InboundMessage;
      const type = typeof record.Type === "number" ? nameOf(MESSAGE_TYPES, record.Type) : record.Type;
      const handler = typeof type === "string" && Object.hasOwn(DISPATCH, type) ? DISPATCH[type] : undefined;
      if (handler) handler(this, record, nowMs);
      else this.#unknown(record);
      if (this.#closed) return; // a handler ended the link; the rest of the frame is moot
    }
    if (this.#pingsUnanswered > 0) this.#answerPings(false);
  }

  /** Sends the owed Pong now if the governor allows, else once it does (one timer, however many Pings). */
  #answerPings(afterWait: boolean): void {
    if (this.#pongTimer !== undefined || !this.open) return;
    const now = this.#clock.monotonic();
    const waitMs = this.#governor.waitMs(now, 1, "reply");
    if (waitMs > 0) {
      this.#pongTimer = this.#clock.setTimeout(() => {
        this.#pongTimer = undefined;
        this.#answerPings(true);
      }, waitMs);
      return;
    }
    this.#ws.send(PONG_TEXT);
    if (this.#tracer !== undefined) this.#trace("sent", PONG_TEXT);
    this.#governor.record(now, 1, "reply");
    this.#pingsUnanswered = 0;
    this.pongsSent += 1;
    // Posts may have yielded to this Pong (postCapacity): let them go on.
    if (afterWait) this.handlers.onWritable();
  }

  /** Hands a frame to the tracer, masked; a tracer that throws must not break the link. */
  #trace(direction: FrameDirection, text: string): void {
    try {
      this.#tracer?.(direction, maskFrameSecrets(text));
    } catch (error) {
      this.#log.debug({ err: (error as Error).message }, "the frame tracer threw; ignored");
    }
  }

  #unknown(message: unknown): void {
    this.unknownMessages += 1;
    const type = typeof message === "object" && message !== null ? (message as InboundMessage).Type : undefined;
    this.#log.debug({ type }, "ignored an inbound message of an unexpected type or stream");
  }

  #drainControl(afterWait = false): void {
    if (this.#controlTimer !== undefined) return;
    while (this.#controlQueue.length > 0 && this.open) {
      const now = this.#clock.monotonic();
      if (this.#governor.available(now, "control") === 0) {
        const waitMs = this.#governor.waitMs(now, 1, "control");
        this.#controlTimer = this.#clock.setTimeout(() => {
          this.#controlTimer = undefined;
          this.#drainControl(true);
        }, waitMs);
        return;
      }
      const text = this.#controlQueue.shift() as string;
      this.#ws.send(text);
      if (this.#tracer !== undefined) this.#trace("sent", text);
      this.#governor.record(now, 1, "control");
    }
    // Posts were held back only if control messages had to wait: tell the pipeline it may go on.
    if (afterWait && this.#controlQueue.length === 0 && this.open) this.handlers.onWritable();
  }

  #finish(cause: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    this.handlers.onClosed(cause);
  }

  #stopTimers(): void {
    this.#heartbeat.stop();
    if (this.#controlTimer !== undefined) this.#clock.clearTimeout(this.#controlTimer);
    this.#controlTimer = undefined;
    this.#controlQueue.length = 0;
    if (this.#pongTimer !== undefined) this.#clock.clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  }
}

/** What {@link openLink} needs besides the link's own options. */
export interface OpenLinkOptions extends LinkOptions {
  connectTimeoutMs: number;
  /** The proxy option (resolved against the URL and the environment by {@link proxyFor}). */
  proxy: string | false | undefined;
  tls: TlsOptions;
  /** Called right after the socket opens; returning false abandons it (the caller moved on). */
  stillWanted: () => boolean;
  /** Abandons the handshake at once (see `openWebSocket`). */
  signal?: AbortSignal;
}

/**
 * Opens a WebSocket to `url` and wraps it in a {@link Link}; undefined when the caller no longer wants it.
 * @throws Error when the connection fails (see `openWebSocket`).
 */
export async function openLink(url: string, options: OpenLinkOptions): Promise<Link | undefined> {
  const ws = await openWebSocket(url, {
    clock: options.clock,
    connectTimeoutMs: options.connectTimeoutMs,
    proxyUrl: proxyFor(url, options.proxy),
    tls: options.tls,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (!options.stillWanted()) {
    ws.terminate();
    return undefined;
  }
  return new Link(ws, options);
}
