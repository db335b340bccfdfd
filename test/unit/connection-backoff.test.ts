/**
 * Reconnect / token-retry backoff policy (§3.6 [INF]: exponential, capped, full jitter): a pure function, so
 * every case injects its own `random` and needs no timers.
 */
import { describe, expect, test } from "vitest";
import { type BackoffPolicy, DEFAULT_BACKOFF, backoffDelayMs, resolveBackoffPolicy } from "../../src/util/backoff.js";

const UPPER = () => 1 - Number.EPSILON;
const policy: BackoffPolicy = {
  initialDelayMs: 100,
  maxDelayMs: 1_000,
  factor: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
};

describe("backoffDelayMs", () => {
  test("the defaults are 500 ms, 30 s cap, factor 2 and never giving up", () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, maxAttempts: Infinity });
    expect(backoffDelayMs(1_000, DEFAULT_BACKOFF, UPPER)).toBeCloseTo(30_000, 3);
  });

  test("the upper bound grows by the factor per attempt", () => {
    const bounds = [1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, policy, () => 1));
    expect(bounds).toEqual([100, 200, 400, 800]);
  });

  test("the upper bound stops at the cap, even for huge attempt numbers", () => {
    expect(backoffDelayMs(5, policy, () => 1)).toBe(1_000);
    expect(backoffDelayMs(6, policy, () => 1)).toBe(1_000);
    expect(backoffDelayMs(10_000, policy, () => 1)).toBe(1_000);
  });

  test("full jitter scales the bound by the random draw", () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.25)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
  });

  test("delays stay within [0, bound] for many draws of Math.random", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const bound = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      for (let draw = 0; draw < 50; draw++) {
        const delay = backoffDelayMs(attempt, policy) as number;
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(bound);
      }
    }
  });

  test("a random source outside [0, 1] is clamped so the delay never leaves [0, bound]", () => {
    expect(backoffDelayMs(1, policy, () => -3)).toBe(0);
    expect(backoffDelayMs(1, policy, () => 7)).toBe(100);
  });

  test("gives up once maxAttempts tries have been made", () => {
    const limited = { ...policy, maxAttempts: 3 };
    expect(backoffDelayMs(1, limited, () => 1)).toBe(100);
    expect(backoffDelayMs(2, limited, () => 1)).toBe(200);
    expect(backoffDelayMs(3, limited, () => 1)).toBeUndefined();
    expect(backoffDelayMs(4, limited, () => 1)).toBeUndefined();
  });

  test("maxAttempts 1 means no retry at all", () => {
    expect(backoffDelayMs(1, { ...policy, maxAttempts: 1 })).toBeUndefined();
  });

  test("factor 1 gives a constant bound", () => {
    const constant = { ...policy, factor: 1 };
    expect([1, 5, 50].map((attempt) => backoffDelayMs(attempt, constant, () => 1))).toEqual([100, 100, 100]);
  });

  test("rejects attempt numbers below 1 or not integers", () => {
    expect(() => backoffDelayMs(0, policy)).toThrow(RangeError);
    expect(() => backoffDelayMs(1.5, policy)).toThrow(RangeError);
    expect(() => backoffDelayMs(Number.NaN, policy)).toThrow(RangeError);
  });
});

describe("resolveBackoffPolicy", () => {
  test("fills absent keys from the given defaults", () => {
    expect(resolveBackoffPolicy({ maxAttempts: 5 })).toEqual({ ...DEFAULT_BACKOFF, maxAttempts: 5 });
    expect(resolveBackoffPolicy({}, policy)).toEqual(policy);
  });

  test("rejects a cap below the first delay, a factor below 1 and fractional attempt limits", () => {
    expect(() => resolveBackoffPolicy({ initialDelayMs: 2_000, maxDelayMs: 1_000 })).toThrow(/maxDelayMs/);
    expect(() => resolveBackoffPolicy({ factor: 0.5 })).toThrow(/factor/);
    expect(() => resolveBackoffPolicy({ maxAttempts: 2.5 })).toThrow(/maxAttempts/);
    expect(() => resolveBackoffPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveBackoffPolicy({ initialDelayMs: -1 })).toThrow(/initialDelayMs/);
  });
});
