/**
 * When the token manager refreshes: pure functions of the token's issue time and lifetime (STYLE habit 5).
 */
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { BackoffPolicy } from "../../util/backoff.js";

/**
 * Epoch milliseconds at which to refresh a token, following §1.8: at `ratio × expires_in` (RTSDK's
 * `tokenReissueRatio`, default 0.8) but never later than `marginMs` before expiry (the tutorial's "< 60 s
 * remain" rule) — except that the margin never pulls the refresh earlier than half the lifetime: a token that
 * lives no longer than the margin (e.g. `expires_in` 30 with the 60 s default) would otherwise be refreshed
 * at once, again and again, a storm of grants that §1.7 warns can get an account blocked.
 *
 * @param issuedAtMs epoch ms at which the token was requested.
 * @param expiresInSec the grant's `expires_in`, seconds.
 * @param ratio fraction of the lifetime after which to refresh (0–1).
 * @param marginMs refresh at the latest this many milliseconds before expiry.
 */
export function refreshAtMs(issuedAtMs: number, expiresInSec: number, ratio: number, marginMs: number): number {
  const lifetimeMs = expiresInSec * 1000;
  const latestByMarginMs = Math.max(lifetimeMs - marginMs, lifetimeMs / 2);
  const delayMs = Math.min(ratio * lifetimeMs, latestByMarginMs);
  return issuedAtMs + Math.max(0, delayMs);
}

/**
 * How long the proactive schedule waits before trying again after a retriable failure (its per-call retry
 * budget is already spent): half the token's remaining life, so a still-valid token gets a second chance
 * before it lapses, bounded by the retry policy's first delay and its cap.
 *
 * @param nowMs current epoch ms.
 * @param expiresAtMs expiry of the current token (epoch ms), or undefined when there is none.
 * @returns milliseconds to wait.
 */
export function scheduleRetryDelayMs(nowMs: number, expiresAtMs: number | undefined, policy: BackoffPolicy): number {
  const remainingMs = expiresAtMs === undefined ? 0 : expiresAtMs - nowMs;
  const floorMs = Math.max(policy.initialDelayMs, 1);
  return Math.min(policy.maxDelayMs, Math.max(floorMs, remainingMs / 2));
}

/** The schedule's single pending timer on a clock: each `set` replaces the previous one. */
export class ScheduleTimer {
  readonly #clock: Clock;
  readonly #fire: () => void;
  #handle: TimerHandle | undefined;

  /** @param fire runs when the timer falls due. */
  constructor(clock: Clock, fire: () => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  /** (Re)arms the timer `delayMs` milliseconds from now (negative = at once). */
  set(delayMs: number): void {
    this.clear();
    const handle = this.#clock.setTimeout(
      () => {
        this.#handle = undefined;
        this.#fire();
      },
      Math.max(0, delayMs),
    );
    // A pending refresh alone must not keep the process alive.
    this.#handle = handle.unref();
  }

  /** Cancels the pending timer, if any. */
  clear(): void {
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
