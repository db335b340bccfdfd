/**
 * Small async helpers of the token manager: retrying transient failures on an injected clock (§1.6: 429,
 * 5xx and network errors are retried, everything else is not), an abortable sleep and a deferred.
 */
import type { Clock } from "../../util/clock.js";
import type { BackoffPolicy } from "../../util/backoff.js";
import { backoffDelayMs } from "../../util/backoff.js";
import { RccError, AuthError, AuthUnavailableError } from "../errors.js";

/** What {@link retryTransient} needs. */
export interface RetryContext {
  clock: Clock;
  retry: BackoffPolicy;
  random: () => number;
  /** Aborting stops the waits and rethrows the abort reason. */
  signal: AbortSignal;
  /** Called after every failed try (for counters). */
  onFailure(error: unknown): void;
  /** Called before each wait (for the warn line). */
  onRetry(info: { attempt: number; delayMs: number; status: number | undefined; error: Error }): void;
}

/**
 * Runs `operation` until it succeeds, fails with a non-retriable `RccError` (an `AuthError` such as refused
 * credentials, or a `CertificateError`), or the retry budget is spent. Retriable = an `RccError` with
 * `retriable` true, or any other error (network failures, timeouts).
 *
 * @throws the non-retriable error as is; {@link AuthUnavailableError} (cause = last failure) when the budget
 *   is spent; the abort reason when `signal` fires.
 */
export async function retryTransient<T>(operation: () => Promise<T>, context: RetryContext): Promise<T> {
  const { clock, retry, random, signal } = context;
  for (let attempt = 1; ; attempt++) {
    let failure: Error;
    try {
      signal.throwIfAborted();
      return await operation();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      context.onFailure(error);
      if (error instanceof RccError && !error.retriable) throw error;
      failure = error instanceof Error ? error : new Error(String(error));
    }
    const status = failure instanceof AuthError ? failure.status : undefined;
    const delayMs = backoffDelayMs(attempt, retry, random);
    if (delayMs === undefined) {
      const oauthError = failure instanceof AuthError ? failure.oauthError : undefined;
      throw new AuthUnavailableError(`token endpoint unavailable after ${attempt} attempts: ${failure.message}`, {
        ...(status === undefined ? {} : { status }),
        ...(oauthError === undefined ? {} : { oauthError }),
        cause: failure,
      });
    }
    context.onRetry({ attempt, delayMs, status, error: failure });
    await sleep(clock, delayMs, signal);
  }
}

/** Waits `delayMs` on `clock`; rejects with the abort reason when `signal` fires first. */
function sleep(clock: Clock, delayMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal.reason as Error);
    };
    const handle = clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, delayMs);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A promise with its settle functions; settling twice is a no-op. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Creates a {@link Deferred} whose rejection does not count as unhandled (waiters attach their own). */
export function createDeferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
