/**
 * Retry policy shared by reconnects and token requests: exponential growth, a cap and "full jitter"
 * (the delay is drawn uniformly between 0 and the capped bound), as ioredis and node-redis do. It is a pure
 * function of the attempt number so tests can check it without timers (STYLE habit 5; §3.6 [INF]).
 */

/** Shape of an exponential, capped, fully jittered backoff. */
export interface BackoffPolicy {
  /** Upper bound of the first retry's delay, milliseconds. @default 500 */
  initialDelayMs: number;
  /** Cap of the upper bound, milliseconds. @default 30_000 */
  maxDelayMs: number;
  /** Growth factor of the upper bound per attempt (≥ 1). @default 2 */
  factor: number;
  /**
   * Give up after this many consecutive attempts (the first try counts as one); `Infinity` = never.
   * @default Infinity
   */
  maxAttempts: number;
}

/** The default policy: 0.5 s, 1 s, 2 s … up to 30 s, never giving up. */
export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
});

/**
 * Delay before retry number `attempt` (1-based: after the first failure ask for attempt 1, after the
 * second for attempt 2 …): `random() * min(maxDelayMs, initialDelayMs * factor^(attempt-1))`.
 * Full jitter keeps many clients that failed together from retrying together.
 *
 * @param attempt retry number, i.e. consecutive failures so far (integer ≥ 1).
 * @param random uniform source in [0, 1). @default Math.random
 * @returns milliseconds to wait, or `undefined` to give up (`attempt` ≥ `maxAttempts`: that many tries
 *   have already been made).
 * @throws RangeError when `attempt` is not an integer ≥ 1.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  if (attempt >= policy.maxAttempts) return undefined;
  // factor^(attempt-1) overflows to Infinity for large attempts; min() then yields the cap, as intended.
  const bound = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
  // Clamp the random draw so a misbehaving source can never produce a negative or over-cap delay.
  const draw = Math.min(1, Math.max(0, random()));
  return draw * bound;
}

/**
 * Completes a partial policy with `defaults` and checks it.
 * @param defaults policy used for absent keys. @default DEFAULT_BACKOFF
 * @throws RangeError naming the first invalid key.
 */
export function resolveBackoffPolicy(
  overrides: Partial<BackoffPolicy> = {},
  defaults: BackoffPolicy = DEFAULT_BACKOFF,
): BackoffPolicy {
  const policy: BackoffPolicy = {
    initialDelayMs: overrides.initialDelayMs ?? defaults.initialDelayMs,
    maxDelayMs: overrides.maxDelayMs ?? defaults.maxDelayMs,
    factor: overrides.factor ?? defaults.factor,
    maxAttempts: overrides.maxAttempts ?? defaults.maxAttempts,
  };
  if (!Number.isFinite(policy.initialDelayMs) || policy.initialDelayMs < 0) {
    throw new RangeError("backoff initialDelayMs must be a finite number ≥ 0");
  }
  if (!Number.isFinite(policy.maxDelayMs) || policy.maxDelayMs < policy.initialDelayMs) {
    throw new RangeError("backoff maxDelayMs must be finite and ≥ initialDelayMs");
  }
  if (!Number.isFinite(policy.factor) || policy.factor < 1) throw new RangeError("backoff factor must be ≥ 1");
  const attemptsValid =
    policy.maxAttempts === Number.POSITIVE_INFINITY ||
    (Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1);
  if (!attemptsValid) throw new RangeError("backoff maxAttempts must be an integer ≥ 1 or Infinity");
  return Object.freeze(policy);
}
