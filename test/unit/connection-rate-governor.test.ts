/** The client-side rate governor (§3.3, §3.4): never more than the limit in any sliding window. */
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { RateGovernor } from "../../src/client/connection/rate-governor.js";
import { ManualClock } from "../../src/util/clock.js";

/** Largest number of messages in any window [t, t + windowMs) over a list of (time, count) sends. */
function maxInAnyWindow(sends: readonly { at: number; count: number }[], windowMs: number): number {
  let max = 0;
  for (const start of sends) {
    let total = 0;
    for (const other of sends) if (other.at >= start.at && other.at - start.at < windowMs) total += other.count;
    max = Math.max(max, total);
  }
  return max;
}

describe("RateGovernor", () => {
  test("allows a burst up to the post capacity, then reports the exact wait until the oldest message leaves", () => {
    const clock = new ManualClock(0);
    const governor = new RateGovernor({ maxMessagesPerSecond: 10, reservedControlSlots: 0, paceBurstMs: 0 });
    expect(governor.available(clock.monotonic())).toBe(10);
    governor.record(0, 4);
    clock.advance(300);
    governor.record(300, 6);
    expect(governor.available(300)).toBe(0);
    expect(governor.waitMs(300)).toBe(700); // the 4 sent at t=0 leave at t=1000
    expect(governor.waitMs(300, 5)).toBe(1000); // 5 slots need the 6 sent at t=300 gone too
    expect(governor.available(999)).toBe(0);
    expect(governor.available(1000)).toBe(4);
    expect(governor.waitMs(1000, 4)).toBe(0);
  });

  test("keeps reserved slots for control messages so a Pong is never held back by posts (§2.7)", () => {
    const governor = new RateGovernor({ maxMessagesPerSecond: 100, paceBurstMs: 0 });
    governor.record(0, governor.available(0, "post"));
    expect(governor.available(0, "post")).toBe(0);
    expect(governor.available(0, "control")).toBe(2);
    governor.record(0, 2, "control");
    expect(governor.available(0, "control")).toBe(0);
    expect(governor.waitMs(0, 1, "control")).toBe(1000);
    expect(governor.inWindow(500)).toBe(100);
  });

  test("reserves fewer slots for small limits and none below five", () => {
    expect(new RateGovernor({ maxMessagesPerSecond: 10, paceBurstMs: 0 }).available(0)).toBe(9);
    expect(new RateGovernor({ maxMessagesPerSecond: 4, paceBurstMs: 0 }).available(0)).toBe(4);
  });

  test("applies the safety factor to the advertised limit", () => {
    const governor = new RateGovernor({
      maxMessagesPerSecond: 1000,
      safetyFactor: 0.9,
      reservedControlSlots: 0,
      paceBurstMs: 0,
    });
    expect(governor.limit).toBe(900);
    expect(governor.available(0)).toBe(900);
  });

  test("a new advertised limit applies at once while messages already sent still count", () => {
    const governor = new RateGovernor({ maxMessagesPerSecond: 100, reservedControlSlots: 0, paceBurstMs: 0 });
    governor.record(0, 50);
    governor.setLimit(40);
    expect(governor.available(10)).toBe(0);
    expect(governor.waitMs(10)).toBe(990);
    governor.setLimit(200);
    expect(governor.available(10)).toBe(150);
  });

  test("honours a longer window (the jitter margin) exactly", () => {
    const governor = new RateGovernor({
      maxMessagesPerSecond: 2,
      windowMs: 1005,
      reservedControlSlots: 0,
      paceBurstMs: 0,
    });
    governor.record(0, 2);
    expect(governor.waitMs(0)).toBe(1005);
    expect(governor.available(1004)).toBe(0);
    expect(governor.available(1005)).toBe(2);
  });

  test("rejects a non-positive limit, window or safety factor", () => {
    expect(() => new RateGovernor({ maxMessagesPerSecond: 0 })).toThrow(RangeError);
    expect(() => new RateGovernor({ maxMessagesPerSecond: 10, windowMs: 0 })).toThrow(RangeError);
    expect(() => new RateGovernor({ maxMessagesPerSecond: 10, safetyFactor: 1.5 })).toThrow(RangeError);
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 50 }),
      fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 400 }), want: fc.integer({ min: 1, max: 30 }) }), {
        minLength: 1,
        maxLength: 120,
      }),
      fc.boolean(),
    ],
    { numRuns: 200 },
  )("a sender that obeys the governor never exceeds the limit in any window", (limit, steps, control) => {
    const clock = new ManualClock(0);
    const governor = new RateGovernor({ maxMessagesPerSecond: limit });
    const kind = control ? "control" : "post";
    const sends: { at: number; count: number }[] = [];
    for (const step of steps) {
      clock.advance(step.gapMs);
      let wanted = step.want;
      while (wanted > 0) {
        const now = clock.monotonic();
        const count = Math.min(wanted, governor.available(now, kind));
        if (count === 0) {
          const wait = governor.waitMs(now, 1, kind);
          expect(wait).toBeGreaterThan(0);
          clock.advance(wait);
          continue;
        }
        governor.record(now, count, kind);
        sends.push({ at: now, count });
        wanted -= count;
      }
    }
    expect(maxInAnyWindow(sends, governor.windowMs)).toBeLessThanOrEqual(limit);
  });

  test("a saturated sender without pacing reaches the limit exactly, in one burst per window", () => {
    const clock = new ManualClock(0);
    const governor = new RateGovernor({ maxMessagesPerSecond: 1000, reservedControlSlots: 0, paceBurstMs: 0 });
    const bursts: number[] = [];
    while (clock.monotonic() < 10_000) {
      const now = clock.monotonic();
      const count = governor.available(now);
      if (count > 0) {
        governor.record(now, count);
        bursts.push(count);
      } else {
        clock.advance(governor.waitMs(now));
      }
    }
    expect(bursts).toEqual(new Array(10).fill(1000));
  });

  test("pacing spreads a saturated sender into small bursts and still delivers ≥ 99 % of the limit", () => {
    const clock = new ManualClock(0);
    const governor = new RateGovernor({ maxMessagesPerSecond: 1000 }); // 2 control slots, 20 ms bursts
    const sends: { at: number; count: number }[] = [];
    while (clock.monotonic() < 10_000) {
      const now = clock.monotonic();
      const count = governor.available(now);
      if (count > 0) {
        governor.record(now, count);
        sends.push({ at: now, count });
      } else {
        clock.advance(Math.max(1, governor.waitMs(now))); // timers fire on whole milliseconds
      }
    }
    const total = sends.reduce((sum, send) => sum + send.count, 0);
    expect(total).toBeGreaterThanOrEqual(9_900);
    expect(Math.max(...sends.map((send) => send.count))).toBeLessThanOrEqual(20);
    expect(maxInAnyWindow(sends, governor.windowMs)).toBeLessThanOrEqual(998);
  });

  test("the pacing wait is exact: one post's worth of the window rate", () => {
    const governor = new RateGovernor({
      maxMessagesPerSecond: 100,
      reservedControlSlots: 0,
      paceBurstMs: 50,
      paceHeadroom: 0,
    });
    expect(governor.available(0)).toBe(5); // 50 ms of 100 per second
    governor.record(0, 5);
    expect(governor.available(0)).toBe(0);
    expect(governor.waitMs(0)).toBe(10);
    expect(governor.waitMs(0, 3)).toBe(30);
    expect(governor.available(0, "control")).toBe(95); // control messages are not paced
    expect(governor.available(10)).toBe(1);
    expect(governor.available(1000)).toBe(5); // never more than the burst
    const faster = new RateGovernor({ maxMessagesPerSecond: 100, reservedControlSlots: 0, paceBurstMs: 50 });
    faster.record(0, 5);
    expect(faster.waitMs(0)).toBe(9.709); // 3 % headroom by default: 10 ms / 1.03, rounded up to a µs
  });
});
