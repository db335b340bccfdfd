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

describe("ManualClock immediates", () => {
  test("run in order when the test asks, one turn at a time: an immediate queued by one waits for the next", () => {
    const clock = new ManualClock();
    const order: string[] = [];
    clock.setImmediate(() => {
      order.push("a");
      clock.setImmediate(() => order.push("c"));
    });
    clock.setImmediate(() => order.push("b"));
    expect(clock.pendingImmediates).toBe(2);
    expect(clock.runImmediates()).toBe(2);
    expect(order).toEqual(["a", "b"]);
    expect(clock.pendingImmediates).toBe(1);
    expect(clock.runImmediates()).toBe(1);
    expect(order).toEqual(["a", "b", "c"]);
    expect(clock.runImmediates()).toBe(0);
  });

  test("an immediate nobody runs by hand still runs on the next real turn of the event loop", async () => {
    const clock = new ManualClock();
    const ran = new Promise<string>((resolve) => clock.setImmediate(() => resolve("ran")));
    await expect(ran).resolves.toBe("ran");
    expect(clock.pendingImmediates).toBe(0);
  });
});

describe("FlushScheduler on ManualClock turns (runImmediates), no real event-loop turn", () => {
  function scheduler(): { clock: ManualClock; flushes: () => number; flush: FlushScheduler } {
    const clock = new ManualClock();
    let count = 0;
    return { clock, flushes: () => count, flush: new FlushScheduler(clock, () => (count += 1)) };
  }

  test("§2.2: many soon() calls in one turn flush once, on the clock's next turn", () => {
    const { clock, flushes, flush } = scheduler();
    for (let i = 0; i < 100; i++) flush.soon();
    expect(flushes()).toBe(0);
    clock.runImmediates();
    expect(flushes()).toBe(1);
    flush.soon();
    clock.runImmediates();
    expect(flushes()).toBe(2);
  });

  test("§3.4: after(waitMs) flushes on the turn after the wait; a second wait while one is pending is ignored", () => {
    const { clock, flushes, flush } = scheduler();
    flush.after(40);
    flush.after(5);
    clock.advance(39);
    clock.runImmediates();
    expect(flushes()).toBe(0);
    clock.advance(1);
    expect(flushes()).toBe(0);
    clock.runImmediates();
    expect(flushes()).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  test("cancelWait() drops a pending rate wait: nothing flushes when its time comes", () => {
    const { clock, flushes, flush } = scheduler();
    flush.after(0);
    flush.cancelWait();
    clock.advance(10);
    clock.runImmediates();
    expect(flushes()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
