/**
 * The client side of `TRCE:MaxMessagesPerSecond` (§3.3, §3.4): a sliding-window log that guarantees no
 * more than the limit in ANY window of `windowMs`, counting every message sent (posts, pongs, logins,
 * closes). Pure: every method takes the current monotonic time, so tests drive it with numbers
 * (STYLE habit 5).
 *
 * A message sent at `t` occupies the window until `t + windowMs` (exclusive): at `now` it counts iff
 * `now - t < windowMs`. Bursts up to the limit are allowed; then senders wait until the oldest messages
 * leave the window.
 *
 * A few slots are reserved for control messages (Pong, Login, Close) so that a post backlog can never hold
 * back the answer to a server Ping (§2.7).
 *
 * Replies (Pongs) are the one kind of message the server can make us send: every Ping asks for one (§2.7),
 * and each counts toward the limit like any other message (§3.4). A server pinging faster than the limit
 * would otherwise own the whole window. So replies may take at most `maxReplyShare` of the limit in any
 * window (at least one): the rest is left to posts whatever the server does. The link coalesces a burst of
 * Pings into one Pong (session-link.ts), so the cap only bites on a server pinging many times a second.
 *
 * Posts are also paced by a token bucket holding `paceBurstMs` worth of posts: a saturated sender then sends
 * small groups all through the window instead of the whole window's worth at once, which keeps Ack latency
 * low. The bucket refills only while the window has room for a post, and a few percent faster than the
 * window's post rate (`paceHeadroom`), so that at the limit the window, not the bucket, sets the pace: each
 * post waits for one slot to leave the window and goes alone. A bucket that kept refilling while the window
 * was full would be full again when a group of Acks leaves the window together, and would send that group's
 * size as one burst a window later, every window, forever (groups merge but never split).
 *
 * Ack-clocked mode (`ackClocked`, what the contributor uses): the server counts a message when it ARRIVES,
 * and any delay in the network or in the server's scheduling squeezes messages sent a second apart into
 * less than a second of arrivals; a margin on the window only covers delays up to the margin. A post's Ack
 * (or Nak, or Error) leaves the server after the post arrived there, so counting each post from its Ack's
 * arrival, and as pending from its sending until then, bounds what any server window holds whatever the
 * delays, at the cost of the Ack latency instead of a fixed margin. Control messages get no answer: they
 * count from their sending plus `controlMarginMs`.
 */

/** Rounding slack of the pacing bucket, in posts (refills are fractional). */
const TOKEN_EPSILON = 1e-9;

/** `ms` rounded up to a whole microsecond, at least one: a shorter wait might not move a clock at all. */
function roundUpToMicros(ms: number): number {
  return Math.max(0.001, Math.ceil(ms * 1000) / 1000);
}

/**
 * Message classes: posts may not use the reserved slots, control messages may; replies (Pongs) are control
 * messages that in addition stay under the reply cap.
 */
export type MessageKind = "post" | "control" | "reply";

/** Options of {@link RateGovernor}. */
export interface RateGovernorOptions {
  /** The advertised `TRCE:MaxMessagesPerSecond` (or the configured default), messages per window. */
  maxMessagesPerSecond: number;
  /** Fraction of the limit actually used (0 < f ≤ 1). @default DEFAULT_RATE_GOVERNOR_OPTIONS.safetyFactor */
  safetyFactor?: number;
  /** Window length, milliseconds. @default DEFAULT_RATE_GOVERNOR_OPTIONS.windowMs */
  windowMs?: number;
  /**
   * Slots of each window posts may not use, kept for control messages. `undefined` = 2 when the limit is
   * ≥ 20, 1 when ≥ 5, else 0.
   * @default undefined
   */
  reservedControlSlots?: number;
  /**
   * Largest burst of posts, as milliseconds' worth of the window's post rate; 0 turns pacing off.
   * @default DEFAULT_RATE_GOVERNOR_OPTIONS.paceBurstMs
   */
  paceBurstMs?: number;
  /**
   * How much faster than the window's post rate the bucket refills, as a fraction (0 = exactly the rate).
   * The window still enforces the limit; the headroom only keeps late timers from leaving slots unused.
   * @default DEFAULT_RATE_GOVERNOR_OPTIONS.paceHeadroom
   */
  paceHeadroom?: number;
  /**
   * Count posts from their settlement (reported with {@link RateGovernor.settle}) instead of their sending;
   * pending in between. @default DEFAULT_RATE_GOVERNOR_OPTIONS.ackClocked
   */
  ackClocked?: boolean;
  /**
   * Milliseconds a control message counts beyond `windowMs` (its arrival is never confirmed).
   * @default DEFAULT_RATE_GOVERNOR_OPTIONS.controlMarginMs
   */
  controlMarginMs?: number;
  /**
   * Largest share of the limit replies (Pongs) may take in any window, in (0, 1]; at least one reply per
   * window is always allowed. @default DEFAULT_RATE_GOVERNOR_OPTIONS.maxReplyShare
   */
  maxReplyShare?: number;
}

