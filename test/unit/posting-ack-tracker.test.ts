/** In-flight posts: settle exactly once, time out through a coarse sweep on the injected clock. */
import { describe, expect, test } from "vitest";
import { AckTracker } from "../../src/client/posting/ack-tracker.js";
import { type PostEntry, createPostEntry, rejectPost, resolvePost } from "../../src/client/posting/post-entry.js";
import { ManualClock } from "../../src/util/clock.js";

function sent(postId: number, sentAtMs: number): PostEntry {
  const entry = createPostEntry(`RIC${postId}`, `"RIC${postId}"`, `{"BID":${postId}}`, 100, false);
  entry.postId = postId;
  entry.sentAtMs = sentAtMs;
  entry.acceptedAtMs = sentAtMs; // accepted and sent at once: the timeout runs from acceptance
  entry.promise.catch(() => undefined);
  return entry;
}

function tracker(clock: ManualClock, timedOut: PostEntry[], ackTimeoutMs = 1000): AckTracker {
  return new AckTracker({ clock, ackTimeoutMs, onTimeout: (entry) => timedOut.push(entry) });
}

describe("post settlement", () => {
  test("a post settles exactly once: later resolve or reject calls are ignored", async () => {
    const entry = sent(1, 0);
    expect(resolvePost(entry, { postId: 1, latencyMs: 2, ric: entry.ric })).toBe(true);
    expect(rejectPost(entry, new Error("late"))).toBe(false);
    expect(resolvePost(entry, { postId: 1, latencyMs: 9, ric: entry.ric })).toBe(false);
    await expect(entry.promise).resolves.toEqual({ postId: 1, latencyMs: 2, ric: "RIC1" });
  });

  test("a rejected post stays rejected", async () => {
    const entry = sent(2, 0);
    expect(rejectPost(entry, new Error("nak"))).toBe(true);
    expect(resolvePost(entry, { postId: 2, latencyMs: 1, ric: entry.ric })).toBe(false);
    await expect(entry.promise).rejects.toThrow("nak");
  });
});

describe("AckTracker", () => {
  test("finds posts by PostID and forgets them once taken", () => {
    const clock = new ManualClock(0);
    const acks = tracker(clock, []);
    acks.add(sent(1, 0));
    acks.add(sent(2, 0));
    expect(acks.size).toBe(2);
    expect(acks.take(2)?.ric).toBe("RIC2");
    expect(acks.take(2)).toBeUndefined();
    expect(acks.size).toBe(1);
  });

  test("times out exactly the posts older than ackTimeoutMs when swept", () => {
    const clock = new ManualClock(0);
    const timedOut: PostEntry[] = [];
    const acks = tracker(clock, timedOut);
    acks.add(sent(1, 0));
    acks.add(sent(2, 400));
    acks.add(sent(3, 999));
    expect(acks.sweep(999)).toBe(0);
    expect(acks.sweep(1000)).toBe(1);
    expect(acks.sweep(1400)).toBe(1);
    expect(timedOut.map((entry) => entry.postId)).toEqual([1, 2]);
    expect(acks.take(1)).toBeUndefined(); // a late Ack finds nothing
    expect(acks.size).toBe(1);
  });

  test("runs the sweep on a coarse timer only while posts are in flight", () => {
    const clock = new ManualClock(0);
    const timedOut: PostEntry[] = [];
    const acks = tracker(clock, timedOut, 1000);
    expect(clock.pendingTimers).toBe(0);
    acks.add(sent(1, clock.monotonic()));
    acks.add(sent(2, clock.monotonic()));
    expect(clock.pendingTimers).toBe(1); // one timer, not one per post
    clock.advance(999);
    expect(timedOut).toHaveLength(0);
    clock.advance(100); // the sweep runs every ackTimeoutMs / 10 = 100 ms
    expect(timedOut.map((entry) => entry.postId)).toEqual([1, 2]);
    expect(clock.pendingTimers).toBe(0);
  });

  test("stops the sweep timer when the last post is taken", () => {
    const clock = new ManualClock(0);
    const acks = tracker(clock, []);
    acks.add(sent(1, 0));
    acks.take(1);
    expect(clock.pendingTimers).toBe(0);
  });

  test("takeAll returns every post in send order and empties the tracker", () => {
    const clock = new ManualClock(0);
    const acks = tracker(clock, []);
    for (const postId of [5, 6, 7]) acks.add(sent(postId, postId));
    expect(acks.takeAll().map((entry) => entry.postId)).toEqual([5, 6, 7]);
    expect(acks.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
