/**
 * A hostile RCC server for the "hostile peers" resilience tests: a `ws` WebSocketServer on 127.0.0.1:0
 * speaking tr_json2 (§2.1) that behaves like RCC by default — answers a Login with a Login Refresh (§2.5),
 * answers client Pings with Pongs (§2.7) and acknowledges every post (§2.9) — and lets a test take over any
 * of that and send whatever it likes: raw text or binary frames, Login Refreshes with odd rate limits, bursts
 * and floods of Pings, Acks and Naks with arbitrary AckIDs and codes, converter Errors with arbitrary text,
 * or nothing at all.
 *
 * Everything the client sends is recorded with its arrival time (`performance.now()`), so tests can count
 * Pongs, measure rates and latencies, and find posts by RIC. The server knows nothing of the client library:
 * CLI tests (a child process) use it the same way as library tests.
 *
 * Typical use:
 * ```ts
 * const server = await HostileRccServer.start({ maxMessagesPerSecond: 1000 });
 * server.onLogin = (_login, connection) => connection.send([loginRefresh(1000), ...pings(30_000)]);
 * // … connect a client to server.url, contribute …
 * await server.close();
 * ```
 */
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { type WebSocket, WebSocketServer } from "ws";
import { waitFor } from "../../../helpers/wait-for.js";

/** Any message the client sent, as parsed JSON, with where and when it arrived. */
export interface ReceivedMessage {
  /** 1-based number of the connection it arrived on. */
  connection: number;
  /** `performance.now()` at arrival, milliseconds. */
  atMs: number;
  message: Record<string, unknown>;
}

/** A post as the server received it. */
export interface ReceivedPost {
  connection: number;
  atMs: number;
  /** The post's `PostID` as sent (a number for this library's posts). */
  postId: number;
  /** `Key.Name`, or undefined on an on-stream post. */
  ric: string | undefined;
  fields: Record<string, unknown>;
  message: Record<string, unknown>;
}

/** What to do with a post. `"ack"`: a plain Ack at once; `"silent"`: nothing; a function: whatever it does. */
export type PostBehaviour = "ack" | "silent" | ((post: ReceivedPost, connection: HostileConnection) => void);

/** What to do with a Login request. `"refresh"`: the server's Login Refresh; `"silent"`: nothing. */
export type LoginBehaviour =
  | "refresh"
  | "silent"
  | ((login: Record<string, unknown>, connection: HostileConnection) => void);

/** Options of {@link HostileRccServer.start}. */
export interface HostileRccServerOptions {
  /**
   * `TRCE:MaxMessagesPerSecond` of the default Login Refresh: any JSON value, sent as is (a hostile value
   * such as `1e9`, `-5`, `"abc"` or `0` included); `undefined` leaves the element out. @default 100_000
   */
  maxMessagesPerSecond?: unknown;
  /** Answer client Pings with Pongs (§2.7). @default true */
  answerPings?: boolean;
  /** Initial {@link HostileRccServer.onLogin}. @default "refresh" */
  onLogin?: LoginBehaviour;
  /** Initial {@link HostileRccServer.onPost}. @default "ack" */
  onPost?: PostBehaviour;
}

/** The RCC Login Refresh of §2.5 with `maxMessagesPerSecond` as its rate element (left out when undefined). */
export function loginRefresh(maxMessagesPerSecond: unknown = 100_000, extra: Record<string, unknown> = {}): object {
  const elements = maxMessagesPerSecond === undefined ? {} : { "TRCE:MaxMessagesPerSecond": maxMessagesPerSecond };
  return {
    Type: "Refresh",
    Domain: "Login",
    ID: 1,
    Key: { Name: "hostile", Elements: elements },
    State: { Stream: "Open", Data: "Ok", Text: "Login accepted by host hostile" },
    Private: true,
    Solicited: true,
    ...extra,
  };
}

/** `count` Pings (§2.7), to send as one frame or to spread over several. */
export function pings(count: number): object[] {
  return Array.from({ length: count }, () => ({ Type: "Ping" }));
}

