/** Dead-link detection by an ADS's advertised `PingTimeout` (§4A.5), with a client Ping as a probe. */
import { describe, expect, test } from "vitest";
import { Heartbeat } from "../../src/client/connection/heartbeat.js";
import { classifyLoginMessage } from "../../src/client/connection/login-outcome.js";
import { ManualClock } from "../../src/util/clock.js";

interface Recorder {
  dead: number[];
  probes: number[];
}

function heartbeat(clock: ManualClock, seen: Recorder): Heartbeat {
  return new Heartbeat({
    clock,
    pingIntervalMs: 20_000,
    missedPings: 3,
    onDead: (silentMs) => seen.dead.push(silentMs),
    onProbe: () => seen.probes.push(clock.monotonic()),
  });
}

describe("Heartbeat retuned to a PingTimeout", () => {
  test("§4A.5: after PingTimeout = 30 s it pings once at 10 s of silence and declares the link dead at 30 s", () => {
    const clock = new ManualClock(0);
    const seen: Recorder = { dead: [], probes: [] };
    const beat = heartbeat(clock, seen);
    beat.start();
    beat.retune(30_000);
    expect(beat.deadAfterMs).toBe(30_000);
    clock.advance(9_999);
    expect(seen.probes).toEqual([]);
    clock.advance(1);
    expect(seen.probes).toEqual([10_000]);
    clock.advance(19_999);
    expect(seen.dead).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual({ dead: [30_000], probes: [10_000] });
    expect(beat.running).toBe(false);
  });

  test("traffic after a probe starts a new silence, which is probed again", () => {
    const clock = new ManualClock(0);
    const seen: Recorder = { dead: [], probes: [] };
    const beat = heartbeat(clock, seen);
    beat.start();
    beat.retune(30_000);
    clock.advance(10_000); // probe 1
    clock.advance(5);
    beat.touch(); // the Pong
    clock.advance(9_999);
    expect(seen.probes).toEqual([10_000]);
    clock.advance(1);
    expect(seen.probes).toEqual([10_000, 20_005]);
    expect(seen.dead).toEqual([]);
  });

  test("steady inbound traffic needs no probe at all", () => {
    const clock = new ManualClock(0);
    const seen: Recorder = { dead: [], probes: [] };
    const beat = heartbeat(clock, seen);
    beat.start();
    beat.retune(3_000);
    for (let step = 0; step < 100; step++) {
      clock.advance(500);
      beat.touch();
    }
    expect(seen).toEqual({ dead: [], probes: [] });
    expect(clock.pendingTimers).toBe(1);
    beat.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  test("retuning counts from the last inbound traffic, so an already long silence ends at once", () => {
    const clock = new ManualClock(0);
    const seen: Recorder = { dead: [], probes: [] };
    const beat = heartbeat(clock, seen);
    beat.start();
    clock.advance(45_000); // within the RCC default of 60 s
    beat.retune(30_000);
    expect(seen.dead).toEqual([45_000]);
    expect(() => beat.retune(0)).toThrow(RangeError);
  });
});

describe("Login Refresh of an ADS", () => {
  const adsRefresh = {
    ID: 1,
    Type: "Refresh",
    Domain: "Login",
    Key: { Name: "jdoe", Elements: { ApplicationId: "256", SupportOMMPost: 1 } },
    Elements: { MaxMsgSize: 61_440, PingTimeout: 30 },
    State: { Stream: "Open", Data: "Ok", Text: "Login accepted by host sim01." },
  };

  test("§4A.5: the top-level PingTimeout is read in milliseconds, with no rate limit advertised", () => {
    expect(classifyLoginMessage(adsRefresh)).toEqual({
      kind: "accepted",
      maxMessagesPerSecond: undefined,
      pingTimeoutMs: 30_000,
      text: "Login accepted by host sim01.",
      user: "jdoe",
    });
  });

  test("a typed or textual PingTimeout is read too; a missing or unusable one is undefined", () => {
    const typed = { ...adsRefresh, Elements: { PingTimeout: { Type: "UInt", Data: 20 } } };
    expect(classifyLoginMessage(typed)).toMatchObject({ pingTimeoutMs: 20_000 });
    expect(classifyLoginMessage({ ...adsRefresh, Elements: { PingTimeout: "15" } })).toMatchObject({
      pingTimeoutMs: 15_000,
    });
    expect(classifyLoginMessage({ ...adsRefresh, Elements: { PingTimeout: 0 } })).toMatchObject({
      pingTimeoutMs: undefined,
    });
    const { Elements: _none, ...rcc } = adsRefresh;
    expect(classifyLoginMessage(rcc)).toMatchObject({ kind: "accepted", pingTimeoutMs: undefined });
  });
});
