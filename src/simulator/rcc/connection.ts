/**
 * One simulated RCC WebSocket connection (§2, §3; checklist items 11–30): the socket, the login session, server
 * pings and idle detection, rate counting, and every way the connection can end. Its collaborators parse and
 * dispatch frames (frame-dispatch.ts), batch replies (reply-batch.ts) and buffer multi-part posts (post-parts.ts).
 *
 * Performance: one `JSON.parse` per frame; every reply produced by one inbound frame leaves in ONE
 * outbound array frame (a frame of more than `messagesPerSlice` messages: one per slice, inbound-queue.ts);
 * Acks are pre-serialised strings; nothing is logged per message.
 *
 * Hostile peers: frames are handled in order in slices (inbound-queue.ts); a peer that does not read is cut
 * once `maxBufferedBytes` wait for it; at most `maxErrorsPerFrame` Errors answer one frame; and a peer that
 * sends more than `maxMessagesBeforeLogin` messages without logging in is closed (1008).
 */
import type { RawData, WebSocket } from "ws";
import { redactSecrets, type Logger } from "../../util/logger.js";
import type { ConnectionInfo } from "../state.js";
import { binaryFrameError, buildError, type ConverterFailure } from "./converter-errors.js";
import { DeliveryQueue } from "./delivery-queue.js";
import { echo, openTextFrame } from "./frame-dispatch.js";
import { InboundQueue, type MessageCursor } from "./inbound-queue.js";
import { buildLoginStatus } from "./login-handler.js";
import { LoginSession } from "./login-session.js";
import { frameByteLength, frameText, redactForRecord } from "./inbound-frame.js";
import { StreamTable } from "./item-stream.js";
import type { ServedItemStream } from "./stream-types.js";
import { MultipartBuffer } from "./post-parts.js";
import { RateWindow } from "./rate-window.js";
import { ReplyBatch } from "./reply-batch.js";
import type { RicMatcher } from "./ric-matcher.js";
import { ServerPinger } from "./server-pinger.js";
import { TimerSet } from "./timer-set.js";
import type { LoginDetails, RateVerdict, ServerResources, ServerSession } from "./session.js";

/** Close codes the server uses (RFC 6455 §7.4.1). */
const CLOSE_CODES = { normal: 1000, goingAway: 1001, policy: 1008, tooBig: 1009 } as const;

const PING_FRAME = '[{"Type":"Ping"}]';

/**
 * How long a peer closed for misbehaving has to answer the close handshake before the socket is cut,
 * milliseconds. Its socket is no longer read meanwhile, so it cannot make the server parse more input.
 */
const HOSTILE_CLOSE_GRACE_MS = 1_000;

/** The server side of one WebSocket connection; implements the {@link ServerSession} the handlers use. */
export class RccConnection implements ServerSession {
  readonly resources: ServerResources;
  readonly info: ConnectionInfo;
  readonly log: Logger;
  /** Resolves once the socket is closed and the connection forgotten. */
  readonly closed: Promise<void>;
  frameTimeMs = 0;
  readonly rate: RateVerdict;
  readonly streams: StreamTable;
  /** Multi-part posts waiting for their last part (§4A.6 rule 8); emptied on Login close and on close. */
  readonly postParts = new MultipartBuffer();
  /** The mutable side of {@link rate}, updated for every inbound message. */
  readonly #verdict: { overLimit: boolean; delayMs(): number };

