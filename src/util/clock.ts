/**
 * Time source used by every policy, timer and counter in the library and the simulator, so tests can
 * drive time instead of sleeping (STYLE habit 5).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic milliseconds, for measuring durations (latency, windows). */
  monotonic(): number;
  /** Runs `fn` after `delayMs` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer created by {@link Clock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
  /** Runs `fn` on the next turn of the event loop, after pending I/O (Node's `setImmediate`). */
  setImmediate(fn: () => void): void;
}

/** Opaque timer handle. */
export interface TimerHandle {
  /** Lets the process exit while this timer is pending (no-op for manual clocks). */
  unref(): TimerHandle;
}

/** The real clock: `Date.now()`, `performance.now()` and Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, Math.max(0, delayMs)),
  clearTimeout: (handle) => {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
  setImmediate: (fn) => {
    setImmediate(fn);
  },
};

interface ManualTimer extends TimerHandle {
  readonly id: number;
  readonly dueMs: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to ({@link ManualClock.advance}); timers fire in due order.
 * For unit tests of pure policies and collaborators. Immediates are turns of the event loop, not time: they
 * run at the next real turn, as with the system clock, or at once when a test calls
 * {@link ManualClock.runImmediates}.
 */
export class ManualClock implements Clock {
  #nowMs: number;
  #nextId = 1;
  #timers = new Map<number, ManualTimer>();
  #immediates: (() => void)[] = [];

  /** @param startMs initial epoch time in milliseconds. @default 1_700_000_000_000 */
  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  monotonic(): number {
    return this.#nowMs;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const timer: ManualTimer = {
      id: this.#nextId++,
      dueMs: this.#nowMs + Math.max(0, delayMs),
      fn,
      unref() {
        return this;
      },
    };
    this.#timers.set(timer.id, timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as ManualTimer).id);
  }

  setImmediate(fn: () => void): void {
    this.#immediates.push(fn);
    if (this.#immediates.length === 1) setImmediate(() => this.runImmediates());
  }

  /**
   * Runs the immediates queued so far, in order (one turn: those they queue wait for the next).
   * @returns how many ran.
   */
  runImmediates(): number {
    const due = this.#immediates;
    this.#immediates = [];
    for (const fn of due) fn();
    return due.length;
  }

  /** Number of immediates queued and not yet run. */
  get pendingImmediates(): number {
    return this.#immediates.length;
  }

  /** Number of timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms` milliseconds, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#nowMs + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.dueMs <= target && (next === undefined || timer.dueMs < next.dueMs)) next = timer;
      }
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#nowMs = Math.max(this.#nowMs, next.dueMs);
      next.fn();
    }
    this.#nowMs = target;
  }
}
