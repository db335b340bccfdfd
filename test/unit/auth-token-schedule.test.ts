/**
 * Refresh timing (§1.8: 0.8 × expires_in, never later than 60 s before expiry) and the schedule's retry
 * delay after a failed proactive refresh. Pure functions: no clock needed.
 */
import { describe, expect, test } from "vitest";
import { refreshAtMs } from "../../src/client/auth/token-manager.js";
import { TOKEN_RETRY_DEFAULTS } from "../../src/client/auth/token-options.js";
import { scheduleRetryDelayMs } from "../../src/client/auth/token-schedule.js";

const ISSUED = 1_700_000_000_000;

describe("refreshAtMs", () => {
  test("§1.8: a 600 s token refreshes at 80 % of its life (480 s)", () => {
    expect(refreshAtMs(ISSUED, 600, 0.8, 60_000)).toBe(ISSUED + 480_000);
  });

  test("§1.8: for a 300 s token the 60 s margin is later than 80 %, so 80 % (240 s) applies", () => {
    expect(refreshAtMs(ISSUED, 300, 0.8, 60_000)).toBe(ISSUED + 240_000);
  });

  test("§1.8: the 60 s margin dominates for short tokens (200 s → 140 s, not 160 s)", () => {
    expect(refreshAtMs(ISSUED, 200, 0.8, 60_000)).toBe(ISSUED + 140_000);
  });

  test("the ratio dominates when it is later than the margin allows for long tokens (3600 s → 2880 s)", () => {
    expect(refreshAtMs(ISSUED, 3_600, 0.8, 60_000)).toBe(ISSUED + 2_880_000);
  });

  test("a lifetime at or below the margin refreshes at half its life, never at once (no refresh storm)", () => {
    expect(refreshAtMs(ISSUED, 30, 0.8, 60_000)).toBe(ISSUED + 15_000);
    expect(refreshAtMs(ISSUED, 60, 0.8, 60_000)).toBe(ISSUED + 30_000);
    expect(refreshAtMs(ISSUED, 90, 0.8, 60_000)).toBe(ISSUED + 45_000);
  });

  test("tiny lifetimes with no margin refresh at the ratio", () => {
    expect(refreshAtMs(ISSUED, 1, 0.8, 0)).toBe(ISSUED + 800);
    expect(refreshAtMs(ISSUED, 2, 0.5, 0)).toBe(ISSUED + 1_000);
  });

  test("the refresh time is always inside [issued, expiry]", () => {
    for (const seconds of [1, 5, 59, 61, 75, 299, 600, 86_400]) {
      for (const ratio of [0.05, 0.5, 0.8, 0.95]) {
        const at = refreshAtMs(ISSUED, seconds, ratio, 60_000);
        expect(at).toBeGreaterThanOrEqual(ISSUED);
        expect(at).toBeLessThanOrEqual(ISSUED + seconds * 1000);
      }
    }
  });
});

describe("scheduleRetryDelayMs", () => {
  test("waits half the remaining life of a still-valid token", () => {
    expect(scheduleRetryDelayMs(ISSUED, ISSUED + 20_000, TOKEN_RETRY_DEFAULTS)).toBe(10_000);
  });

  test("never waits longer than the retry cap", () => {
    expect(scheduleRetryDelayMs(ISSUED, ISSUED + 600_000, TOKEN_RETRY_DEFAULTS)).toBe(30_000);
  });

  test("waits the first retry delay when the token has expired or there is none", () => {
    expect(scheduleRetryDelayMs(ISSUED, ISSUED - 5_000, TOKEN_RETRY_DEFAULTS)).toBe(1_000);
    expect(scheduleRetryDelayMs(ISSUED, undefined, TOKEN_RETRY_DEFAULTS)).toBe(1_000);
  });
});
