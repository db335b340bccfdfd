/**
 * The timers of one connection (delayed Acks, token expiry, teardown grace), on the injected clock, so
 * all of them can be cancelled at once when the connection closes.
 */
import type { Clock, TimerHandle } from "../../util/clock.js";

/** A set of one-shot timers that can be cleared together. */
export class TimerSet {
  readonly #clock: Clock;
  readonly #timers = new Set<TimerHandle>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs `fn` after `delayMs` milliseconds, unless cleared first. The timer does not keep the process alive. */
  start(fn: () => void, delayMs: number): TimerHandle {
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      fn();
    }, delayMs);
    handle.unref();
    this.#timers.add(handle);
    return handle;
  }

  /** Cancels one timer; undefined and already-fired handles are ignored. */
  clear(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.#clock.clearTimeout(handle);
    this.#timers.delete(handle);
  }

  /** Cancels every pending timer. */
  clearAll(): void {
    for (const handle of this.#timers) this.#clock.clearTimeout(handle);
    this.#timers.clear();
  }
}
