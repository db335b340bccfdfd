/**
 * Leniency towards server variations the simulator does not produce: object frames, Key.Name
 * null or absent, typed or missing rate elements, numeric Nak codes, texts with trailing newlines, echoed
 * SeqNumber/Key, extra Login Refreshes, unknown message types and non-JSON frames. A scripted ws server
 * plays the server side.
 */
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { afterEach, describe, expect, test } from "vitest";
import type { AccessToken, AuthProvider } from "../../src/client/auth/auth-provider.js";
import { Contributor } from "../../src/client/contributor.js";
import { NakError } from "../../src/client/errors.js";
import { waitFor } from "./client-fixtures.js";

const servers: WebSocketServer[] = [];
const clients: Contributor[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          for (const socket of server.clients) socket.terminate();
          server.close(() => resolve());
        }),
    ),
  );
});

const staticAuth: AuthProvider = {
  user: "GE-A-TEST",
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({ accessToken: "static-token", expiresAtMs: Date.now() + 600_000 }),
  onToken: () => () => undefined,
  onError: () => () => undefined,
  start: () => undefined,
  stop: () => undefined,
};

interface Scripted {
  url: string;
  received: any[];
  /** Raw text frames received. */
  frames: string[];
  socket: () => WebSocket;
}

/** A server that answers the Login with `loginReply` and each post with `ackFor(post)` (raw JSON text). */
async function scriptedServer(loginReply: string, ackFor: (post: any) => string | undefined): Promise<Scripted> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "tr_json2" });
  servers.push(server);
  const received: any[] = [];
  const frames: string[] = [];
  let last: WebSocket | undefined;
  server.on("connection", (socket) => {
    last = socket;
    socket.on("message", (data) => {
      const text = (data as Buffer).toString();
      frames.push(text);
      const parsed: unknown = JSON.parse(text);
      for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
        received.push(message);
        if (message.Domain === "Login" && message.Refresh !== false && message.Type !== "Close")
          socket.send(loginReply);
        if (message.Type === "Post") {
          const reply = ackFor(message);
          if (reply !== undefined) socket.send(reply);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/WebSocket`,
    received,
    frames,
    socket: () => last as WebSocket,
  };
}

function client(url: string, options: Record<string, unknown> = {}): Contributor {
  const contributor = new Contributor({
    auth: staticAuth,
    urls: [url],
    backoff: { initialDelayMs: 10, maxDelayMs: 20 },
    ...options,
  });
  clients.push(contributor);
  return contributor;
}

const OPEN_OK = { Stream: "Open", Data: "Ok", Text: "Login accepted\n" };

describe("lenient reading of server messages", () => {
  test("a bare-object Login Refresh with Key.Name null and no rate element uses the configured default", async () => {
    const server = await scriptedServer(
      JSON.stringify({ Type: "Refresh", Domain: "Login", ID: 1, Key: { Name: null }, State: OPEN_OK }),
      (post) => JSON.stringify({ Type: "Ack", ID: 1, AckID: post.PostID }),
    );
    const contributor = client(server.url, { defaultMaxMessagesPerSecond: 321 });
    const ready = new Promise((resolve) => contributor.once("ready", resolve));
    await contributor.connect();
    expect(await ready).toMatchObject({ maxMessagesPerSecond: 321, advertised: false, text: "Login accepted" });
    await expect(contributor.contribute("X.N", { BID: 1 })).resolves.toMatchObject({ postId: 1 });
  });

  test("numeric enums, a typed rate element and a Refresh without Key are understood", async () => {
    const server = await scriptedServer(
      JSON.stringify([
        {
          Type: 2,
          Domain: 1,
          ID: 1,
          State: { Stream: 1, Data: 1 },
          Elements: { "TRCE:MaxMessagesPerSecond": { Type: "UInt", Data: 500 } },
        },
      ]),
      (post) =>
        JSON.stringify([
          { Type: 6, ID: 1, AckID: post.PostID, SeqNumber: 7, Key: { Service: "DDS_TRCE", Name: post.Key.Name } },
        ]),
    );
    const contributor = client(server.url);
    await contributor.connect();
    expect(contributor.stats().maxMessagesPerSecond).toBe(500);
    await expect(contributor.contribute("X.N", { BID: 1 })).resolves.toMatchObject({ ric: "X.N" });
  });

  test("a numeric NakCode maps to its name and a Nak text loses its trailing newline", async () => {
    const server = await scriptedServer(
      JSON.stringify([{ Type: "Refresh", Domain: "Login", ID: 1, State: OPEN_OK }]),
      (post) => JSON.stringify([{ Type: "Ack", ID: 1, AckID: post.PostID, NakCode: 10, Text: "Symbol unknown\n" }]),
    );
    const contributor = client(server.url);
    await contributor.connect();
    const error = await contributor.contribute("X.N", { BID: 1 }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(NakError);
    expect(error).toMatchObject({ nakCode: "SymbolUnknown", text: "Symbol unknown" });
  });

  test("unknown message types, odd elements, non-JSON frames and unmatched Errors are ignored, not fatal", async () => {
    const server = await scriptedServer(
      JSON.stringify([{ Type: "Refresh", Domain: "Login", ID: 1, State: OPEN_OK }]),
      (post) => JSON.stringify([{ Type: "Ack", ID: 1, AckID: post.PostID }]),
    );
    const contributor = client(server.url);
    await contributor.connect();
    const socket = server.socket();
    socket.send(
      JSON.stringify([
        { Type: "Generic", ID: 1 },
        { Type: "Mystery" },
        42,
        null,
        { Type: "Update", ID: 5, Fields: {} },
      ]),
    );
    socket.send("this is not JSON");
    socket.send(JSON.stringify([{ Type: "Error", ID: 0, Text: "JSON parser error: -2" }]));
    socket.send(JSON.stringify([{ Type: "Ack", ID: 1, AckID: 999 }]));
    await waitFor(() => contributor.stats().errors.unmatchedAcks === 1, 2000, "the stray Ack");
    expect(contributor.stats().errors.unmatched).toBe(1);
    expect(contributor.state).toBe("ready");
    await expect(contributor.contribute("X.N", { BID: 1 })).resolves.toBeDefined();
  });

  test("answers every Ping with a Pong at once", async () => {
    const server = await scriptedServer(
      JSON.stringify([{ Type: "Refresh", Domain: "Login", ID: 1, State: OPEN_OK }]),
      () => undefined,
    );
    const contributor = client(server.url);
    await contributor.connect();
    server.socket().send(JSON.stringify([{ Type: "Ping" }]));
    server.socket().send(JSON.stringify({ Type: "Ping" }));
    await waitFor(() => server.received.filter((message) => message.Type === "Pong").length === 2, 2000, "two Pongs");
  });

  test("an extra unsolicited Login Refresh while ready only updates the rate limit", async () => {
    const server = await scriptedServer(
      JSON.stringify([
        {
          Type: "Refresh",
          Domain: "Login",
          ID: 1,
          State: OPEN_OK,
          Key: { Elements: { "TRCE:MaxMessagesPerSecond": 100 } },
        },
      ]),
      (post) => JSON.stringify([{ Type: "Ack", ID: 1, AckID: post.PostID }]),
    );
    const contributor = client(server.url);
    const states: string[] = [];
    contributor.on("state", (change) => states.push(change.to));
    await contributor.connect();
    server.socket().send(
      JSON.stringify([
        {
          Type: "Refresh",
          Domain: "Login",
          ID: 1,
          Solicited: false,
          State: OPEN_OK,
          Key: { Name: "GE-A-TEST", Elements: { "TRCE:MaxMessagesPerSecond": "250" } },
        },
      ]),
    );
    await waitFor(() => contributor.stats().maxMessagesPerSecond === 250, 2000, "the new limit");
    expect(states).toEqual(["authenticating", "connecting", "logging-in", "ready"]);
    await expect(contributor.contribute("X.N", { BID: 1 })).resolves.toBeDefined();
  });

  test("a login that never gets a Refresh times out and is retried", async () => {
    const server = await scriptedServer("[]", () => undefined);
    const contributor = client(server.url, { loginTimeoutMs: 50 });
    const causes: Error[] = [];
    contributor.on("reconnecting", (info) => causes.push(info.cause));
    contributor.connect().catch(() => undefined);
    await waitFor(() => causes.length >= 2, 2000, "two login timeouts");
    expect(causes[0]!.message).toMatch(/no Login Refresh within 50 ms/);
  });
});

describe("framing", () => {
  test("posts made in the same turn go out packed in JSON-array frames, each within maxFrameBytes (§2.2)", async () => {
    const server = await scriptedServer(
      JSON.stringify([{ Type: "Refresh", Domain: "Login", ID: 1, State: OPEN_OK }]),
      (post) => JSON.stringify([{ Type: "Ack", ID: 1, AckID: post.PostID }]),
    );
    const contributor = client(server.url, { maxFrameBytes: 2000, defaultMaxMessagesPerSecond: 100_000 });
    await contributor.connect();
    const framesBefore = server.frames.length;
    const posts = Array.from({ length: 100 }, (_, index) =>
      contributor.contribute(`RIC${index}.N`, { BID: index, ASK: index + 0.5 }),
    );
    await Promise.all(posts);
    const postFrames = server.frames.slice(framesBefore);
    const postCount = postFrames.map((frame) => (JSON.parse(frame) as unknown[]).length);
    expect(postCount.reduce((sum, count) => sum + count, 0)).toBe(100);
    expect(postFrames.length).toBeLessThan(15); // about 20 posts per 2000-byte frame, not one frame per post
    for (const frame of postFrames) {
      expect(frame.startsWith("[")).toBe(true);
      expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(2000);
    }
  });
});
