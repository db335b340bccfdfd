/**
 * One simulated RCC WebSocket connection (§2, §3; checklist items 11–30): frame parsing, dispatch through
 * the handler table, reply batching, the login session, server pings and idle detection, rate counting,
 * and every way the connection can end.
 *
 * Performance: one `JSON.parse` per frame; every reply produced by one inbound frame leaves in ONE
 * outbound array frame; Acks are pre-serialised strings; nothing is logged per message.
 */
import type { RawData, WebSocket } from "ws";
import { redactSecrets, type Logger } from "../../util/logger.js";
import type { ConnectionInfo } from "../state.js";
import {
  binaryFrameError,
  buildError,
  ConverterFailure,
  invalidContainer,
  missingKey,
  parserError,
} from "./converter-errors.js";
import { DeliveryQueue } from "./delivery-queue.js";
import { MESSAGE_HANDLERS } from "./handlers.js";
import { buildLoginStatus } from "./login-handler.js";
import { LoginSession } from "./login-session.js";
import { frameByteLength, frameText, redactForRecord } from "./inbound-frame.js";
import { type ItemStream, StreamTable } from "./item-stream.js";
import { isJsonObject, readStreamId, readType } from "./message-keys.js";
import { RateWindow } from "./rate-window.js";
import type { RicMatcher } from "./ric-matcher.js";
import { ServerPinger } from "./server-pinger.js";
import { TimerSet } from "./timer-set.js";
import type { LoginDetails, RateVerdict, ServerResources, Session } from "./session.js";

/** Close codes the server uses (RFC 6455 §7.4.1). */
export const CLOSE_CODES = { normal: 1000, goingAway: 1001, policy: 1008, tooBig: 1009 } as const;

const PING_FRAME = '[{"Type":"Ping"}]';

/** The server side of one WebSocket connection; implements the {@link Session} the handlers use. */
export class RccConnection implements Session {
  readonly resources: ServerResources;
  readonly info: ConnectionInfo;
  readonly log: Logger;
  /** Resolves once the socket is closed and the connection forgotten. */
  readonly closed: Promise<void>;
  frameTimeMs = 0;
  readonly rate: RateVerdict;
  readonly streams: StreamTable;
  /** The mutable side of {@link rate}, updated for every inbound message. */
  readonly #verdict: { overLimit: boolean; delayMs(): number };

