/** Waiting, with a deadline on the injected clock, until a condition (e.g. "nothing left in flight") holds. */
import type { Clock } from "../../util/clock.js";

/** Lets callers wait for a condition that the owner re-checks through {@link DrainSignal.check}. */
export class DrainSignal {
  readonly #clock: Clock;
  readonly #condition: () => boolean;
  #waiters: ((held: boolean) => void)[] = [];

  /** @param condition what the waiters wait for; evaluated on {@link wait} and {@link check}. */
  constructor(clock: Clock, condition: () => boolean) {
    this.#clock = clock;
    this.#condition = condition;
  }

  /** Resolves true once the condition holds, false after `timeoutMs` milliseconds. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.#condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== onDone);
        resolve(false);
      }, timeoutMs);
      const onDone = (held: boolean): void => {
        this.#clock.clearTimeout(timer);
        resolve(held);
      };
      this.#waiters.push(onDone);
    });
  }

  /** Wakes every waiter if the condition now holds (cheap when nobody waits). */
  check(): void {
    if (this.#waiters.length === 0 || !this.#condition()) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter(true);
  }

  /** Ends every wait now: each resolves false unless the condition holds. */
  release(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    const held = this.#condition();
    for (const waiter of waiters) waiter(held);
  }
}
