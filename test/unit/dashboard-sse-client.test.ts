/** One page's SSE writer: frame format, heartbeats, and bounded buffering when the reader is slow. */
import { Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import type { FeedEvent, TickEvent } from "../../src/simulator/dashboard/feed-types.js";
import { SseClient, formatSseEvent } from "../../src/simulator/dashboard/sse-client.js";
import { ManualClock } from "../../src/util/clock.js";

/**
 * A writable whose reader is stalled until `release()`: every write callback is held. `chunks` records what
 * the client wrote, in order (a Writable buffers all but the first chunk internally while a callback is held).
 */
function slowSocket(highWaterMark: number) {
  const chunks: string[] = [];
  const held: (() => void)[] = [];
  const out = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(_chunk: string, _encoding, callback) {
      held.push(() => callback());
    },
  });
  const write = out.write.bind(out) as (chunk: string) => boolean;
  out.write = ((chunk: string) => {
    chunks.push(chunk);
    return write(chunk);
  }) as typeof out.write;
  return {
    out,
    chunks,
    /** Lets the reader catch up; resolves once the stream has emitted its events. */
    async release() {
      for (let round = 0; round < 10; round += 1) {
        while (held.length > 0) held.shift()!();
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

function tick(posts: number): FeedEvent {
  const data: TickEvent = {
    point: { atMs: posts, postsPerSecond: posts },
    counters: {
      connections: 0,
      logins: 0,
      loginRejections: 0,
      messagesIn: 0,
      posts,
      acks: 0,
      naks: {},
      errors: 0,
      pingsSent: 0,
      pongsReceived: 0,
      tokensIssued: 0,
      tokenErrors: 0,
    },
    connections: [],
    faults: [],
  };
  return { type: "tick", data };
}

describe("SseClient", () => {
  test("writes the retry delay first, then one event: and data: frame per event", () => {
    const { out, chunks } = slowSocket(1 << 20);
    const client = new SseClient(out, new ManualClock(), { retryMs: 1500 });
    client.send({ type: "rics", data: [{ ric: "A", fields: { BID: 1 }, updates: 1, lastUpdateMs: 5 }] });
    expect(chunks).toEqual([
      "retry: 1500\n\n",
      'event: rics\ndata: [{"ric":"A","fields":{"BID":1},"updates":1,"lastUpdateMs":5}]\n\n',
    ]);
    expect(formatSseEvent("x", { text: "two\nlines" })).toBe('event: x\ndata: {"text":"two\\nlines"}\n\n');
    client.close();
  });

  test("sends a comment heartbeat every interval until closed", () => {
    const clock = new ManualClock();
    const { out, chunks } = slowSocket(1 << 20);
    const client = new SseClient(out, clock, { heartbeatIntervalMs: 1000 });
    clock.advance(3000);
    expect(chunks.filter((chunk) => chunk === ": keep-alive\n\n")).toHaveLength(3);
    client.close();
    expect(clock.pendingTimers).toBe(0);
  });

  test("while the reader is slow, keeps only the latest tick and the latest image of each RIC, then catches up", async () => {
    const socket = slowSocket(64);
    const client = new SseClient(socket.out, new ManualClock());
    client.send(tick(0)); // fills the 64-byte buffer
    expect(client.stats.congested).toBe(true);
    for (let posts = 1; posts <= 1000; posts += 1) {
      client.send(tick(posts));
      client.send({
        type: "rics",
        data: [{ ric: `R${posts % 3}`, fields: { BID: posts }, updates: posts, lastUpdateMs: 0 }],
      });
    }
    const writtenWhileSlow = socket.chunks.length;
    expect(writtenWhileSlow).toBe(2); // retry + the first tick
    expect(client.stats.dropped).toBe(999 + 997);
    await socket.release();
    const caughtUp = socket.chunks.slice(writtenWhileSlow).join("");
    const frames = caughtUp.split("\n\n").filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toContain("event: rics");
    const views = JSON.parse(frames[0]!.split("data: ")[1]!) as { fields: { BID: number } }[];
    expect(views.map((view) => view.fields.BID)).toEqual([998, 999, 1000]);
    expect(frames[1]).toContain('"posts":1000');
    expect(client.stats.congested).toBe(false);
    client.close();
  });

  test("while the reader is slow, holds at most maxPendingRics RIC images, the most recently changed", async () => {
    const socket = slowSocket(64);
    const client = new SseClient(socket.out, new ManualClock(), { maxPendingRics: 50 });
    client.send(tick(0)); // fills the 64-byte buffer
    for (let index = 0; index < 5_000; index += 1) {
      client.send({
        type: "rics",
        data: [{ ric: `R${index}`, fields: { BID: index }, updates: 1, lastUpdateMs: index }],
      });
    }
    expect(client.stats.dropped).toBe(5_000 - 50);
    const writtenWhileSlow = socket.chunks.length;
    await socket.release();
    const frames = socket.chunks.slice(writtenWhileSlow).join("").split("\n\n").filter(Boolean);
    expect(frames).toHaveLength(1);
    const views = JSON.parse(frames[0]!.split("data: ")[1]!) as { ric: string }[];
    expect(views.map((view) => view.ric)).toEqual(Array.from({ length: 50 }, (_, i) => `R${4_950 + i}`));
    client.close();
  });

  test("a snapshot sent while congested supersedes everything held before it", async () => {
    const socket = slowSocket(16);
    const client = new SseClient(socket.out, new ManualClock());
    client.send(tick(1));
    client.send(tick(2));
    client.send({ type: "connection", data: { id: "c1" } as any });
    client.send({ type: "snapshot", data: { nowMs: 7 } as any });
    client.send(tick(3));
    await socket.release();
    const after = socket.chunks.slice(2).join("");
    expect(after.match(/event: \w+/g)).toEqual(["event: snapshot", "event: tick"]);
    expect(after).toContain('"posts":3');
    client.close();
  });

  test("while the reader is slow, keeps every refused login in order, the newest 100, and writes them when it drains", async () => {
    const socket = slowSocket(64);
    const client = new SseClient(socket.out, new ManualClock());
    client.send(tick(0)); // fills the 64-byte buffer
    for (let index = 1; index <= 150; index += 1) {
      client.send({
        type: "login-refused",
        data: {
          atMs: index,
          connectionId: `c${index}`,
          listener: 0,
          remoteAddress: "127.0.0.1",
          code: "NotEntitled",
          text: "Login denied: access token not recognised",
          reason: "token-unknown",
          relogin: false,
        },
      });
    }
    client.send(tick(1));
    expect(client.stats.dropped).toBe(50);
    const writtenWhileSlow = socket.chunks.length;
    await socket.release();
    const frames = socket.chunks.slice(writtenWhileSlow).join("").split("\n\n").filter(Boolean);
    const refusals = frames.filter((frame) => frame.startsWith("event: login-refused\n"));
    expect(
      refusals.map((frame) => (JSON.parse(frame.split("data: ")[1]!) as { connectionId: string }).connectionId),
    ).toEqual(Array.from({ length: 100 }, (_, index) => `c${51 + index}`));
    expect(frames.at(-1)).toContain('"posts":1');
    client.close();
  });

  test("writes nothing after close", () => {
    const { out, chunks } = slowSocket(1 << 20);
    const client = new SseClient(out, new ManualClock());
    client.close();
    client.send(tick(1));
    expect(chunks).toEqual(["retry: 2000\n\n"]);
  });
});
