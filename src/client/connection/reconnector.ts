/**
 * When and where the session reconnects (§3.6): consecutive failures are counted, each picks a delay from
 * the backoff policy (exponential, capped, full jitter) and the next endpoint of the pool; the count resets
 * once a connection has been stable for a while. Gives up after `backoff.maxAttempts` failures or once the
 * first failure of the run lies `maxDownMs` back. Pure apart from the injected random source.
 *
 * The first attempt after a healthy session lost its connection goes at once, with a small jitter
 * ({@link FIRST_RETRY_JITTER_MS}): a dropped connection is usually one event, and waiting out a backoff for it
 * only delays the posts. The backoff grows from the second consecutive failure, and applies from the first
 * when the server asked for it ("System busy") or the session was not up yet.
 */
import { type BackoffPolicy, backoffDelayMs } from "../../util/backoff.js";
import { EndpointPool } from "./endpoint-pool.js";

/** Upper bound of the delay of an immediate first retry, milliseconds (jitter, so that many clients dropped together do not all return in the same millisecond). */
const FIRST_RETRY_JITTER_MS = 50;

/** The next attempt: how long to wait and where to go. */
export interface ReconnectPlan {
  /** Consecutive failures so far (1 after the first). */
  attempt: number;
  delayMs: number;
  url: string;
}

/** Counts failures and plans the next attempt. */
export class Reconnector {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  readonly #pool: EndpointPool;
  readonly #maxDownMs: number;
  #attempt = 0;
  /** Monotonic ms of the first failure of the current run; undefined while none. */
  #downSinceMs: number | undefined;

  /**
   * @param urls endpoints in failover order.
   * @param maxDownMs give up once the run of failures started this long ago, milliseconds. @default Infinity
   */
  constructor(
    urls: readonly string[],
    policy: BackoffPolicy,
    random: () => number,
    maxDownMs: number = Number.POSITIVE_INFINITY,
  ) {
    this.#pool = new EndpointPool(urls);
    this.#policy = policy;
    this.#random = random;
    this.#maxDownMs = maxDownMs;
  }

  /** The endpoint in use or next in line. */
  get url(): string {
    return this.#pool.current;
  }

  /**
   * Records a failure at monotonic `nowMs` and plans the next attempt on the next endpoint; undefined = give
   * up (too many attempts, or down for `maxDownMs`). The last wait is cut so the next attempt starts before
   * the time runs out.
   * @param options.healthyDrop the failure is a healthy session losing its connection (not a refusal, not a
   *   failed attempt): when it is the first of its run, the retry goes at once (jitter only).
   */
  next(nowMs: number, options: { healthyDrop?: boolean } = {}): ReconnectPlan | undefined {
    this.#attempt += 1;
    this.#downSinceMs ??= nowMs;
    const remainingMs = this.#downSinceMs + this.#maxDownMs - nowMs;
    if (remainingMs <= 0) return undefined;
    const immediate = options.healthyDrop === true && this.#attempt === 1 && this.#policy.maxAttempts > 1;
    const delayMs = immediate
      ? Math.min(1, Math.max(0, this.#random())) * FIRST_RETRY_JITTER_MS
      : backoffDelayMs(this.#attempt, this.#policy, this.#random);
    if (delayMs === undefined) return undefined;
    return { attempt: this.#attempt, delayMs: Math.min(delayMs, remainingMs), url: this.#pool.advance() };
  }

  /** How long the current run of failures has lasted at monotonic `nowMs`, milliseconds (0 while none). */
  downForMs(nowMs: number): number {
    return this.#downSinceMs === undefined ? 0 : nowMs - this.#downSinceMs;
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.#attempt;
  }

  /** The connection has been stable: the next failure starts the backoff afresh. */
  reset(): void {
    this.#attempt = 0;
    this.#downSinceMs = undefined;
  }
}
