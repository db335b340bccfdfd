/** Named one-shot timers on the injected clock: setting a slot replaces its pending timer. */
import type { Clock, TimerHandle } from "./clock.js";

/** A few named timers of one owner (e.g. the session's backoff, login and stable timers). */
export class TimerSlots<Name extends string> {
  readonly #clock: Clock;
  readonly #timers = new Map<Name, TimerHandle>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs `fn` after `delayMs` milliseconds, cancelling the slot's pending timer. */
  set(name: Name, delayMs: number, fn: () => void): void {
    this.clear(name);
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(name);
      fn();
    }, delayMs);
    this.#timers.set(name, handle);
  }

  /** Cancels the slot's pending timer, if any. */
  clear(name: Name): void {
    const handle = this.#timers.get(name);
    if (handle === undefined) return;
    this.#clock.clearTimeout(handle);
    this.#timers.delete(name);
  }

  /** Cancels every pending timer. */
  clearAll(): void {
    for (const handle of this.#timers.values()) this.#clock.clearTimeout(handle);
    this.#timers.clear();
  }
}