/** An Ack (§2.9) with `ackId` sent exactly as given — any JSON value — and optional extra keys (a Nak's). */
export function ack(ackId: unknown, extra: Record<string, unknown> = {}): object {
  return { Type: "Ack", ID: 1, AckID: ackId, ...extra };
}

/** A Nak (§2.9): an Ack carrying `nakCode` (any JSON value) and `text`. */
export function nak(ackId: unknown, nakCode: unknown = "SymbolUnknown", text = "Symbol unknown"): object {
  return ack(ackId, { NakCode: nakCode, Text: text });
}

/** A converter Error (§2.11) with arbitrary `text`, and `Debug.Message` when given. */
export function serverError(text: string, debugMessage?: string, id: unknown = 0): object {
  return debugMessage === undefined
    ? { Type: "Error", ID: id, Text: text }
    : { Type: "Error", ID: id, Text: text, Debug: { File: "hostile.C", Line: 1, Message: debugMessage } };
}

/** One accepted WebSocket connection. */
export class HostileConnection {
  /** 1-based, in accept order. */
  readonly id: number;
  readonly #socket: WebSocket;

  constructor(id: number, socket: WebSocket) {
    this.id = id;
    this.#socket = socket;
  }

  /** Whether the socket can still send. */
  get open(): boolean {
    return this.#socket.readyState === this.#socket.OPEN;
  }

  /**
   * Sends one frame: a string or bytes exactly as given (bytes as a binary frame), an array as a packed
   * frame (§2.2), any other value as its JSON. Ignored once the socket is closed.
   */
  send(frame: string | Uint8Array | object): void {
    if (!this.open) return;
    if (typeof frame === "string") this.#socket.send(frame);
    else if (frame instanceof Uint8Array) this.#socket.send(frame, { binary: true });
    else this.#socket.send(JSON.stringify(frame));
  }

  /** Bytes queued in the socket and not yet written (to pace a flood without buffering without end). */
  get bufferedBytes(): number {
    return this.#socket.bufferedAmount;
  }

  /** Drops the TCP connection without a close handshake. */
  terminate(): void {
    this.#socket.terminate();
  }
}

/** A running flood, stopped with {@link Flood.stop}. */
export interface Flood {
  /** Frames sent so far. */
  readonly frames: number;
  /** Stops sending (idempotent). */
  stop(): void;
}

/** The hostile server. */
export class HostileRccServer {
  readonly url: string;
  /** Every message the client sent, in arrival order (all connections). */
  readonly received: ReceivedMessage[] = [];
  /** Every post the client sent, in arrival order (all connections). */
  readonly posts: ReceivedPost[] = [];
  /** How a Login is answered; may be changed at any time. */
  onLogin: LoginBehaviour;
  /** How a post is answered; may be changed at any time. */
  onPost: PostBehaviour;
  /** Answer client Pings with Pongs; may be changed at any time. */
  answerPings: boolean;
  /** `TRCE:MaxMessagesPerSecond` of the default Login Refresh (see {@link HostileRccServerOptions}). */
  maxMessagesPerSecond: unknown;
  readonly #wss: WebSocketServer;
  readonly #connections: HostileConnection[] = [];
  readonly #floods = new Set<() => void>();