  readonly #ws: WebSocket;
  readonly #window: RateWindow;
  #frameMonotonicMs = 0;
  readonly #login: LoginSession;
  /** Replies of the current inbound frame, as JSON texts. */
  #out: string[] = [];
  /** Delayed replies of the current inbound frame, by delay. */
  #later = new Map<number, string[]>();
  /** Fan-out messages waiting for the end of the current task (§4A.6 rule 5). */
  readonly #deliveries = new DeliveryQueue((frame) => {
    if (!this.#closing) this.#send(frame);
  });
  readonly #timers: TimerSet;
  readonly #pinger: ServerPinger;
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
    this.#out.push(json);
    this.info.messagesOut += 1;
  }

  replyMessage(message: object): void {
    this.reply(JSON.stringify(message));
  }

  replyError(failure: ConverterFailure, element: unknown, countInState = true): void {
    this.info.errors += 1;
    if (countInState) this.resources.context.state.counters.errors += 1;
    this.replyMessage(buildError(failure, echo(element)));
  }

  replyLater(json: string, delayMs: number): void {
    const pending = this.#later.get(delayMs);
    if (pending) pending.push(json);
    else this.#later.set(delayMs, [json]);
  }

  deliver(json: string): void {
    if (this.#closing) return;
    this.info.messagesOut += 1;
    this.#deliveries.push(json);
  }

  forget(stream: ItemStream): void {
    this.streams.forget(stream);
  }

  startSession(details: LoginDetails): void {
    this.#login.start(details);
  }

  endSession(): void {
    // Closing the login stream ends every stream of the connection (§2.13).
    this.streams.closeAll();
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
    this.#closing = true;
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
    const { config, clock } = this.resources.context;
    const bytes = frameByteLength(data);
    // Item 30: an oversized frame is "rejected and results in a disconnection" (§2.2).
    if (bytes > config.maxMessageBytes) {
      this.log.info({ bytes, limit: config.maxMessageBytes }, "message too big");
      this.#close(CLOSE_CODES.tooBig, `Message of ${bytes} bytes exceeds ${config.maxMessageBytes}`);
      return;
    }
    this.#pinger.traffic();
    this.frameTimeMs = clock.now();
    this.#frameMonotonicMs = clock.monotonic();
    const text = frameText(data);
    if (isBinary) {
      this.#countMessage(`<binary frame of ${bytes} bytes>`);
      this.replyError(binaryFrameError(), redactSecrets(text));
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        this.#countMessage(redactSecrets(text));
        this.replyError(parserError(error instanceof Error ? error.message : String(error), text.length), text);
        this.#flush();
        return;
      }
      const elements: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
      for (const element of elements) {
        // A handler may end the connection mid-frame (login refused, rate "disconnect"): drop the rest.
        if (this.#isClosing()) break;
        this.#countMessage(element);
        try {
          this.#dispatch(element);
        } catch (error) {
          // Nothing a client sends may bring the server down (e.g. nesting deep enough to overflow the stack
          // while an element is walked): answer the element with a converter Error and go on (§2.11).
          this.log.warn(
            { err: error instanceof Error ? error.message : String(error) },
            "message could not be handled",
          );
          this.replyError(invalidContainer(), element);
        }
      }
    }
    this.#flush();
  }

  #isClosing(): boolean {
    return this.#closing;
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

  #dispatch(element: unknown): void {
    if (!isJsonObject(element)) return this.replyError(invalidContainer(), element);
    const rawId = element.ID;
    const knownId = typeof rawId === "number" && Number.isInteger(rawId) ? rawId : 0;
    const type = readType(element.Type, knownId);
    if (type instanceof ConverterFailure) return this.replyError(type, element);
    const handler = MESSAGE_HANDLERS[type];
    if (!handler.requiresStreamId) return handler.handle(this, element, knownId);
    if (rawId === undefined) return this.replyError(missingKey("ID"), element);
    const id = readStreamId(rawId);
    if (id instanceof ConverterFailure) return this.replyError(id, element);
    handler.handle(this, element, id);
  }

  /** Sends the replies of the current frame as one array frame, and schedules its delayed replies. */
  #flush(): void {
    if (this.#out.length > 0) {
      const frame = `[${this.#out.join(",")}]`;
      this.#out = [];
      this.#send(frame);
    }
    if (this.#later.size > 0) {
      for (const [delayMs, parts] of this.#later) {
        const frame = `[${parts.join(",")}]`;
        this.#timers.start(() => {
          this.info.messagesOut += parts.length;
          this.#send(frame);
        }, delayMs);
      }
      this.#later = new Map();
    }
  }

  #send(frame: string): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(frame);
  }

  #close(code: number, reason: string): void {
    this.#closing = true;
    this.#pinger.stop();
    // Close reasons are limited to 123 bytes (RFC 6455 §5.5).
    this.#ws.close(code, reason.slice(0, 120));
  }

  #onClose(code: number): void {
    this.#closing = true;
    const { state } = this.resources.context;
    this.#pinger.stop();
    this.#timers.clearAll();
    this.streams.closeAll();
    this.#deliveries.clear();
    state.closeConnection(this.info);
    this.log.info({ code }, "connection closed");
    this.#resolveClosed();
  }
}

/** The offending message as text for `Debug.Message`; a value too deeply nested to serialise is described instead. */
function echo(element: unknown): string {
  if (typeof element === "string") return element;
  try {
    return JSON.stringify(element);
  } catch {
    return "<message too deeply nested to echo>";
  }
}
