/**
 * Sliding one-second window counter for the posting rate (§3.4, checklist item 26).
 *
 * Every inbound message is counted at its arrival time. Messages of one frame share one timestamp, so the
 * window stores runs of (time, count) instead of one entry per message: exact, O(1) amortised per add, and
 * cheap at 100,000 messages per second.
 */
import type { Clock } from "../../util/clock.js";

/** Counts events in the last `windowMs` milliseconds. */
export class RateWindow {
  readonly #clock: Clock;
  readonly #windowMs: number;
  // Ring of runs: parallel arrays of timestamps and counts, grown on demand.
  #times = new Float64Array(16);
  #counts = new Uint32Array(16);
  #head = 0;
  #size = 0;
  #total = 0;

  /**
   * @param clock time source; its monotonic milliseconds are used.
   * @param windowMs window length in milliseconds. @default 1000
   */
  constructor(clock: Clock, windowMs = 1000) {
    this.#clock = clock;
    this.#windowMs = windowMs;
  }

  /**
   * Counts `count` events at `nowMs` (monotonic milliseconds).
   * @returns the number of events in the window ending at `nowMs`, these included.
   */
  add(count = 1, nowMs = this.#clock.monotonic()): number {
    this.#evict(nowMs);
    const capacity = this.#times.length;
    if (this.#size > 0) {
      const last = (this.#head + this.#size - 1) % capacity;
      if (this.#times[last] === nowMs) {
        this.#counts[last] = (this.#counts[last] ?? 0) + count;
        this.#total += count;
        return this.#total;
      }
    }
    if (this.#size === capacity) this.#grow();
    const slot = (this.#head + this.#size) % this.#times.length;
    this.#times[slot] = nowMs;
    this.#counts[slot] = count;
    this.#size += 1;
    this.#total += count;
    return this.#total;
  }

  /** Events in the window ending at `nowMs` (monotonic milliseconds). */
  count(nowMs = this.#clock.monotonic()): number {
    this.#evict(nowMs);
    return this.#total;
  }

  /**
   * Milliseconds until the oldest event in the window leaves it, i.e. until the count first drops.
   * 0 when the window is empty.
   */
  msUntilNextExpiry(nowMs = this.#clock.monotonic()): number {
    this.#evict(nowMs);
    if (this.#size === 0) return 0;
    return Math.max(0, (this.#times[this.#head] as number) + this.#windowMs - nowMs);
  }

  #evict(nowMs: number): void {
    const capacity = this.#times.length;
    const oldest = nowMs - this.#windowMs;
    while (this.#size > 0 && (this.#times[this.#head] as number) <= oldest) {
      this.#total -= this.#counts[this.#head] as number;
      this.#head = (this.#head + 1) % capacity;
      this.#size -= 1;
    }
  }

  #grow(): void {
    const capacity = this.#times.length;
    const times = new Float64Array(capacity * 2);
    const counts = new Uint32Array(capacity * 2);
    for (let offset = 0; offset < this.#size; offset++) {
      const slot = (this.#head + offset) % capacity;
      times[offset] = this.#times[slot] as number;
      counts[offset] = this.#counts[slot] as number;
    }
    this.#times = times;
    this.#counts = counts;
    this.#head = 0;
  }
}