/** The defaults of {@link RateGovernorOptions}: the one place each is written. */
const DEFAULT_RATE_GOVERNOR_OPTIONS = Object.freeze({
  safetyFactor: 1,
  windowMs: 1000,
  paceBurstMs: 20,
  paceHeadroom: 0.03,
  ackClocked: false,
  controlMarginMs: 0,
  maxReplyShare: 0.05,
});

/** Sliding-window rate limiter over all outbound messages. */
export class RateGovernor {
  readonly #safetyFactor: number;
  readonly #windowMs: number;
  readonly #reservedOption: number | undefined;
  readonly #paceBurstMs: number;
  readonly #paceHeadroom: number;
  readonly #ackClocked: boolean;
  readonly #controlMarginMs: number;
  readonly #maxReplyShare: number;
  /** Replies allowed per window (from the limit and `maxReplyShare`). */
  #replyCap = 1;
  /** Send times of the replies still in the window (dated like control messages), oldest first from #replyHead. */
  #replyTimes: number[] = [];
  #replyHead = 0;
  /** Ack-clocked mode: posts sent and not yet settled (they count, with no time attached yet). */
  #pending = 0;
  #limit = 1;
  #reserved = 0;
  // Pacing bucket: posts allowed now, its cap, its refill rate (posts per ms) and last refill time.
  #tokens = Number.POSITIVE_INFINITY;
  #burst = Number.POSITIVE_INFINITY;
  #tokensPerMs = 0;
  #refilledAtMs = Number.NEGATIVE_INFINITY;
  /** Since when the window has had room for a post; +∞ while it is full (the bucket does not refill then). */
  #roomSinceMs = Number.NEGATIVE_INFINITY;
  // The log: parallel arrays of send times and message counts, oldest first from #head.
  #times: number[] = [];
  #counts: number[] = [];
  #head = 0;
  #total = 0;

  /** @throws RangeError on a non-positive limit, window or safety factor, or a reply share outside (0, 1]. */
  constructor(options: RateGovernorOptions) {
    const defaults = DEFAULT_RATE_GOVERNOR_OPTIONS;
    const safety = options.safetyFactor ?? defaults.safetyFactor;
    if (!(safety > 0 && safety <= 1)) throw new RangeError("safetyFactor must be in (0, 1]");
    const windowMs = options.windowMs ?? defaults.windowMs;
    if (!(windowMs > 0)) throw new RangeError("windowMs must be > 0");
    this.#safetyFactor = safety;
    this.#windowMs = windowMs;
    this.#reservedOption = options.reservedControlSlots;
    this.#paceBurstMs = Math.max(0, options.paceBurstMs ?? defaults.paceBurstMs);
    const headroom = options.paceHeadroom ?? defaults.paceHeadroom;
    if (!(headroom >= 0 && headroom <= 1)) throw new RangeError("paceHeadroom must be in [0, 1]");
    this.#paceHeadroom = headroom;
    this.#ackClocked = options.ackClocked ?? defaults.ackClocked;
    this.#controlMarginMs = Math.max(0, options.controlMarginMs ?? defaults.controlMarginMs);
    const replyShare = options.maxReplyShare ?? defaults.maxReplyShare;
    if (!(replyShare > 0 && replyShare <= 1)) throw new RangeError("maxReplyShare must be in (0, 1]");
    this.#maxReplyShare = replyShare;
    this.setLimit(options.maxMessagesPerSecond);
  }

