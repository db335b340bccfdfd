/** When the post pipeline flushes: once per turn of the event loop, and after a rate wait on the injected clock. */
import { describe, expect, test } from "vitest";
import { FlushScheduler } from "../../src/client/posting/flush-scheduler.js";
import { ManualClock } from "../../src/util/clock.js";

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("FlushScheduler", () => {
  test("many requests in one turn of the event loop flush once", async () => {
    let flushes = 0;
    const flush = new FlushScheduler(new ManualClock(0), () => (flushes += 1));
    flush.soon();
    flush.soon();
    flush.soon();
    await nextTurn();
    expect(flushes).toBe(1);
    flush.soon();
    await nextTurn();
    expect(flushes).toBe(2);
  });

  test("a rate wait flushes after its delay, keeps one timer at a time, and can be cancelled", async () => {
    const clock = new ManualClock(0);
    let flushes = 0;
    const flush = new FlushScheduler(clock, () => (flushes += 1));
    flush.after(30);
    flush.after(5); // a wait is already pending: no second timer
    expect(clock.pendingTimers).toBe(1);
    clock.advance(29);
    await nextTurn();
    expect(flushes).toBe(0);
    clock.advance(1);
    await nextTurn();
    expect(flushes).toBe(1);
    flush.after(0); // at least 1 ms
    flush.cancelWait();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(10);
    await nextTurn();
    expect(flushes).toBe(1);
  });
});
