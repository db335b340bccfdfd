/** Dead-link detection (§2.7): `missedPings` ping intervals without any inbound message. */
import { describe, expect, test } from "vitest";
import { Heartbeat } from "../../src/client/connection/heartbeat.js";
import { ManualClock } from "../../src/util/clock.js";

function heartbeat(clock: ManualClock, dead: number[]): Heartbeat {
  return new Heartbeat({ clock, pingIntervalMs: 20_000, missedPings: 3, onDead: (silentMs) => dead.push(silentMs) });
}

describe("Heartbeat", () => {
  test("declares the link dead after three silent ping intervals, exactly once", () => {
    const clock = new ManualClock(0);
    const dead: number[] = [];
    const beat = heartbeat(clock, dead);
    beat.start();
    clock.advance(59_999);
    expect(dead).toEqual([]);
    clock.advance(1);
    expect(dead).toEqual([60_000]);
    clock.advance(200_000);
    expect(dead).toHaveLength(1);
    expect(beat.running).toBe(false);
  });

  test("inbound traffic pushes the deadline back to three intervals after the last message", () => {
    const clock = new ManualClock(0);
    const dead: number[] = [];
    const beat = heartbeat(clock, dead);
    beat.start();
    clock.advance(50_000);
    beat.touch();
    clock.advance(59_999);
    expect(dead).toEqual([]);
    clock.advance(1);
    expect(dead).toEqual([60_000]);
  });

  test("a steady stream of pings keeps the link alive with a single pending timer", () => {
    const clock = new ManualClock(0);
    const dead: number[] = [];
    const beat = heartbeat(clock, dead);
    beat.start();
    for (let ping = 0; ping < 50; ping++) {
      clock.advance(20_000);
      beat.touch();
      expect(clock.pendingTimers).toBe(1);
    }
    expect(dead).toEqual([]);
  });

  test("stop() cancels detection and start() counts afresh", () => {
    const clock = new ManualClock(0);
    const dead: number[] = [];
    const beat = heartbeat(clock, dead);
    beat.start();
    clock.advance(30_000);
    beat.stop();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(100_000);
    expect(dead).toEqual([]);
    beat.start();
    clock.advance(60_000);
    expect(dead).toEqual([60_000]);
  });

  test("rejects a non-positive interval or missed-ping count", () => {
    const clock = new ManualClock(0);
    expect(() => new Heartbeat({ clock, pingIntervalMs: 0, missedPings: 3, onDead: () => undefined })).toThrow(
      RangeError,
    );
    expect(() => new Heartbeat({ clock, pingIntervalMs: 10, missedPings: 0, onDead: () => undefined })).toThrow(
      RangeError,
    );
  });
});
