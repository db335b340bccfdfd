/**
 * Hostile peers: a server that floods the client with Pings (§2.7) must not starve its posts. Every Ping asks
 * for a Pong and every Pong counts toward `TRCE:MaxMessagesPerSecond` (§3.4); the client answers a burst of
 * Pings with one Pong, spends at most a small share of the rate window on Pongs, and still settles every
 * `contribute()` within `ackTimeoutMs` of accepting it — sent or not. Real sockets on 127.0.0.1.
 */
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import type { Ack } from "../../../src/client/posting/post-entry.js";
import { Contributor } from "../../../src/client/contributor.js";
import type { ContributorOptions } from "../../../src/client/options.js";
import { AckTimeoutError } from "../../../src/client/errors.js";
import { fixedTokenAuth } from "../helpers/fake-rcc-server.js";
import { HostileRccServer, loginRefresh, pings } from "./helpers/hostile-rcc-server.js";

const LIMIT = 1000;
const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function serve(server: Promise<HostileRccServer>): Promise<HostileRccServer> {
  const started = await server;
  open.push(started);
  return started;
}

function contributor(server: HostileRccServer, options: Partial<ContributorOptions> = {}): Contributor {
  const client = new Contributor({
    urls: [server.url],
    auth: fixedTokenAuth(),
    backoff: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 },
    drainTimeoutMs: 0,
    ...options,
  });
  open.push(client);
  return client;
}

/** How long `promise` takes to settle, milliseconds, and how. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

describe("a server flooding the client with Pings", () => {
  it("one frame of a Login Refresh and 30,000 Pings gets a handful of Pongs and a post is acknowledged at once", async () => {
    const server = await serve(
      HostileRccServer.start({
        onLogin: (_login, connection) => connection.send([loginRefresh(LIMIT), ...pings(30_000)]),
      }),
    );
    const client = contributor(server, { ackTimeoutMs: 3000 });
    await client.connect();

    const outcome = await timed(client.contribute("TRCCTEST01", { BID: 1 }));

    expect(outcome.error).toBeUndefined();
    expect(outcome.value?.ric).toBe("TRCCTEST01");
    expect(outcome.ms).toBeLessThan(2000);
    await server.waitFor(() => server.receivedOfType("Pong").length >= 1, 2000, "the Pong");
    expect(server.receivedOfType("Pong").length).toBeLessThanOrEqual(3);
  });

  it("Pings at 2,000/s against a 1,000/s limit keep posts flowing with bounded Ack latency", async () => {
    const server = await serve(HostileRccServer.start({ maxMessagesPerSecond: LIMIT }));
    const client = contributor(server, { ackTimeoutMs: 5000 });
    await client.connect();
    const flood = server.floodPings(20, 10);
    open.push({ close: () => Promise.resolve(flood.stop()) });
    // The flood is under way before posting: 20 frames are 200 ms of it.
    await server.waitFor(() => flood.frames >= 20, 2000, "the Ping flood to start");
    const floodStartMs = performance.now();

    // 5 posts every 50 ms for 1.5 s: 100 posts/s, a tenth of the limit, each timed from its contribute().
    const outcomes: Promise<{ ms: number; value?: Ack; error?: unknown }>[] = [];
    for (let round = 0; round < 30; round++) {
      for (let index = 0; index < 5; index++)
        outcomes.push(timed(client.contribute(`TRCCTEST${index}`, { BID: round })));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const settled = await Promise.all(outcomes);
    const elapsedS = (performance.now() - floodStartMs) / 1000;
    flood.stop();

    expect(settled.filter((outcome) => outcome.error !== undefined)).toEqual([]);
    expect(Math.max(...settled.map((outcome) => outcome.ms))).toBeLessThan(1000);
    // The flood really ran at about 2,000 Pings/s, and Pongs took at most a tenth of the window.
    expect(flood.frames * 20).toBeGreaterThan(1000 * elapsedS);
    const pongsPerSecond = server.receivedOfType("Pong", floodStartMs).length / elapsedS;
    expect(pongsPerSecond).toBeGreaterThan(0);
    expect(pongsPerSecond).toBeLessThanOrEqual(LIMIT * 0.1);
  });

  it("a server that never Acks and floods Pings gets AckTimeoutError within ackTimeoutMs, even for an unsent post", async () => {
    const server = await serve(HostileRccServer.start({ maxMessagesPerSecond: LIMIT, onPost: "silent" }));
    // maxInFlight 1: the first post goes out and is never acknowledged, the second never leaves the queue.
    const client = contributor(server, { ackTimeoutMs: 500, maxInFlight: 1 });
    await client.connect();
    const flood = server.floodPings(20, 10);
    open.push({ close: () => Promise.resolve(flood.stop()) });

    const [sent, unsent] = await Promise.all([
      timed(client.contribute("TRCCTEST01", { BID: 1 })),
      timed(client.contribute("TRCCTEST02", { BID: 2 })),
    ]);
    flood.stop();

    for (const outcome of [sent, unsent]) {
      expect(outcome.error).toBeInstanceOf(AckTimeoutError);
      expect(outcome.ms).toBeGreaterThanOrEqual(499);
      expect(outcome.ms).toBeLessThan(500 + 300);
    }
    expect(server.posts.map((post) => post.ric)).toEqual(["TRCCTEST01"]);
    expect((unsent.error as AckTimeoutError).message).toMatch(/not sent/);
  });
});
