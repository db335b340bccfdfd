/**
 * `ackTimeoutMs` runs from a post's acceptance by `contribute()`, sent or not: a post held unsent (no
 * connection, no rate budget, `maxInFlight` full) still settles with AckTimeoutError within it plus the sweep
 * period. Driven by a ManualClock; nothing is sent anywhere.
 */
import { describe, expect, test } from "vitest";
import { resolvePipelineOptions } from "../../src/client/posting/pipeline-options.js";
import { AckTimeoutError } from "../../src/client/errors.js";
import { PostPipeline } from "../../src/client/posting/post-pipeline.js";
import type { PostSink } from "../../src/client/connection/post-sink.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/logger.js";

/** A sink that never has room: every post stays queued. */
const closedSink: PostSink = {
  postCapacity: () => 0,
  postWaitMs: () => 1000,
  sendPosts: () => undefined,
  sendControl: () => undefined,
  postsSettled: () => undefined,
};

function pipeline(clock: ManualClock, options: Parameters<typeof resolvePipelineOptions>[0]): PostPipeline {
  return new PostPipeline(resolvePipelineOptions(options), {
    clock,
    log: silentLogger,
    sink: closedSink,
    onNak: () => undefined,
  });
}

describe("PostPipeline Ack timeout from acceptance", () => {
  test("a post never sent rejects with AckTimeoutError once ackTimeoutMs has passed since contribute()", async () => {
    const clock = new ManualClock(0);
    const posts = pipeline(clock, { ackTimeoutMs: 1000 });
    const outcome = posts.submit("TRCCTEST01", { BID: 1 }).catch((error: unknown) => error);
    clock.advance(999);
    expect(posts.queued).toBe(1);
    clock.advance(100); // the sweep runs every ackTimeoutMs / 10
    const error = await outcome;
    expect(error).toBeInstanceOf(AckTimeoutError);
    expect(error).toMatchObject({ sent: false, timeoutMs: 1000, postId: 0, ric: "TRCCTEST01" });
    expect(posts.queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  test("a caller waiting for room starts its time when it gets into the queue", async () => {
    const clock = new ManualClock(0);
    const posts = pipeline(clock, { ackTimeoutMs: 1000, maxQueued: 1 });
    const first = posts.submit("TRCCTEST01", { BID: 1 }).catch((error: unknown) => error);
    clock.advance(500);
    const waiting = posts.submit("TRCCTEST02", { BID: 2 }).catch((error: unknown) => error);
    expect(posts.waiting).toBe(1);
    clock.advance(600); // the first times out at the sweep of t=1000; the waiting one gets in then
    expect(await first).toBeInstanceOf(AckTimeoutError);
    expect([posts.queued, posts.waiting]).toEqual([1, 0]);
    clock.advance(800);
    expect(posts.queued).toBe(1); // in since t=1000: 900 ms, not yet 1000
    clock.advance(200);
    expect(await waiting).toBeInstanceOf(AckTimeoutError);
  });
});

describe('PostPipeline Ack timeout from sending (ackTimeoutFrom: "sent")', () => {
  test("a post queued far longer than ackTimeoutMs is still sent, and times out only ackTimeoutMs after its sending", async () => {
    const clock = new ManualClock(0);
    let room = 0;
    const written: unknown[] = [];
    const sink: PostSink = { ...closedSink, postCapacity: () => room, sendPosts: (frame) => void written.push(frame) };
    const posts = new PostPipeline(resolvePipelineOptions({ ackTimeoutMs: 1000, ackTimeoutFrom: "sent" }), {
      clock,
      log: silentLogger,
      sink,
      onNak: () => undefined,
    });
    const outcome = posts.submit("TRCCTEST01", { BID: 1 }).catch((error: unknown) => error);
    clock.advance(5000); // five timeouts' worth of waiting for room: not an outcome
    expect(posts.queued).toBe(1);
    expect(clock.pendingTimers).toBeLessThanOrEqual(1); // no queue sweep kept running for it
    room = 10;
    posts.onReady();
    clock.runImmediates(); // the flush
    expect([posts.queued, posts.inFlight, written.length]).toEqual([0, 1, 1]);
    clock.advance(900);
    expect(posts.inFlight).toBe(1); // 900 ms after sending
    clock.advance(200);
    const error = await outcome;
    expect(error).toBeInstanceOf(AckTimeoutError);
    expect(error).toMatchObject({ sent: true, timeoutMs: 1000, ric: "TRCCTEST01" });
  });

  test("an unknown ackTimeoutFrom is refused by name", () => {
    expect(() => resolvePipelineOptions({ ackTimeoutFrom: "queued" as "sent" })).toThrow(/ackTimeoutFrom/);
  });
});
