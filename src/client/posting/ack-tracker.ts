/**
 * Posts in flight, keyed by PostID (their promises settle in post-entry.ts, exactly once). Ack
 * timeouts come from a coarse periodic sweep, not one timer per post. By default a post's time runs from its
 * acceptance by `contribute()`, not from its sending, so that time spent unsent (held by the rate governor,
 * `maxInFlight` or a reconnect) counts too; the queue sends in acceptance order, so entries here are in
 * acceptance order as well, and a sweep stops at the first post that is still within its time. With
 * `from: "sent"` the time runs from the latest sending; entries are added as they are sent, so they are in
 * that order too and the same early stop holds.
 */
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { PostEntry } from "./post-entry.js";
import type { AckTimeoutStart } from "./pipeline-options.js";

/** Options of {@link AckTracker}. */
export interface AckTrackerOptions {
  clock: Clock;
  /** A post not settled this long after its acceptance (`acceptedAtMs`) times out, milliseconds (the pipeline's `ackTimeoutMs`). */
  ackTimeoutMs: number;
  /** Whether the time runs from `acceptedAtMs` or `sentAtMs` (the pipeline's `ackTimeoutFrom`). @default "accepted" */
  from?: AckTimeoutStart;
  /** Period of the timeout sweep, milliseconds. @default ackTimeoutMs / 10, clamped to 1–1000 */
  sweepIntervalMs?: number;
  /** Called once per post that timed out (already removed from the tracker). */
  onTimeout: (entry: PostEntry) => void;
}

/** In-flight posts by PostID, with a coarse timeout sweep. */
export class AckTracker {
  readonly #clock: Clock;
  readonly #ackTimeoutMs: number;
  readonly #fromSent: boolean;
  readonly #sweepIntervalMs: number;
  readonly #onTimeout: (entry: PostEntry) => void;
  readonly #byPostId = new Map<number, PostEntry>();
  #timer: TimerHandle | undefined;

  constructor(options: AckTrackerOptions) {
    this.#clock = options.clock;
    this.#ackTimeoutMs = options.ackTimeoutMs;
    this.#fromSent = options.from === "sent";
    this.#sweepIntervalMs = options.sweepIntervalMs ?? Math.min(1000, Math.max(1, options.ackTimeoutMs / 10));
    this.#onTimeout = options.onTimeout;
  }

  /** Posts awaiting an Ack. */
  get size(): number {
    return this.#byPostId.size;
  }

  /** Tracks a post just sent (its `postId`, `sentAtMs` and `acceptedAtMs` set). */
  add(entry: PostEntry): void {
    this.#byPostId.set(entry.postId, entry);
    this.#timer ??= this.#clock.setTimeout(() => this.#onSweepTimer(), this.#sweepIntervalMs).unref();
  }

  /** Looks up a post by PostID without removing it. */
  get(postId: number): PostEntry | undefined {
    return this.#byPostId.get(postId);
  }

  /** Removes and returns the post with this PostID (an Ack, Nak or matched Error arrived). */
  take(postId: number): PostEntry | undefined {
    const entry = this.#byPostId.get(postId);
    if (entry !== undefined) this.#byPostId.delete(postId);
    if (this.#byPostId.size === 0) this.#stopTimer();
    return entry;
  }

  /** Removes and returns every post in flight, oldest first (the connection was lost). */
  takeAll(): PostEntry[] {
    const entries = [...this.#byPostId.values()];
    this.#byPostId.clear();
    this.#stopTimer();
    return entries;
  }

  /** The posts in flight, oldest first (read-only view for Error matching). */
  values(): IterableIterator<PostEntry> {
    return this.#byPostId.values();
  }

  /**
   * Times out every post accepted (or, with `from: "sent"`, sent) `ackTimeoutMs` or more before `nowMs`.
   * @returns how many timed out.
   * Called by the sweep timer; public so tests can drive it.
   */
  sweep(nowMs: number = this.#clock.monotonic()): number {
    const deadline = nowMs - this.#ackTimeoutMs;
    const expired: PostEntry[] = [];
    for (const entry of this.#byPostId.values()) {
      // Acceptance (or sending) order: everything after is younger.
      if ((this.#fromSent ? entry.sentAtMs : entry.acceptedAtMs) > deadline) break;
      expired.push(entry);
    }
    for (const entry of expired) {
      this.#byPostId.delete(entry.postId);
      this.#onTimeout(entry);
    }
    return expired.length;
  }

  /** Cancels the sweep timer (the posts stay tracked). */
  stop(): void {
    this.#stopTimer();
  }

  #onSweepTimer(): void {
    this.#timer = undefined;
    this.sweep();
    if (this.#byPostId.size > 0) {
      this.#timer = this.#clock.setTimeout(() => this.#onSweepTimer(), this.#sweepIntervalMs).unref();
    }
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