  /**
   * Changes the advertised limit (a new Login Refresh, §3.3). Messages already in the window still count.
   * @throws RangeError when the limit is not a positive number.
   */
  setLimit(maxMessagesPerSecond: number): void {
    if (!(maxMessagesPerSecond > 0) || !Number.isFinite(maxMessagesPerSecond)) {
      throw new RangeError("maxMessagesPerSecond must be a positive number");
    }
    this.#limit = Math.max(1, Math.floor(maxMessagesPerSecond * this.#safetyFactor));
    const defaultReserved = this.#limit >= 20 ? 2 : this.#limit >= 5 ? 1 : 0;
    this.#reserved = Math.min(this.#limit - 1, Math.max(0, this.#reservedOption ?? defaultReserved));
    const postsPerWindow = this.#limit - this.#reserved;
    const postsPerMs = postsPerWindow / this.#windowMs;
    this.#tokensPerMs = postsPerMs * (1 + this.#paceHeadroom);
    this.#burst =
      this.#paceBurstMs > 0 ? Math.max(1, Math.ceil(postsPerMs * this.#paceBurstMs)) : Number.POSITIVE_INFINITY;
    this.#tokens = Math.min(this.#tokens, this.#burst);
    this.#replyCap = Math.max(1, Math.floor(this.#limit * this.#maxReplyShare));
    // A lower limit may leave the window full now; a higher one's room is dated by the next call (#expire).
    if (this.#total + this.#pending >= this.#capacity("post")) this.#roomSinceMs = Number.POSITIVE_INFINITY;
  }

  /** Messages allowed per window after the safety factor. */
  get limit(): number {
    return this.#limit;
  }

  /** Window length, milliseconds. */
  get windowMs(): number {
    return this.#windowMs;
  }

  /** Replies (Pongs) allowed in any window. */
  get replyCap(): number {
    return this.#replyCap;
  }

  /** Messages of `kind` that may be sent at `nowMs` without exceeding the limit. */
  available(nowMs: number, kind: MessageKind = "post"): number {
    this.#expire(nowMs);
    const inWindow = Math.max(0, this.#capacity(kind) - this.#total - this.#pending);
    if (kind === "control") return inWindow;
    if (kind === "reply") return Math.max(0, Math.min(inWindow, this.#replyCap - this.#repliesInWindow(nowMs)));
    this.#refill(nowMs);
    return Math.min(inWindow, Math.floor(this.#tokens + TOKEN_EPSILON));
  }

  /** Messages counted in the window ending at `nowMs` (pending posts included). */
  inWindow(nowMs: number): number {
    this.#expire(nowMs);
    return this.#total + this.#pending;
  }

  /** Ack-clocked mode: posts sent and not yet settled. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Milliseconds from `nowMs` until `count` messages of `kind` may be sent at once (0 = now).
   * A `count` above the kind's capacity is treated as the capacity (callers split larger batches).
   */
  waitMs(nowMs: number, count = 1, kind: MessageKind = "post"): number {
    this.#expire(nowMs);
    const capacity = this.#capacity(kind);
    const wanted = Math.min(Math.max(1, count), capacity);
    let paceWaitMs = 0;
    if (kind === "post") {
      this.#refill(nowMs);
      const short = Math.min(wanted, this.#burst) - this.#tokens;
      // Rounded up to whole microseconds: a wait too small to move a clock would never refill the bucket.
      if (short > TOKEN_EPSILON) paceWaitMs = roundUpToMicros(short / this.#tokensPerMs);
    }
    const ownWaitMs = kind === "reply" ? this.#replyWaitMs(nowMs, wanted) : paceWaitMs;
    const mustLeave = this.#total + this.#pending + wanted - capacity;
    if (mustLeave <= 0) return ownWaitMs;
    let left = 0;
    for (let index = this.#head; index < this.#times.length; index++) {
      left += this.#counts[index] ?? 0;
      if (left >= mustLeave) {
        // Same arithmetic as #expire, rounded up to whole microseconds so the wait really moves past it.
        const windowWaitMs = roundUpToMicros(this.#windowMs - (nowMs - (this.#times[index] ?? nowMs)));
        // The bucket does not refill while the window is full: its shortfall is made up after the window frees.
        if (kind === "post" && this.#roomSinceMs === Number.POSITIVE_INFINITY) return windowWaitMs + paceWaitMs;
        return Math.max(ownWaitMs, windowWaitMs);
      }
    }
    // Pending posts must leave: each counts until a window after its settlement, which is now at the earliest.
    return this.#windowMs;
  }

  /** Records `count` messages of `kind` sent at `nowMs` (call after every send, control messages included). */
  record(nowMs: number, count = 1, kind: MessageKind = "post"): void {
    if (count <= 0) return;
    this.#expire(nowMs);
    if (kind === "reply") {
      for (let index = 0; index < count; index++) this.#replyTimes.push(nowMs + this.#controlMarginMs);
    }
    if (kind !== "post") {
      this.#refill(nowMs); // credits the bucket up to now, before the window may fill
      this.#log(nowMs + this.#controlMarginMs, count);
      return this.#noteRoom(nowMs);
    }
    this.#refill(nowMs);
    this.#tokens -= count;
    if (this.#ackClocked) this.#pending += count;
    else this.#log(nowMs, count);
    this.#noteRoom(nowMs);
  }

  /**
   * Ack-clocked mode: `count` pending posts were settled at `nowMs` (an Ack, Nak or Error arrived, or their
   * Ack timed out, or their connection was lost); from now they count for one window. Ignored otherwise.
   */
  settle(nowMs: number, count = 1): void {
    const settled = this.#ackClocked ? Math.min(count, this.#pending) : 0;
    if (settled <= 0) return;
    this.#expire(nowMs);
    this.#pending -= settled;
    this.#log(nowMs, settled);
  }

  /**
   * Appends a log entry. Entries stay in time order except that control messages are dated `controlMarginMs`
   * ahead; a later post entry behind one only leaves the window late, which errs on the safe side.
   */
  #log(atMs: number, count: number): void {
    const last = this.#times.length - 1;
    if (last >= this.#head && this.#times[last] === atMs) {
      this.#counts[last] = (this.#counts[last] ?? 0) + count;
    } else {
      this.#times.push(atMs);
      this.#counts.push(count);
    }
    this.#total += count;
  }

  /** Credits the bucket for the time since its last refill during which the window had room for a post. */
  #refill(nowMs: number): void {
    if (nowMs <= this.#refilledAtMs) return;
    if (this.#refilledAtMs !== Number.NEGATIVE_INFINITY) {
      const fromMs = Math.max(this.#refilledAtMs, this.#roomSinceMs);
      if (nowMs > fromMs) this.#tokens = Math.min(this.#burst, this.#tokens + (nowMs - fromMs) * this.#tokensPerMs);
    }
    this.#refilledAtMs = nowMs;
  }

  /** After the window changed at `atMs`: marks it full, or notes since when it has had room again. */
  #noteRoom(atMs: number): void {
    const room = this.#total + this.#pending < this.#capacity("post");
    if (!room) this.#roomSinceMs = Number.POSITIVE_INFINITY;
    else if (this.#roomSinceMs === Number.POSITIVE_INFINITY) this.#roomSinceMs = atMs;
  }

  #capacity(kind: MessageKind): number {
    return kind === "post" ? this.#limit - this.#reserved : this.#limit;
  }

  /** Replies counted in the window ending at `nowMs`; drops the older ones. */
  #repliesInWindow(nowMs: number): number {
    const times = this.#replyTimes;
    while (this.#replyHead < times.length && nowMs - (times[this.#replyHead] ?? nowMs) >= this.#windowMs) {
      this.#replyHead += 1;
    }
    if (this.#replyHead > 64 && this.#replyHead * 2 > times.length) {
      this.#replyTimes = times.slice(this.#replyHead);
      this.#replyHead = 0;
    }
    return this.#replyTimes.length - this.#replyHead;
  }

  /** Milliseconds until `count` more replies fit under the reply cap. */
  #replyWaitMs(nowMs: number, count: number): number {
    const mustLeave = this.#repliesInWindow(nowMs) + Math.min(count, this.#replyCap) - this.#replyCap;
    if (mustLeave <= 0) return 0;
    const leaving = this.#replyTimes[this.#replyHead + mustLeave - 1] ?? nowMs;
    return roundUpToMicros(this.#windowMs - (nowMs - leaving));
  }

  #expire(nowMs: number): void {
    const times = this.#times;
    // When the entries that left took their leave (the latest of them: control entries are dated ahead, so
    // the log is not quite in time order); the window got room then, not at `nowMs`, which may be later.
    let leftAtMs = Number.NEGATIVE_INFINITY;
    while (this.#head < times.length && nowMs - (times[this.#head] ?? nowMs) >= this.#windowMs) {
      this.#total -= this.#counts[this.#head] ?? 0;
      leftAtMs = Math.max(leftAtMs, (times[this.#head] ?? nowMs) + this.#windowMs);
      if (this.#roomSinceMs === Number.POSITIVE_INFINITY) this.#noteRoom(leftAtMs);
      this.#head += 1;
    }
    // Room that no entry's leaving made (a higher limit): from now.
    if (this.#roomSinceMs === Number.POSITIVE_INFINITY) this.#noteRoom(nowMs);
    // Compact now and then so the arrays stay as small as the window.
    if (this.#head > 1024 && this.#head * 2 > times.length) {
      this.#times = times.slice(this.#head);
      this.#counts = this.#counts.slice(this.#head);
      this.#head = 0;
    }
  }
}
