/** Ack timing and backpressure: timeouts, delayed Acks, bounded queue and in-flight window, conflation. */
import { afterEach, describe, expect, test } from "vitest";
import { AckTimeoutError, QueueFullError } from "../../src/client/errors.js";
import { cleanup, contributor, postedBids, recordedPosts, simulator } from "./client-fixtures.js";

afterEach(cleanup);

describe("Ack timing", () => {
  test("dropped Acks reject with AckTimeoutError after ackTimeoutMs, and the session carries on", async () => {
    const sim = await simulator();
    const client = contributor(sim, { ackTimeoutMs: 100 });
    await client.connect();
    sim.faults.add({ type: "drop-acks" });
    const started = Date.now();
    const error = await client.contribute("TRCCTEST01", { BID: 1 }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(AckTimeoutError);
    expect(error).toMatchObject({ code: "RCC_ACK_TIMEOUT", ric: "TRCCTEST01", postId: 1, timeoutMs: 100 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(client.stats().errors.ackTimeouts).toBe(1);
    sim.faults.clear("drop-acks");
    await expect(client.contribute("TRCCTEST01", { BID: 2 })).resolves.toMatchObject({ postId: 2 });
    expect(client.state).toBe("ready");
  });

  test("delayed Acks still resolve, and the latency reflects the delay", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    sim.faults.add({ type: "delay-acks", ms: 120 });
    const ack = await client.contribute("TRCCTEST01", { BID: 1 });
    expect(ack.latencyMs).toBeGreaterThanOrEqual(100);
    expect(client.stats().latencyMs.max).toBeGreaterThanOrEqual(100);
  });
});

describe("backpressure", () => {
  test("a full queue refuses { wait: false } with QueueFullError and makes waiting callers wait", async () => {
    const sim = await simulator();
    const client = contributor(sim, { maxQueued: 3 });
    const queued = [1, 2, 3].map((bid) => client.contribute("TRCCTEST01", { BID: bid }));
    await expect(client.contribute("TRCCTEST01", { BID: 4 }, { wait: false })).rejects.toBeInstanceOf(QueueFullError);
    const waiting = client.contribute("TRCCTEST01", { BID: 5 });
    expect(client.stats()).toMatchObject({ queued: 3, waiting: 1 });
    expect(client.stats().errors.queueFull).toBe(1);
    await client.connect();
    await expect(Promise.all([...queued, waiting])).resolves.toHaveLength(4);
    expect(postedBids(sim)).toEqual([1, 2, 3, 5]);
  });

  test("never has more than maxInFlight posts awaiting Acks", async () => {
    const sim = await simulator();
    const client = contributor(sim, { maxInFlight: 4 });
    await client.connect();
    sim.faults.add({ type: "delay-acks", ms: 20 });
    let maxInFlight = 0;
    const timer = setInterval(() => (maxInFlight = Math.max(maxInFlight, client.stats().inFlight)), 1);
    try {
      await Promise.all(Array.from({ length: 40 }, (_, index) => client.contribute("TRCCTEST01", { BID: index })));
    } finally {
      clearInterval(timer);
    }
    expect(maxInFlight).toBeGreaterThan(0);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(client.stats().acked).toBe(40);
  });

  test("conflation merges later fields over a queued post and both callers get the same Ack", async () => {
    const sim = await simulator();
    const client = contributor(sim, { conflate: true });
    const first = client.contribute("TRCCTEST01", { BID: 1, ASK: 2 });
    const second = client.contribute("TRCCTEST01", { ASK: 3, DSPLY_NAME: "merged" });
    const other = client.contribute("TRCCTEST02", { BID: 9 }, { conflate: false });
    expect(client.stats()).toMatchObject({ queued: 2, conflated: 1 });
    await client.connect();
    const [firstAck, secondAck] = await Promise.all([first, second, other]);
    expect(firstAck).toEqual(secondAck);
    expect(recordedPosts(sim).map((post) => post.Message.Fields)).toEqual([
      { BID: 1, ASK: 3, DSPLY_NAME: "merged" },
      { BID: 9 },
    ]);
  });

  test("a post already sent is never conflated into", async () => {
    const sim = await simulator();
    const client = contributor(sim, { conflate: true });
    await client.connect();
    await client.contribute("TRCCTEST01", { BID: 1 });
    await client.contribute("TRCCTEST01", { BID: 2 });
    expect(recordedPosts(sim)).toHaveLength(2);
    expect(client.stats().conflated).toBe(0);
  });
});
