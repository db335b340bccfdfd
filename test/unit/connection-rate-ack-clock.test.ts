/**
 * The Ack-clocked rate window (§3.4): posts count from their Ack's arrival, so no delay between us and the
 * server can squeeze more than the limit into one of the server's windows.
 */
import { describe, expect, test } from "vitest";
import { RateGovernor } from "../../src/client/connection/rate-governor.js";

function governor(options: { controlMarginMs?: number; ackClocked?: boolean } = {}): RateGovernor {
  return new RateGovernor({
    maxMessagesPerSecond: 10,
    reservedControlSlots: 0,
    paceBurstMs: 0,
    ackClocked: true,
    ...options,
  });
}

describe("Ack-clocked rate governor", () => {
  test("a post counts as pending from its sending, then for one window from its settlement", () => {
    const rate = governor();
    rate.record(0, 10, "post");
    expect(rate.pending).toBe(10);
    expect(rate.available(999)).toBe(0);
    rate.settle(300, 10); // the Acks came late: the server may have counted the posts as late as this
    expect(rate.pending).toBe(0);
    expect(rate.available(1_000)).toBe(0); // a send-clocked window would allow 10 here
    expect(rate.waitMs(1_000)).toBe(300);
    expect(rate.available(1_300)).toBe(10);
  });

  test("while the window is held by pending posts, the wait is a whole window (they leave no sooner)", () => {
    const rate = governor();
    rate.record(0, 6, "post");
    rate.settle(10, 2);
    rate.record(20, 4, "post");
    expect(rate.inWindow(30)).toBe(10);
    expect(rate.waitMs(30, 2)).toBe(980); // the two settled posts leave at 1010
    expect(rate.waitMs(30, 3)).toBe(1_000); // a third needs a pending post to settle first
  });

  test("settlements never exceed what is pending, and are ignored by a send-clocked governor", () => {
    const rate = governor();
    rate.record(0, 2, "post");
    rate.settle(1, 5);
    expect(rate.pending).toBe(0);
    expect(rate.inWindow(1)).toBe(2);
    const sendClocked = governor({ ackClocked: false });
    sendClocked.record(0, 3, "post");
    sendClocked.settle(500, 3);
    expect(sendClocked.pending).toBe(0);
    expect(sendClocked.available(999)).toBe(7);
    expect(sendClocked.available(1_000)).toBe(10);
  });

  test("control messages, which nothing answers, count from their sending plus controlMarginMs", () => {
    const rate = governor({ controlMarginMs: 20 });
    rate.record(0, 10, "control");
    expect(rate.available(1_019, "control")).toBe(0);
    expect(rate.waitMs(1_000, 1, "control")).toBe(20);
    expect(rate.available(1_020, "control")).toBe(10);
  });

  test("a saturated sender settling each frame at once gets the whole limit, never more than it in a window", () => {
    const rate = new RateGovernor({ maxMessagesPerSecond: 1000, ackClocked: true, controlMarginMs: 20 });
    const sends: number[] = [];
    let now = 0;
    while (now < 5_000) {
      const room = rate.available(now);
      if (room > 0) {
        rate.record(now, room, "post");
        for (let index = 0; index < room; index++) sends.push(now);
        rate.settle(now + 0.2, room); // Acks 0.2 ms later
      }
      now += Math.max(0.001, rate.waitMs(now));
    }
    let maxInWindow = 0;
    for (let head = 0, tail = 0; tail < sends.length; tail++) {
      while ((sends[tail] as number) - (sends[head] as number) >= 1_000) head++;
      maxInWindow = Math.max(maxInWindow, tail - head + 1);
    }
    expect(maxInWindow).toBeLessThanOrEqual(998);
    expect(sends.length / 5).toBeGreaterThanOrEqual(990);
  });
});