  private constructor(wss: WebSocketServer, options: HostileRccServerOptions) {
    this.#wss = wss;
    this.url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/WebSocket`;
    this.onLogin = options.onLogin ?? "refresh";
    this.onPost = options.onPost ?? "ack";
    this.answerPings = options.answerPings ?? true;
    this.maxMessagesPerSecond = "maxMessagesPerSecond" in options ? options.maxMessagesPerSecond : 100_000;
    wss.on("connection", (socket) => {
      const connection = new HostileConnection(this.#connections.length + 1, socket);
      this.#connections.push(connection);
      socket.on("message", (data) => this.#onFrame(connection, (data as Buffer).toString("utf8")));
      socket.on("error", () => undefined);
    });
  }

  /** Starts on a free port of 127.0.0.1 (port 0), accepting only the tr_json2 subprotocol. */
  static async start(options: HostileRccServerOptions = {}): Promise<HostileRccServer> {
    const wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      handleProtocols: (protocols) => (protocols.has("tr_json2") ? "tr_json2" : false),
    });
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    return new HostileRccServer(wss, options);
  }

  /** Connections accepted so far, oldest first. */
  get connections(): readonly HostileConnection[] {
    return this.#connections;
  }

  /** The newest connection, if any. */
  get current(): HostileConnection | undefined {
    return this.#connections.at(-1);
  }

  /** Sends one frame to the newest connection (see {@link HostileConnection.send}). */
  send(frame: string | Uint8Array | object): void {
    this.current?.send(frame);
  }

  /** Messages of `type` the client sent (e.g. "Pong", "Ping", "Post"), optionally since `sinceMs`. */
  receivedOfType(type: string, sinceMs = Number.NEGATIVE_INFINITY): ReceivedMessage[] {
    return this.received.filter((entry) => entry.message.Type === type && entry.atMs >= sinceMs);
  }

  /**
   * Sends `perFrame` Pings in one frame every `everyMs` milliseconds to the newest connection until stopped
   * (or the server closes): `perFrame × 1000 / everyMs` Pings per second. A tick is skipped while more than
   * 1 MiB waits in the socket, so a client that stops reading is not answered with unbounded memory here.
   */
  floodPings(perFrame: number, everyMs: number): Flood {
    const frame = JSON.stringify(pings(perFrame));
    let frames = 0;
    const timer = setInterval(() => {
      const connection = this.current;
      if (connection === undefined || connection.bufferedBytes > 1 << 20) return;
      connection.send(frame);
      frames += 1;
    }, everyMs);
    const stop = (): void => {
      clearInterval(timer);
      this.#floods.delete(stop);
    };
    this.#floods.add(stop);
    return {
      get frames() {
        return frames;
      },
      stop,
    };
  }

  /** Resolves once `predicate()` holds (the suite's {@link waitFor}); rejects after `timeoutMs` naming `what`. */
  waitFor(predicate: () => boolean, timeoutMs = 5000, what: string | (() => string) = "a condition"): Promise<void> {
    return waitFor(predicate, timeoutMs, what);
  }

  /** Resolves once `count` posts arrived in total; rejects after `timeoutMs`. */
  waitForPosts(count: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor(
      () => this.posts.length >= count,
      timeoutMs,
      () => `${count} posts (got ${this.posts.length})`,
    );
  }

  /** Stops every flood, drops every connection and closes the server. */
  async close(): Promise<void> {
    for (const stop of [...this.#floods]) stop();
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #onFrame(connection: HostileConnection, text: string): void {
    const atMs = performance.now();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const acks: object[] = [];
    for (const element of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof element !== "object" || element === null) continue;
      const message = element as Record<string, unknown>;
      this.received.push({ connection: connection.id, atMs, message });
      if (message.Domain === "Login" && message.Type !== "Close") this.#answerLogin(message, connection);
      else if (message.Type === "Ping" && this.answerPings) connection.send([{ Type: "Pong" }]);
      else if (message.Type === "Post") {
        const post = toPost(message, connection.id, atMs);
        this.posts.push(post);
        const behaviour = this.onPost;
        if (behaviour === "ack") acks.push(ack(post.postId));
        else if (behaviour !== "silent") behaviour(post, connection);
      }
    }
    if (acks.length > 0) connection.send(acks);
  }

  #answerLogin(login: Record<string, unknown>, connection: HostileConnection): void {
    const behaviour = this.onLogin;
    if (behaviour === "silent") return;
    if (behaviour !== "refresh") return behaviour(login, connection);
    // A silent re-login (Refresh: false, §2.4) gets no Refresh from RCC.
    if (login.Refresh !== false) connection.send([loginRefresh(this.maxMessagesPerSecond)]);
  }
}

function toPost(message: Record<string, unknown>, connection: number, atMs: number): ReceivedPost {
  const key = message.Key as Record<string, unknown> | undefined;
  const inner = message.Message as Record<string, unknown> | undefined;
  return {
    connection,
    atMs,
    postId: message.PostID as number,
    ric: typeof key?.Name === "string" ? key.Name : undefined,
    fields: (inner?.Fields ?? {}) as Record<string, unknown>,
    message,
  };
}
