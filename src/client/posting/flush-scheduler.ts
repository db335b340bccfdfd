/**
 * When the post pipeline flushes its queue: once per turn of the event loop however many posts arrive in it
 * (so posts submitted together go out in one frame, §2.2), and once more after a wait for the rate window
 * (§3.4) — at most one such timer at a time; both on the injected clock.
 */
import type { Clock, TimerHandle } from "../../util/clock.js";

/** Coalesces flush requests of one pipeline. */
export class FlushScheduler {
  readonly #clock: Clock;
  readonly #flush: () => void;
  #scheduled = false;
  #rateTimer: TimerHandle | undefined;

  /** @param flush called at most once per turn of the event loop, and after each rate wait. */
  constructor(clock: Clock, flush: () => void) {
    this.#clock = clock;
    this.#flush = flush;
  }

  /** Flushes on the next turn of the event loop, unless that is already arranged. */
  soon(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#clock.setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  /** Flushes (on the next turn) after `waitMs` milliseconds (at least 1), unless a rate wait is pending. */
  after(waitMs: number): void {
    if (this.#rateTimer !== undefined) return;
    this.#rateTimer = this.#clock.setTimeout(
      () => {
        this.#rateTimer = undefined;
        this.soon();
      },
      Math.max(1, waitMs),
    );
  }

  /** Cancels a pending rate wait (the connection is gone). A flush already due still runs: it checks readiness. */
  cancelWait(): void {
    if (this.#rateTimer !== undefined) this.#clock.clearTimeout(this.#rateTimer);
    this.#rateTimer = undefined;
  }
}
