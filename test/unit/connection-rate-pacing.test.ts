/**
 * Pacing at the limit (§3.4): a saturated, Ack-clocked sender at exactly the advertised rate must spread its
 * posts through the window, not send a burst each time a group of Acks leaves the window. Pure logic: time is
 * a number driven by the test, with the late timer wake-ups and the Ack latency of a real run.
 */
import { describe, expect, test } from "vitest";
import { RateGovernor } from "../../src/client/connection/rate-governor.js";

/** Largest count of messages in any window [t, t + windowMs) of time-ordered sends (two pointers). */
function maxInAnyWindow(sends: readonly { at: number; count: number }[], windowMs: number): number {
  let max = 0;
  let total = 0;
  let tail = 0;
  for (const send of sends) {
    total += send.count;
    while (send.at - (sends[tail]?.at ?? send.at) >= windowMs) total -= sends[tail++]?.count ?? 0;
    max = Math.max(max, total);
  }
  return max;
}

interface Run {
  /** Frames written: time and posts in it. */
  frames: { at: number; count: number }[];
  /** When each frame's Acks arrived (one Ack frame per post frame). */
  acks: { at: number; count: number }[];
}

/**
 * A saturated sender (an endless backlog) on `governor` for `durationMs`: it sends what `available` allows as
 * one frame, sleeps for `waitMs` plus `lateMs` (timers fire late), and also wakes when Acks arrive, as the
 * session does. Each frame's Acks come back `ackLatencyMs` later in one frame.
 */
function saturate(governor: RateGovernor, durationMs: number, ackLatencyMs: number, lateMs: number): Run {
  const run: Run = { frames: [], acks: [] };
  const due: { at: number; count: number }[] = [];
  let now = 0;
  while (now < durationMs) {
    while (due.length > 0 && (due[0]?.at ?? Number.POSITIVE_INFINITY) <= now) {
      const ack = due.shift() as { at: number; count: number };
      governor.settle(ack.at, ack.count);
      run.acks.push(ack);
    }
    const count = governor.available(now);
    if (count > 0) {
      governor.record(now, count);
      run.frames.push({ at: now, count });
      due.push({ at: now + ackLatencyMs, count });
      continue;
    }
    const timer = now + governor.waitMs(now) + lateMs;
    now = Math.min(timer, due[0]?.at ?? Number.POSITIVE_INFINITY);
  }
  return run;
}

describe("RateGovernor pacing at the limit", () => {
  test("a saturated Ack-clocked sender sends no frame of more than a few posts after the first second", () => {
    // The contributor's settings: 50 ms of burst, Ack-clocked, 1,000 msg/s.
    const governor = new RateGovernor({ maxMessagesPerSecond: 1000, paceBurstMs: 50, ackClocked: true });
    const run = saturate(governor, 10_000, 0.5, 0.66);
    const afterWarmUp = run.frames.filter((frame) => frame.at >= 1_000);
    expect(Math.max(...afterWarmUp.map((frame) => frame.count))).toBeLessThanOrEqual(3);
    // Still the whole limit (less the two control slots), and never more in any window of arrivals.
    const sent = afterWarmUp.reduce((sum, frame) => sum + frame.count, 0);
    expect(sent / 9).toBeGreaterThanOrEqual(0.99 * 1000);
    expect(maxInAnyWindow(run.frames, 1000)).toBeLessThanOrEqual(998);
    expect(maxInAnyWindow(run.acks, 1000)).toBeLessThanOrEqual(998);
  });

  test("with Acks as late as 20 ms and timers 2 ms late the frames stay small and the limit is kept", () => {
    const governor = new RateGovernor({ maxMessagesPerSecond: 1000, paceBurstMs: 50, ackClocked: true });
    const run = saturate(governor, 10_000, 20, 2);
    const afterWarmUp = run.frames.filter((frame) => frame.at >= 1_000);
    expect(Math.max(...afterWarmUp.map((frame) => frame.count))).toBeLessThanOrEqual(4);
    // Ack-clocked, a post holds its slot from sending until a window after its Ack: 998 per 1,020 ms at most.
    const sent = afterWarmUp.reduce((sum, frame) => sum + frame.count, 0);
    expect(sent / 9).toBeGreaterThanOrEqual(0.99 * ((998 * 1000) / 1020));
    expect(maxInAnyWindow(run.acks, 1000)).toBeLessThanOrEqual(998);
  });

  test("after an idle spell the first burst is still allowed (the bucket fills while the window has room)", () => {
    const governor = new RateGovernor({ maxMessagesPerSecond: 1000, paceBurstMs: 50, ackClocked: true });
    expect(governor.available(0)).toBe(50);
    governor.record(0, 50);
    expect(governor.available(0)).toBe(0);
    governor.settle(1, 50);
    expect(governor.available(10)).toBe(10); // 1.03 posts per ms: 10.3 after 10 ms
    expect(governor.available(100)).toBe(50); // the window has room: refilled, capped at the burst
  });
});

describe("RateGovernor pacing edge cases", () => {
  test("a limit raised while the window is full does not credit the full spell as one burst", () => {
    const governor = new RateGovernor({
      maxMessagesPerSecond: 100,
      reservedControlSlots: 0,
      paceBurstMs: 1_000,
      paceHeadroom: 0,
    });
    governor.record(0, governor.available(0)); // the whole window at once: full until t = 1,000
    expect(governor.available(1)).toBe(0);
    governor.setLimit(200); // a new Login Refresh at t = 500: room for 100 more from then, not from t = 1
    expect(governor.available(500)).toBe(0);
    expect(governor.available(550)).toBe(10); // 50 ms at 200 per second
  });

  test("refuses a pacing headroom outside [0, 1]", () => {
    expect(() => new RateGovernor({ maxMessagesPerSecond: 10, paceHeadroom: Number.NaN })).toThrow(RangeError);
    expect(() => new RateGovernor({ maxMessagesPerSecond: 10, paceHeadroom: -0.1 })).toThrow(RangeError);
    expect(new RateGovernor({ maxMessagesPerSecond: 10, paceHeadroom: 0 }).limit).toBe(10);
  });
});
