/**
 * When and where the session reconnects (§3.6): consecutive failures are counted, each picks a delay from
 * the backoff policy (exponential, capped, full jitter) and the next endpoint of the pool; the count resets
 * once a connection has been stable for a while. Pure apart from the injected random source.
 */
import { type BackoffPolicy, backoffDelayMs } from "../../util/backoff.js";
import { EndpointPool } from "./endpoint-pool.js";

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
  #attempt = 0;

  /** @param urls endpoints in failover order. */
  constructor(urls: readonly string[], policy: BackoffPolicy, random: () => number) {
    this.#pool = new EndpointPool(urls);
    this.#policy = policy;
    this.#random = random;
  }

  /** The endpoint in use or next in line. */
  get url(): string {
    return this.#pool.current;
  }

  /** Records a failure and plans the next attempt on the next endpoint; undefined = give up. */
  next(): ReconnectPlan | undefined {
    this.#attempt += 1;
    const delayMs = backoffDelayMs(this.#attempt, this.#policy, this.#random);
    if (delayMs === undefined) return undefined;
    return { attempt: this.#attempt, delayMs, url: this.#pool.advance() };
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.#attempt;
  }

  /** The connection has been stable: the next failure starts the backoff afresh. */
  reset(): void {
    this.#attempt = 0;
  }
}
