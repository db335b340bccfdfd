/**
 * A tiny fake RCC server for client-side fuzzing: a `ws` WebSocketServer on 127.0.0.1:0 speaking tr_json2
 * (§2.1) that answers Logins with the RCC Login Refresh (§2.5), records every post, and acknowledges posts
 * (§2.9) — or holds their Acks back while a test throws arbitrary frames at the client.
 */
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import type { AccessToken, AuthProvider } from "../../../src/client/auth/auth-provider.js";
import { waitFor } from "../../helpers/wait-for.js";

/** A post as the fake server received it. */
export interface FakePost {
  connection: number;
  postId: number;
  ric: string;
  fields: Record<string, unknown>;
}

/** The RCC Login Refresh of §2.5, with a sane rate limit. */
export const LOGIN_REFRESH = {
  Type: "Refresh",
  Domain: "Login",
  ID: 1,
  Key: { Name: "fake", Elements: { "TRCE:MaxMessagesPerSecond": 100_000 } },
  State: { Stream: "Open", Data: "Ok", Text: "Login accepted by host fake" },
  Private: true,
  Solicited: false,
  ClearCache: false,
  DoNotCache: true,
};

/** The fake server. */
export class FakeRccServer {
  readonly #wss: WebSocketServer;
  readonly url: string;
  readonly posts: FakePost[] = [];
  /** Post frames whose Acks are held back while `holdAcks` is on (current connection only). */
  #held: FakePost[] = [];
  #current: { socket: WebSocket; id: number } | undefined;
  #connections = 0;
  /** Hold Acks back instead of sending them. */
  holdAcks = false;

  private constructor(wss: WebSocketServer) {
    this.#wss = wss;
    this.url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/WebSocket`;
    wss.on("connection", (socket) => {
      this.#connections += 1;
      const id = this.#connections;
      this.#current = { socket, id };
      this.#held = [];
      socket.on("message", (data) => this.#onMessage(socket, id, (data as Buffer).toString("utf8")));
      socket.on("error", () => undefined);
    });
  }

  /** Starts on a free port of 127.0.0.1. */
  static async start(): Promise<FakeRccServer> {
    const wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      handleProtocols: (protocols) => (protocols.has("tr_json2") ? "tr_json2" : false),
    });
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    return new FakeRccServer(wss);
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  /** Sends a raw frame (text or binary) to the current connection, if open. */
  send(frame: string | Uint8Array): void {
    const socket = this.#current?.socket;
    if (socket === undefined || socket.readyState !== socket.OPEN) return;
    if (typeof frame === "string") socket.send(frame);
    else socket.send(frame, { binary: true });
  }

  /** Stops holding Acks and acknowledges every held post of the current connection. */
  releaseAcks(): void {
    this.holdAcks = false;
    const held = this.#held;
    this.#held = [];
    if (held.length > 0) this.send(JSON.stringify(held.map((post) => ({ Type: "Ack", ID: 1, AckID: post.postId }))));
  }

  /** Resolves once `count` posts were received in total, or rejects after `timeoutMs`. */
  received(count: number, timeoutMs = 5000): Promise<void> {
    return waitFor(
      () => this.posts.length >= count,
      timeoutMs,
      () => `${count} posts (${this.posts.length} arrived)`,
    );
  }

  /** Closes every connection and the server. */
  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #onMessage(socket: WebSocket, connection: number, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const acks: object[] = [];
    for (const message of (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, any>[]) {
      if (message.Domain === "Login" && message.Type !== "Close" && message.Refresh !== false) {
        socket.send(JSON.stringify([LOGIN_REFRESH]));
      } else if (message.Type === "Ping") {
        socket.send('[{"Type":"Pong"}]');
      } else if (message.Type === "Post") {
        const post: FakePost = {
          connection,
          postId: message.PostID as number,
          ric: message.Key?.Name as string,
          fields: (message.Message?.Fields ?? {}) as Record<string, unknown>,
        };
        this.posts.push(post);
        if (this.holdAcks && this.#current?.id === connection) this.#held.push(post);
        else acks.push({ Type: "Ack", ID: 1, AckID: post.postId });
      }
    }
    if (acks.length > 0) socket.send(JSON.stringify(acks));
  }
}

/** An auth provider with one fixed token that never expires (the fake server does not check it). */
export function fixedTokenAuth(): AuthProvider {
  const token: AccessToken = { accessToken: "fake-access-token", expiresAtMs: Date.now() + 3_600_000 };
  return {
    user: "fake-user",
    getToken: () => Promise.resolve(token),
    onToken: () => () => undefined,
    onError: () => () => undefined,
    start: () => undefined,
    stop: () => undefined,
  };
}
