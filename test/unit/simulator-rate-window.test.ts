import { describe, expect, it } from "vitest";
import { RateWindow } from "../../src/simulator/rcc/rate-window.js";
import { ManualClock } from "../../src/util/clock.js";

describe("RateWindow", () => {
  it("counts events of the last second and forgets them exactly one second later", () => {
    const clock = new ManualClock(0);
    const window = new RateWindow(clock);
    expect(window.add()).toBe(1);
    clock.advance(400);
    expect(window.add(3)).toBe(4);
    clock.advance(599);
    expect(window.count()).toBe(4);
    clock.advance(1);
    // The event at t=0 leaves at t=1000; the window is (now − 1000, now].
    expect(window.count()).toBe(3);
    clock.advance(400);
    expect(window.count()).toBe(0);
  });

  it("merges events at the same instant and grows past its initial capacity", () => {
    const clock = new ManualClock(0);
    const window = new RateWindow(clock);
    for (let instant = 0; instant < 100; instant++) {
      expect(window.add(2)).toBe(3 * instant + 2);
      expect(window.add(1)).toBe(3 * instant + 3);
      clock.advance(5);
    }
    expect(window.count()).toBe(300);
    clock.advance(1_000);
    expect(window.count()).toBe(0);
    expect(window.add()).toBe(1);
  });

  it("tells how long until the oldest event leaves the window", () => {
    const clock = new ManualClock(10_000);
    const window = new RateWindow(clock, 1_000);
    expect(window.msUntilNextExpiry()).toBe(0);
    window.add();
    clock.advance(300);
    window.add();
    expect(window.msUntilNextExpiry()).toBe(700);
    clock.advance(700);
    expect(window.msUntilNextExpiry()).toBe(300);
  });

  it("uses an explicit time when given one instead of the clock", () => {
    const window = new RateWindow(new ManualClock(0), 100);
    window.add(5, 1_000);
    expect(window.count(1_050)).toBe(5);
    expect(window.count(1_100)).toBe(0);
  });
});
