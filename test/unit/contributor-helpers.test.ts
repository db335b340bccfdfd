/** Small collaborators of the client: latency histogram, status stream, drain signal, timers, proxy choice,
 * reconnect plan and token bookkeeping. */
import { describe, expect, test } from "vitest";
import { DrainSignal } from "../../src/client/posting/drain-signal.js";
import { LatencyHistogram } from "../../src/client/posting/latency.js";
import { Reconnector } from "../../src/client/connection/reconnector.js";
import { proxyFor } from "../../src/client/connection/web-socket.js";
import type { StatusEvent } from "../../src/client/connection/session-events.js";
import { LoginTokens } from "../../src/client/connection/login-tokens.js";
import { StatusHub } from "../../src/client/status-stream.js";
import { TimerSlots } from "../../src/util/timer-slots.js";
import { ManualClock } from "../../src/util/clock.js";

describe("LatencyHistogram", () => {
  test("reports percentiles within 4 % and the exact maximum", () => {
    const histogram = new LatencyHistogram();
    for (let value = 1; value <= 1000; value++) histogram.record(value / 10); // 0.1 … 100 ms
    const summary = histogram.summary();
    expect(summary.count).toBe(1000);
    expect(summary.p50).toBeGreaterThanOrEqual(50);
    expect(summary.p50).toBeLessThanOrEqual(52);
    expect(summary.p99).toBeGreaterThanOrEqual(99);
    expect(summary.p99).toBeLessThanOrEqual(100);
    expect(summary.max).toBe(100);
    expect(summary.mean).toBeCloseTo(50.05, 5);
  });

  test("is exact in the microsecond range, empty after reset, and bounded for huge values", () => {
    const histogram = new LatencyHistogram();
    histogram.record(0.012);
    expect(histogram.percentile(0.5)).toBe(0.012);
    histogram.record(1e12);
    expect(histogram.summary().max).toBe(1e12);
    histogram.reset();
    expect(histogram.summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
});

describe("StatusHub", () => {
  test("delivers events to every iterator and ends them after buffered events", async () => {
    const hub = new StatusHub();
    const first = hub.subscribe();
    const second = hub.subscribe();
    const event: StatusEvent = { type: "state", from: "idle", to: "authenticating" };
    hub.publish(event);
    hub.end();
    const seen: StatusEvent[] = [];
    for await (const item of first) seen.push(item);
    expect(seen).toEqual([event]);
    expect(await second.next()).toEqual({ value: event, done: false });
    expect(await second.next()).toEqual({ value: undefined, done: true });
    expect((await hub.subscribe().next()).done).toBe(true);
  });

  test("wakes a waiting reader and forgets an iterator that returned", async () => {
    const hub = new StatusHub();
    const iterator = hub.subscribe();
    const pending = iterator.next();
    hub.publish({ type: "closed" });
    expect(await pending).toEqual({ value: { type: "closed" }, done: false });
    await iterator.return?.();
    expect(hub.active).toBe(false);
  });
});

describe("DrainSignal", () => {
  test("resolves true when the condition comes true, false at the deadline", async () => {
    const clock = new ManualClock(0);
    let idle = false;
    const signal = new DrainSignal(clock, () => idle);
    const drained = signal.wait(100);
    const timedOut = signal.wait(10);
    clock.advance(10);
    expect(await timedOut).toBe(false);
    idle = true;
    signal.check();
    expect(await drained).toBe(true);
    expect(await signal.wait(5)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("TimerSlots", () => {
  test("setting a slot replaces its pending timer; clearAll cancels everything", () => {
    const clock = new ManualClock(0);
    const slots = new TimerSlots<"a" | "b">(clock);
    const fired: string[] = [];
    slots.set("a", 10, () => fired.push("a1"));
    slots.set("a", 20, () => fired.push("a2"));
    slots.set("b", 5, () => fired.push("b"));
    clock.advance(30);
    expect(fired).toEqual(["b", "a2"]);
    slots.set("a", 10, () => fired.push("a3"));
    slots.clearAll();
    clock.advance(30);
    expect(fired).toEqual(["b", "a2"]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("proxyFor", () => {
  const env = {
    HTTPS_PROXY: "http://proxy:3128",
    HTTP_PROXY: "http://plain:8080",
    NO_PROXY: "internal.example, .corp.test",
  };

  test("an explicit proxy wins; false ignores the environment", () => {
    expect(proxyFor("wss://contrib.example/WebSocket", "http://mine:1", env)).toBe("http://mine:1");
    expect(proxyFor("wss://contrib.example/WebSocket", false, env)).toBeUndefined();
  });

  test("takes HTTPS_PROXY for wss:/https: and HTTP_PROXY for ws:/http:", () => {
    expect(proxyFor("wss://contrib.example/WebSocket", undefined, env)).toBe("http://proxy:3128");
    expect(proxyFor("https://api.example/auth", undefined, env)).toBe("http://proxy:3128");
    expect(proxyFor("ws://contrib.example/WebSocket", undefined, env)).toBe("http://plain:8080");
    expect(proxyFor("wss://contrib.example/WebSocket", undefined, { https_proxy: "http://lower:1" })).toBe(
      "http://lower:1",
    );
  });

  test("bypasses loopback hosts and NO_PROXY matches", () => {
    expect(proxyFor("wss://127.0.0.1:9000/WebSocket", undefined, env)).toBeUndefined();
    expect(proxyFor("wss://localhost/WebSocket", undefined, env)).toBeUndefined();
    expect(proxyFor("wss://[::1]:9000/WebSocket", undefined, env)).toBeUndefined();
    expect(proxyFor("wss://internal.example/WebSocket", undefined, env)).toBeUndefined();
    expect(proxyFor("wss://a.corp.test/WebSocket", undefined, env)).toBeUndefined();
    expect(proxyFor("wss://corp.test.evil/WebSocket", undefined, env)).toBe("http://proxy:3128");
    expect(proxyFor("wss://x.example/WebSocket", undefined, { ...env, NO_PROXY: "*" })).toBeUndefined();
  });
});

describe("Reconnector", () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, maxAttempts: 4 };

  test("rotates through the endpoints with growing, capped, jittered delays, then gives up", () => {
    const reconnector = new Reconnector(["ws://a/WebSocket", "ws://b/WebSocket"], policy, () => 0.5);
    expect(reconnector.url).toBe("ws://a/WebSocket");
    expect(reconnector.next(0)).toEqual({ attempt: 1, delayMs: 50, url: "ws://b/WebSocket" });
    expect(reconnector.next(50)).toEqual({ attempt: 2, delayMs: 100, url: "ws://a/WebSocket" });
    expect(reconnector.next(150)).toEqual({ attempt: 3, delayMs: 200, url: "ws://b/WebSocket" });
    expect(reconnector.next(350)).toBeUndefined();
  });

  test("a healthy session's dropped connection is retried at once (jitter only), the next failure backs off", () => {
    const reconnector = new Reconnector(["ws://a/WebSocket", "ws://b/WebSocket"], policy, () => 0.5);
    expect(reconnector.next(0, { healthyDrop: true })).toEqual({ attempt: 1, delayMs: 25, url: "ws://b/WebSocket" });
    expect(reconnector.next(25, { healthyDrop: true })).toEqual({ attempt: 2, delayMs: 100, url: "ws://a/WebSocket" });
    reconnector.reset();
    expect(reconnector.next(1_000)).toMatchObject({ attempt: 1, delayMs: 50 }); // a refusal or a failed try: backoff
    const oneTry = new Reconnector(["ws://a/WebSocket"], { ...policy, maxAttempts: 1 }, () => 0.5);
    expect(oneTry.next(0, { healthyDrop: true })).toBeUndefined(); // maxAttempts still bounds it
  });

  test("reset() after a stable period starts the backoff afresh", () => {
    const reconnector = new Reconnector(["ws://a/WebSocket"], policy, () => 1);
    reconnector.next(0);
    reconnector.next(100);
    reconnector.reset();
    expect(reconnector.downForMs(5_000)).toBe(0);
    expect(reconnector.next(5_000)).toMatchObject({ attempt: 1, delayMs: 100 });
  });

  test("with maxDownMs it gives up by time, not count: the last wait is cut to the time left", () => {
    const unlimited = { ...policy, maxAttempts: Number.POSITIVE_INFINITY, maxDelayMs: 1000 };
    const reconnector = new Reconnector(["ws://a/WebSocket"], unlimited, () => 1, 2_300);
    let nowMs = 10_000;
    const delays: number[] = [];
    for (let plan = reconnector.next(nowMs); plan !== undefined; plan = reconnector.next(nowMs)) {
      delays.push(plan.delayMs);
      nowMs += plan.delayMs;
    }
    // 100, 200, 400, 800, then 1,000 would pass 2,300 ms: cut to the 800 left; at 2,300 ms it gives up.
    expect(delays).toEqual([100, 200, 400, 800, 800]);
    expect(reconnector.downForMs(nowMs)).toBe(2_300);
    expect(reconnector.attempts).toBe(6);
  });
});

describe("LoginTokens", () => {
  const token = (name: string, expiresAtMs = 600_000) => ({ accessToken: name, expiresAtMs });

  test("a token not used in a login before is fresh; reusing it is not", () => {
    const tokens = new LoginTokens("256", "10.0.0.5/host");
    tokens.obtained(token("t1"));
    expect(tokens.fresh).toBe(true);
    expect(tokens.login(token("t1"))).toMatchObject({
      ID: 1,
      Domain: "Login",
      Key: { Elements: { AuthenticationToken: "t1" } },
    });
    tokens.obtained(token("t1"));
    expect(tokens.fresh).toBe(false);
  });

  test("forceNew() asks for one millisecond more validity than the current token has", () => {
    const tokens = new LoginTokens("256", "p");
    tokens.obtained(token("t1", 600_000));
    expect(tokens.minValidityMs(60_000, 0)).toBe(60_000);
    tokens.forceNew();
    expect(tokens.minValidityMs(60_000, 100_000)).toBe(500_001);
    tokens.obtained(token("t2", 900_000));
    expect(tokens.minValidityMs(60_000, 100_000)).toBe(60_000);
  });

  test("builds the Refresh:false re-login and keeps a token deferred while logging in", () => {
    const tokens = new LoginTokens("257", "p");
    expect(tokens.login(token("t2"), false).Refresh).toBe(false);
    expect(tokens.login(token("t2")).Refresh).toBeUndefined();
    tokens.defer(token("t3"));
    expect(tokens.takeDeferred()?.accessToken).toBe("t3");
    expect(tokens.takeDeferred()).toBeUndefined();
  });
});
