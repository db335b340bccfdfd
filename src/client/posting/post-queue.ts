/**
 * Posts accepted but not yet sent: a bounded FIFO queue (`maxQueued`), an overflow list of callers that
 * chose to wait for room (backpressure), and the per-RIC index used by opt-in conflation; and the filling of
 * one frame from its head (§2.2): as many posts as the budget (rate, in-flight room) allows and the byte cap
 * holds, each given the next PostID. The pipeline decides when entries move.
 *
 * Filling off-stream is the hot path of the default mode: per post one size sum, one template render, no
 * allocation beyond the string. On-stream (§4A.6) adds one map look-up per post for the RIC's item stream.
 */
import { type PostEntry, rejectPost } from "./post-entry.js";
import { type FrameBuilder, type PostFormat, digitCount } from "./frame-builder.js";
import type { ItemStreams } from "./item-streams.js";

const NONE_EXPIRED: readonly PostEntry[] = Object.freeze([]);

/** Where {@link PostQueue.offer} put an entry. */
export type OfferResult = "queued" | "waiting" | "full";

/** FIFO of unsent posts with a waiting room and a conflation index. */
export class PostQueue {
  readonly #maxQueued: number;
  #items: PostEntry[] = [];
  #head = 0;
  #waiting: PostEntry[] = [];
  #waitingHead = 0;
  /** RIC → the newest unsent conflatable entry (queued or waiting). */
  readonly #conflatable = new Map<string, PostEntry>();

  /** @param maxQueued queued posts at most; more callers wait (or are refused). */
  constructor(maxQueued: number) {
    this.#maxQueued = maxQueued;
  }

  /** Posts queued (not counting the waiting room). */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Callers waiting for room in the queue. */
  get waiting(): number {
    return this.#waiting.length - this.#waitingHead;
  }

  /** Whether nothing is queued or waiting. */
  get empty(): boolean {
    return this.length === 0 && this.waiting === 0;
  }

  /**
   * Adds a new entry: into the queue when there is room and nobody waits before it (FIFO), else into the
   * waiting room when `wait`, else refuses.
   */
  offer(entry: PostEntry, wait: boolean): OfferResult {
    let result: OfferResult;
    if (this.waiting === 0 && this.length < this.#maxQueued) {
      this.#items.push(entry);
      result = "queued";
    } else if (wait) {
      this.#waiting.push(entry);
      result = "waiting";
    } else {
      return "full";
    }
    if (entry.conflate) this.#conflatable.set(entry.ric, entry);
    return result;
  }

  /** The unsent conflatable entry for `ric`, if any (a later post may merge into it). */
  conflatable(ric: string): PostEntry | undefined {
    return this.#conflatable.get(ric);
  }

  /** The oldest queued entry, without removing it. */
  peek(): PostEntry | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns the oldest queued entry; it is no longer a conflation target. */
  shift(): PostEntry | undefined {
    const entry = this.#items[this.#head];
    if (entry === undefined) return undefined;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (entry.conflate && this.#conflatable.get(entry.ric) === entry) this.#conflatable.delete(entry.ric);
    return entry;
  }

  /** Puts entries back at the front, in order (posts in flight when a connection dropped, re-sent first). */
  unshiftAll(entries: readonly PostEntry[]): void {
    if (entries.length === 0) return;
    this.#items = [...entries, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /**
   * Moves waiting entries into the queue while there is room, marking them accepted at `nowMs` (their Ack
   * timeout starts there). @returns how many moved.
   */
  admitWaiting(nowMs: number): number {
    let moved = 0;
    while (this.waiting > 0 && this.length < this.#maxQueued) {
      const entry = this.#waiting[this.#waitingHead] as PostEntry;
      entry.acceptedAtMs = nowMs;
      this.#items.push(entry);
      this.#waitingHead += 1;
      moved += 1;
    }
    if (this.#waitingHead > 0 && this.waiting === 0) {
      this.#waiting = [];
      this.#waitingHead = 0;
    }
    return moved;
  }

  /**
   * Removes the queued entries accepted at or before `deadlineMs`, oldest first (their Ack timeout
   * elapsed before they could be sent). The queue is in acceptance order, so only its head is looked at.
   */
  expire(deadlineMs: number): readonly PostEntry[] {
    const head = this.peek();
    if (head === undefined || head.acceptedAtMs > deadlineMs) return NONE_EXPIRED; // the usual case: no allocation
    const expired: PostEntry[] = [];
    for (let entry = this.peek(); entry !== undefined && entry.acceptedAtMs <= deadlineMs; entry = this.peek()) {
      this.shift();
      expired.push(entry);
    }
    return expired;
  }

  /** The distinct RICs of the posts queued or waiting, in queue order (on-stream: the streams to open). */
  rics(): Set<string> {
    const rics = new Set<string>();
    for (let index = this.#head; index < this.#items.length; index++) rics.add((this.#items[index] as PostEntry).ric);
    for (let index = this.#waitingHead; index < this.#waiting.length; index++) {
      rics.add((this.#waiting[index] as PostEntry).ric);
    }
    return rics;
  }

  /** Removes and returns everything, queued then waiting (to reject them). */
  clear(): PostEntry[] {
    const all = [...this.#items.slice(this.#head), ...this.#waiting.slice(this.#waitingHead)];
    this.#items = [];
    this.#head = 0;
    this.#waiting = [];
    this.#waitingHead = 0;
    this.#conflatable.clear();
    return all;
  }
}

// Filling a frame from the head of the queue.

/**
 * Moves off-stream posts from the queue into `frame` and `batch`, PostIDs from `firstPostId` up (the caller
 * advances its counter by `batch.length`).
 */
export function fillOffStream(
  queue: PostQueue,
  frame: FrameBuilder,
  format: PostFormat,
  batch: PostEntry[],
  budget: number,
  firstPostId: number,
): void {
  let postId = firstPostId;
  for (let entry = queue.peek(); entry !== undefined && batch.length < budget; entry = queue.peek()) {
    const bytes = entry.sizeWithoutPostId + digitCount(postId);
    if (!frame.fits(bytes)) break;
    queue.shift();
    entry.postId = postId;
    frame.add(format.render(postId, entry.ricJson, entry.fieldsJson), bytes);
    batch.push(entry);
    postId += 1;
  }
}

/**
 * Like {@link fillOffStream}, for posts on item streams: stops at a post whose stream is still opening (so
 * FIFO order holds across RICs; the streams' `onChange` flushes again), opens a stream the post's RIC lacks,
 * and rejects, without a PostID, the posts whose stream was refused.
 * @returns how many posts were rejected.
 */
export function fillOnStream(
  queue: PostQueue,
  frame: FrameBuilder,
  streams: ItemStreams,
  batch: PostEntry[],
  budget: number,
  firstPostId: number,
): number {
  const format = streams.format;
  let postId = firstPostId;
  let refused = 0;
  for (let entry = queue.peek(); entry !== undefined && batch.length < budget; entry = queue.peek()) {
    const stream = streams.get(entry.ric) ?? streams.open(entry.ric);
    if (stream === undefined || stream.state === "opening") break;
    if (stream.error !== undefined) {
      queue.shift();
      rejectPost(entry, stream.error);
      refused += 1;
      continue;
    }
    const bytes = entry.sizeWithoutPostId + stream.sizeDelta + digitCount(postId);
    if (!frame.fits(bytes)) break;
    queue.shift();
    entry.postId = postId;
    frame.add(format.render(stream.head, postId, entry.fieldsJson), bytes);
    batch.push(entry);
    postId += 1;
  }
  return refused;
}
