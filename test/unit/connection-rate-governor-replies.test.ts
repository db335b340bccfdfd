/**
 * The rate governor's reply cap (§2.7, §3.4): Pongs, the one message a server can make us send, take at most
 * `maxReplyShare` of the limit in any window, so a Ping flood always leaves the rest to posts.
 */
import { describe, expect, test } from "vitest";
import { RateGovernor } from "../../src/client/connection/rate-governor.js";
import { ManualClock } from "../../src/util/clock.js";

describe("RateGovernor reply cap", () => {
  test("allows 5 % of the limit in replies per window by default, then reports the wait for the oldest", () => {
    const clock = new ManualClock(0);
    const governor = new RateGovernor({ maxMessagesPerSecond: 1000, paceBurstMs: 0 });
    expect(governor.replyCap).toBe(50);
    for (let index = 0; index < 50; index++) {
      expect(governor.waitMs(clock.monotonic(), 1, "reply")).toBe(0);
      governor.record(clock.monotonic(), 1, "reply");
      clock.advance(10);
    }
    expect(governor.available(clock.monotonic(), "reply")).toBe(0);
    expect(governor.waitMs(clock.monotonic(), 1, "reply")).toBe(500); // the first left at t=0 + 1000
    // Posts keep the rest of the window: the limit less the reserved control slots and the replies sent.
    expect(governor.available(clock.monotonic(), "post")).toBe(1000 - 2 - 50);
    clock.advance(500);
    expect(governor.available(clock.monotonic(), "reply")).toBe(1);
  });

  test("replies are control messages: they count toward the window from their sending plus the margin", () => {
    const governor = new RateGovernor({ maxMessagesPerSecond: 100, paceBurstMs: 0, controlMarginMs: 20 });
    governor.record(0, 1, "reply");
    expect(governor.inWindow(1019)).toBe(1);
    expect(governor.inWindow(1020)).toBe(0);
    expect(governor.available(1019, "reply")).toBe(governor.replyCap - 1);
    expect(governor.available(1020, "reply")).toBe(governor.replyCap);
  });

  test("at least one reply per window is allowed however low the limit, and a full window holds replies too", () => {
    const governor = new RateGovernor({ maxMessagesPerSecond: 4, paceBurstMs: 0 });
    expect(governor.replyCap).toBe(1);
    governor.record(0, 4, "post");
    expect(governor.available(0, "reply")).toBe(0);
    expect(governor.waitMs(0, 1, "reply")).toBe(1000);
  });

  test("the cap follows a new limit and a configured share; a share outside (0, 1] is refused", () => {
    const governor = new RateGovernor({ maxMessagesPerSecond: 1000, maxReplyShare: 0.1 });
    expect(governor.replyCap).toBe(100);
    governor.setLimit(200);
    expect(governor.replyCap).toBe(20);
    expect(() => new RateGovernor({ maxMessagesPerSecond: 10, maxReplyShare: 0 })).toThrow(RangeError);
    expect(() => new RateGovernor({ maxMessagesPerSecond: 10, maxReplyShare: 1.5 })).toThrow(RangeError);
  });

  test("a sustained Ping flood never takes more than the cap in any window", () => {
    const clock = new ManualClock(0);
    const governor = new RateGovernor({ maxMessagesPerSecond: 1000, paceBurstMs: 0 });
    const sent: number[] = [];
    // A Pong wanted every half millisecond for five seconds: sent whenever the governor allows.
    for (let step = 0; step < 10_000; step++) {
      if (governor.waitMs(clock.monotonic(), 1, "reply") === 0) {
        governor.record(clock.monotonic(), 1, "reply");
        sent.push(clock.monotonic());
      }
      clock.advance(0.5);
    }
    for (const start of sent)
      expect(sent.filter((at) => at >= start && at < start + 1000).length).toBeLessThanOrEqual(50);
    expect(sent.length).toBeGreaterThanOrEqual(5 * 50 - 50);
  });
});
