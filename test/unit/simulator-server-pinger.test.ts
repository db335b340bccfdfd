import { describe, expect, it } from "vitest";
import { ServerPinger } from "../../src/simulator/rcc/server-pinger.js";
import { ManualClock } from "../../src/util/clock.js";

function harness(maxUnanswered = 3) {
  const clock = new ManualClock(0);
  const events: string[] = [];
  let stopped = false;
  const pinger = new ServerPinger(clock, 20_000, maxUnanswered, {
    pingsStopped: () => stopped,
    sendPing: () => events.push(`ping@${clock.now()}`),
    onSilence: (unanswered) => events.push(`cut@${clock.now()} after ${unanswered}`),
  });
  return { clock, events, pinger, stop: (value: boolean) => (stopped = value) };
}

describe("ServerPinger", () => {
  it("pings every interval and cuts after three pings without any traffic", () => {
    const { clock, events, pinger } = harness();
    pinger.start();
    clock.advance(100_000);
    expect(events).toEqual(["ping@20000", "ping@40000", "ping@60000", "cut@80000 after 3"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("restarts the count on any inbound traffic", () => {
    const { clock, events, pinger } = harness();
    pinger.start();
    clock.advance(50_000);
    pinger.traffic();
    expect(pinger.unanswered).toBe(0);
    clock.advance(50_000);
    expect(events).toEqual(["ping@20000", "ping@40000", "ping@60000", "ping@80000", "ping@100000"]);
  });

  it("neither pings nor counts silence while pings are stopped", () => {
    const { clock, events, pinger, stop } = harness(1);
    pinger.start();
    stop(true);
    clock.advance(200_000);
    expect(events).toEqual([]);
    stop(false);
    clock.advance(40_000);
    expect(events).toEqual(["ping@220000", "cut@240000 after 1"]);
  });

  it("stops cleanly", () => {
    const { clock, events, pinger } = harness();
    pinger.start();
    pinger.stop();
    clock.advance(100_000);
    expect(events).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
