/**
 * Posts in flight, keyed by PostID, and the one place a post's promise settles (exactly once). Ack
 * timeouts come from a coarse periodic sweep, not one timer per post. A post's time runs from its
 * acceptance by `contribute()`, not from its sending, so that time spent unsent (held by the rate governor,
 * `maxInFlight` or a reconnect) counts too; the queue sends in acceptance order, so entries here are in
 * acceptance order as well, and a sweep stops at the first post that is still within its time.
 */
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { PipelineCounters } from "../contributor-stats.js";
import type { LatencyHistogram } from "./latency.js";
import { NakError } from "../post-errors.js";

/** A positive acknowledgement: what `contribute()` resolves with. */
export interface Ack {
  /** PostID the post carried on its last send. */
  postId: number;
  /** From the frame carrying the post being written to the Ack arriving, milliseconds. */
  latencyMs: number;
  ric: string;
}

/** One post from `contribute()` to its settlement. Mutable, owned by the pipeline. */
export interface PostEntry {
  readonly ric: string;
  /** `JSON.stringify(ric)`, computed once. */
  readonly ricJson: string;
  /** `JSON.stringify` of the fields (merged ones, when conflated): the post's content, fixed at submit. */
  fieldsJson: string;
  /** Wire size without the PostID digits, bytes. */
  sizeWithoutPostId: number;
  /** Whether later posts to the same RIC may merge into this one while it is queued. */
  readonly conflate: boolean;
  /** PostID of the last send; 0 while never sent. */
  postId: number;
  /** Monotonic ms of the last send. */
  sentAtMs: number;
  /**
   * Monotonic ms at which `contribute()` accepted the post into the queue (for a caller that waited for
   * room, when it got in): its Ack timeout runs from here, across re-sends.
   */
  acceptedAtMs: number;
  /** Times sent (re-sends after a reconnect included). */
  sends: number;
  settled: boolean;
  readonly promise: Promise<Ack>;
  readonly resolve: (ack: Ack) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The resolving functions of the promise being created, handed out by {@link capturePromiseFunctions}: one
 * shared executor instead of a new closure (and its context) per post, which the ack hot path would
 * otherwise allocate and collect at ≥ 100,000 posts/s.
 */
let capturedResolve: ((ack: Ack) => void) | undefined;
let capturedReject: ((error: Error) => void) | undefined;

function capturePromiseFunctions(resolve: (ack: Ack) => void, reject: (error: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** Creates an unsent entry with its promise. */
export function createPostEntry(
  ric: string,
  ricJson: string,
  fieldsJson: string,
  sizeWithoutPostId: number,
  conflate: boolean,
): PostEntry {
  // The executor runs synchronously inside the constructor, so the captured pair is this promise's.
  const promise = new Promise<Ack>(capturePromiseFunctions);
  const resolve = capturedResolve as (ack: Ack) => void;
  const reject = capturedReject as (error: Error) => void;
  capturedResolve = undefined;
  capturedReject = undefined;
  return {
    ric,
    ricJson,
    fieldsJson,
    sizeWithoutPostId,
    conflate,
    postId: 0,
    sentAtMs: 0,
    acceptedAtMs: 0,
    sends: 0,
    settled: false,
    promise,
    resolve,
    reject,
  };
}

/** Resolves a post unless it already settled. @returns whether this call settled it. */
export function resolvePost(entry: PostEntry, ack: Ack): boolean {
  if (entry.settled) return false;
  entry.settled = true;
  entry.resolve(ack);
  return true;
}

/** Rejects a post unless it already settled. @returns whether this call settled it. */
export function rejectPost(entry: PostEntry, error: Error): boolean {
  if (entry.settled) return false;
  entry.settled = true;
  entry.reject(error);
  return true;
}

/** How many distinct Nak codes are counted by name; further new codes are counted as {@link OTHER_NAK_CODES}. */
const MAX_NAK_CODE_KEYS = 64;
/** Longest Nak code counted by name, characters (real ones are a word); longer ones count as "Other". */
const MAX_NAK_CODE_KEY_CHARS = 64;
/**
 * The counter of Nak codes beyond {@link MAX_NAK_CODE_KEYS} or {@link MAX_NAK_CODE_KEY_CHARS}: a server
 * inventing codes cannot grow the stats.
 */
const OTHER_NAK_CODES = "Other";

/**
 * Settles a post from its Ack (§2.9): resolves it, recording the latency, or — when `nakCode` is given (read
 * by `readNakCode`) — rejects it with a {@link NakError}. Counts either outcome.
 * @returns the NakError of a Nak (the caller publishes it), else undefined.
 */
export function settleFromAck(
  entry: PostEntry,
  nakCode: string | undefined,
  message: Record<string, unknown>,
  nowMs: number,
  counters: Pick<PipelineCounters, "acked" | "naked">,
  latency: LatencyHistogram,
): NakError | undefined {
  if (nakCode === undefined) {
    const latencyMs = nowMs - entry.sentAtMs;
    latency.record(latencyMs);
    counters.acked += 1;
    resolvePost(entry, { postId: entry.postId, latencyMs, ric: entry.ric });
    return undefined;
  }
  const error = new NakError(nakCode, typeof message.Text === "string" ? message.Text : "", entry);
  const naked = counters.naked;
  const countable =
    nakCode.length <= MAX_NAK_CODE_KEY_CHARS &&
    (Object.hasOwn(naked, nakCode) || Object.keys(naked).length < MAX_NAK_CODE_KEYS);
  const key = countable ? nakCode : OTHER_NAK_CODES;
  // Own properties only: a code word such as "constructor" must not read Object.prototype's.
  naked[key] = (Object.hasOwn(naked, key) ? (naked[key] ?? 0) : 0) + 1;
  rejectPost(entry, error);
  return error;
}

/** Options of {@link AckTracker}. */
export interface AckTrackerOptions {
  clock: Clock;
  /** A post not settled this long after its acceptance (`acceptedAtMs`) times out, milliseconds. @default 15_000 */
  ackTimeoutMs: number;
  /** Period of the timeout sweep, milliseconds. @default ackTimeoutMs / 10, clamped to 1–1000 */
  sweepIntervalMs?: number;
  /** Called once per post that timed out (already removed from the tracker). */
  onTimeout: (entry: PostEntry) => void;
}

/** In-flight posts by PostID, with a coarse timeout sweep. */
export class AckTracker {
  readonly #clock: Clock;
  readonly #ackTimeoutMs: number;
  readonly #sweepIntervalMs: number;
  readonly #onTimeout: (entry: PostEntry) => void;
  readonly #byPostId = new Map<number, PostEntry>();
  #timer: TimerHandle | undefined;

  constructor(options: AckTrackerOptions) {
    this.#clock = options.clock;
    this.#ackTimeoutMs = options.ackTimeoutMs;
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
   * Times out every post accepted `ackTimeoutMs` or more before `nowMs`. @returns how many timed out.
   * Called by the sweep timer; public so tests can drive it.
   */
  sweep(nowMs: number = this.#clock.monotonic()): number {
    const deadline = nowMs - this.#ackTimeoutMs;
    const expired: PostEntry[] = [];
    for (const entry of this.#byPostId.values()) {
      if (entry.acceptedAtMs > deadline) break; // acceptance order: everything after is younger
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