  readonly #ws: WebSocket;
  readonly #window: RateWindow;
  #frameMonotonicMs = 0;
  readonly #login: LoginSession;
  /** Replies of the current inbound frame (§2.2: one array frame per inbound frame). */
  readonly #replies: ReplyBatch;
  /** Fan-out messages waiting for the end of the current task (§4A.6 rule 5). */
  readonly #deliveries = new DeliveryQueue((frame) => {
    if (!this.#closing) this.#send(frame);
  });
  readonly #timers: TimerSet;
  readonly #pinger: ServerPinger;
  readonly #frameHooks = {
    isClosing: () => this.#closing,
    count: (message: unknown) => this.#countMessage(message),
    admit: () => this.#admit(),
  };
  readonly #inbound: InboundQueue;
  /** Messages received while no Login was accepted (bounded by `maxMessagesBeforeLogin`). */
  #messagesBeforeLogin = 0;
  /** Set once the connection is ending: further input is ignored. */
  #closing = false;
  #resolveClosed!: () => void;

  constructor(ws: WebSocket, resources: ServerResources, remoteAddress: string) {
    const { context } = resources;
    this.resources = resources;
    this.#ws = ws;
    this.info = context.state.openConnection(resources.listener, remoteAddress, context.clock.now());
    this.log = context.log.child({ connection: this.info.id, listener: resources.listener });
    this.#window = new RateWindow(context.clock);
    this.streams = new StreamTable(resources.subscriptions);
    this.#timers = new TimerSet(context.clock);
    this.#replies = new ReplyBatch(
      (frame) => this.#send(frame),
      this.#timers,
      (messages) => {
        this.info.messagesOut += messages;
      },
      context.config.maxErrorsPerFrame,
    );
    // Item 16, "close" policy: a session whose token expires without a re-login is ended.
    this.#login = new LoginSession(resources, this.info, this.#timers, () => {
      this.log.info("access token expired without re-login");
      this.terminate(context.config.invalidTokenCode, "Access token expired: re-login with a new token before expiry");
    });
    this.#verdict = { overLimit: false, delayMs: () => this.#window.msUntilNextExpiry(this.#frameMonotonicMs) };
    this.rate = this.#verdict;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    const { config } = context;
    this.#inbound = new InboundQueue({
      messagesPerSlice: config.messagesPerSlice,
      // Paused, the socket delivers at most the rest of one read: two frames of the largest size ws accepts.
      maxQueuedBytes: 2 * (config.maxMessageBytes * 2 + 65_536),
      schedule: (fn) => setImmediate(fn),
      pause: () => ws.pause(),
      resume: () => {
        if (!this.#closing) ws.resume();
      },
      onOverflow: (bytes) => {
        this.log.info({ bytes }, "too much input waiting while paused; closing the connection");
        this.#closeHostile(CLOSE_CODES.policy, "Too much input waiting");
      },
    });
    ws.on("message", (data, isBinary) => this.#onFrame(data, isBinary));
    // A WebSocket control ping is traffic too; ws answers it with a pong by itself (item 19).
    ws.on("ping", () => this.#pinger.traffic());
    ws.on("close", (code) => this.#onClose(code));
    ws.on("error", (error) => this.log.debug({ err: error.message }, "socket error"));
    const scope = { listener: resources.listener, connection: this.info.id };
    this.#pinger = new ServerPinger(
      context.clock,
      context.config.pingIntervalMs,
      context.config.missedPingsBeforeDisconnect,
      {
        pingsStopped: () => context.faults.match("stop-pings", scope) !== undefined,
        sendPing: () => {
          this.#send(PING_FRAME);
          this.info.messagesOut += 1;
          context.state.counters.pingsSent += 1;
        },
        onSilence: (unanswered) => {
          this.log.info({ unanswered }, "no traffic during the last pings; cutting the connection");
          this.#close(CLOSE_CODES.policy, `No traffic after ${unanswered} pings`);
        },
      },
    );
    this.#pinger.start();
    this.log.info({ remoteAddress }, "connection opened");
  }

  get loginStreamId(): number | undefined {
    return this.#login.streamId;
  }

  get permissions(): RicMatcher | undefined {
    return this.#login.permissions;
  }

  reply(json: string): void {
    this.#replies.push(json);
    this.info.messagesOut += 1;
  }

  replyMessage(message: object): void {
    this.reply(JSON.stringify(message));
  }

  replyError(failure: ConverterFailure, element: unknown, countInState = true): void {
    this.info.errors += 1;
    if (countInState) this.resources.context.state.counters.errors += 1;
    if (this.#replies.admitError()) this.replyMessage(buildError(failure, echo(element)));
  }

  replyLater(json: string, delayMs: number): void {
    this.#replies.pushLater(json, delayMs);
  }

  deliver(json: string): void {
    if (this.#closing) return;
    this.info.messagesOut += 1;
    this.#deliveries.push(json);
  }

  forget(stream: ServedItemStream): void {
    this.streams.forget(stream);
  }

  startSession(details: LoginDetails): boolean {
    // An ending connection has no session to open (and must not count one as logged in again).
    if (this.#closing) return false;
    this.#login.start(details);
    return true;
  }

  endSession(): void {
    // Closing the login stream ends every stream of the connection (§2.13), and every post still open on them.
    this.streams.closeAll();
    this.postParts.clear();
    this.#login.end();
    this.log.info("login stream closed by the client");
  }

  terminate(code: string, text: string, streamId?: number, userName?: string): void {
    if (this.#closing) return;
    const shape = { ads: this.resources.profile === "ads", ...(userName === undefined ? {} : { userName }) };
    this.replyMessage(buildLoginStatus(streamId ?? this.#login.streamId ?? 1, code, text, shape));
    this.#flush();
    this.#close(CLOSE_CODES.normal, text);
  }

  /** One-shot fault `system-busy` (item 17): RCC's "System busy" Login Status, then close. */
  systemBusy(): void {
    this.log.info("injected System busy");
    this.terminate("NoResources", "System busy");
  }

  /** One-shot fault `disconnect`: drop the TCP connection without a close handshake. */
  drop(): void {
    this.log.info("injected disconnect");
    this.#beginClosing();
    this.#ws.terminate();
  }

  /** Server teardown (item 29): close 1001, then terminate if the peer has not finished after `graceMs`. */
  shutdown(graceMs: number): Promise<void> {
    if (this.#ws.readyState === this.#ws.CLOSED) return this.closed;
    this.#close(CLOSE_CODES.goingAway, "Server shutting down");
    this.#timers.start(() => this.#ws.terminate(), graceMs);
    return this.closed;
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    if (this.#closing) return;
    const { clock } = this.resources.context;
    this.#pinger.traffic();
    const bytes = frameByteLength(data);
    const arrivedAtMs = clock.now();
    const arrivedMonotonicMs = clock.monotonic();
    this.#inbound.push({
      bytes,
      open: () => this.#openFrame(data, isBinary, bytes, arrivedAtMs, arrivedMonotonicMs),
    });
  }

  /** Starts handling one frame (its turn has come); returns its messages still to handle, if any. */
  #openFrame(
    data: RawData,
    isBinary: boolean,
    bytes: number,
    arrivedAtMs: number,
    arrivedMonotonicMs: number,
  ): MessageCursor | undefined {
    if (this.#closing) return undefined;
    const { config } = this.resources.context;
    // Item 30: an oversized frame is "rejected and results in a disconnection" (§2.2).
    if (bytes > config.maxMessageBytes) {
      this.log.info({ bytes, limit: config.maxMessageBytes }, "message too big");
      this.#close(CLOSE_CODES.tooBig, `Message of ${bytes} bytes exceeds ${config.maxMessageBytes}`);
      return undefined;
    }
    this.frameTimeMs = arrivedAtMs;
    this.#frameMonotonicMs = arrivedMonotonicMs;
    const text = frameText(data);
    if (isBinary) {
      const record = `<binary frame of ${bytes} bytes>`;
      if (this.#admit()) {
        this.#countMessage(record);
        this.replyError(binaryFrameError(), redactSecrets(text));
      }
      this.#endFrame();
      return undefined;
    }
    const cursor = openTextFrame(this, text, this.#frameHooks);
    if (cursor === undefined) {
      this.#endFrame();
      return undefined;
    }
    return {
      advance: (limit) => {
        const handled = cursor.advance(limit);
        if (cursor.done) this.#endFrame();
        return handled;
      },
      get done() {
        return cursor.done;
      },
      endSlice: () => this.#flush(),
    };
  }

  /** The frame is handled: its last replies leave, with one Error counting those left unanswered. */
  #endFrame(): void {
    if (this.#replies.endFrame().unansweredErrors > 0) this.info.messagesOut += 1;
  }

  /**
   * Whether the next message may be handled: before a Login is accepted only `maxMessagesBeforeLogin` are (a
   * client logs in first; a peer that does not only costs work). Past it the connection is closed (1008).
   */
  #admit(): boolean {
    if (this.#login.streamId !== undefined) return true;
    const limit = this.resources.context.config.maxMessagesBeforeLogin;
    this.#messagesBeforeLogin += 1;
    if (this.#messagesBeforeLogin <= limit) return true;
    this.log.info({ limit }, "too many messages before a Login; closing the connection");
    // What was answered so far leaves before the close frame.
    this.#endFrame();
    this.#closeHostile(CLOSE_CODES.policy, `Too many messages before a Login (at most ${limit}): log in first`);
    return false;
  }

  /** Counts one inbound message in the rate window (item 26) and records it (item 32). */
  #countMessage(message: unknown): void {
    const { config, state } = this.resources.context;
    const inWindow = this.#window.add(1, this.#frameMonotonicMs);
    const overLimit = inWindow > config.maxMessagesPerSecond;
    this.#verdict.overLimit = overLimit;
    state.noteWindow(this.info, inWindow, overLimit);
    state.recordMessage(this.info.id, redactForRecord(message), this.frameTimeMs);
    this.info.messagesIn += 1;
  }

  #flush(): void {
    this.#replies.flush();
  }

  #send(frame: string): void {
    const ws = this.#ws;
    if (ws.readyState !== ws.OPEN) return;
    // A peer that does not read would otherwise make the server buffer every reply, without limit.
    const buffered = ws.bufferedAmount;
    const limit = this.resources.context.config.maxBufferedBytes;
    if (buffered + frame.length > limit) {
      this.log.info(
        { bufferedBytes: buffered, frameBytes: frame.length, limit },
        "peer is not reading: too much waiting to be sent; terminating the connection",
      );
      this.#beginClosing();
      ws.terminate();
      return;
    }
    ws.send(frame);
  }

  /**
   * Every way the connection ends starts here: no more input or pings, and its session (if any) stops counting
   * as logged in at once, not when the close handshake completes, since the server has ended it.
   */
  #beginClosing(): void {
    this.#closing = true;
    this.#pinger.stop();
    this.#inbound.stop();
    this.#login.release();
  }

  #close(code: number, reason: string): void {
    this.#beginClosing();
    // Close reasons are limited to 123 bytes (RFC 6455 §5.5).
    this.#ws.close(code, reason.slice(0, 120));
  }

  /** Closes a misbehaving peer: no more of its input is read, and the socket is cut if it does not answer. */
  #closeHostile(code: number, reason: string): void {
    if (this.#closing) return;
    this.#close(code, reason);
    this.#ws.pause();
    this.#timers.start(() => this.#ws.terminate(), HOSTILE_CLOSE_GRACE_MS);
  }

  #onClose(code: number): void {
    const { state } = this.resources.context;
    this.#beginClosing();
    this.#timers.clearAll();
    this.streams.closeAll();
    this.postParts.clear();
    this.#deliveries.clear();
    state.closeConnection(this.info);
    this.log.info({ code }, "connection closed");
    this.#resolveClosed();
  }
}
