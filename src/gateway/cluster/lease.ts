/**
 * One account's leadership lease in a NATS KV bucket (docs/cluster.md, "The lease"): at most one gateway holds
 * it, and only the holder logs in to RCC for that account and posts its items.
 *
 * - Taking it is a create-if-absent of the account's key: of two gateways trying at once, one gets "wrong last
 *   sequence" and stays a follower.
 * - Keeping it is an update by compare-and-set on the revision the holder last wrote: a holder whose key was
 *   taken over (or is gone) learns it on its next renewal and is a follower again.
 * - It expires by the bucket's age limit (`ttlMs`, the bucket's `max_age`; NATS 2.9 has no per-key TTL): a holder
 *   that dies or is cut off from NATS stops renewing, the server removes the key `ttlMs` after its last write,
 *   and another gateway's create succeeds.
 * - Fencing: the server stamps a write no earlier than the moment the holder sent it, so the key lives at least
 *   `ttlMs` after that moment. The holder counts its lease from there and stops acting `safetyMarginMs` before
 *   it ends ({@link Lease.remainingMs}, checked before each frame), so it has stopped before any other gateway
 *   can hold the lease, whether or not its renewals still reach NATS.
 */
import { type Clock, systemClock } from "../../index.js";

/** A KV entry as the lease reads it. */
export interface LeaseEntry {
  revision: number;
  operation: "PUT" | "DEL" | "PURGE";
  string(): string;
}

/** The part of a KV bucket the lease uses; `@nats-io/kv`'s `KV` has it. */
export interface LeaseStore {
  create(key: string, data: string): Promise<number>;
  update(key: string, data: string, version: number): Promise<number>;
  get(key: string): Promise<LeaseEntry | null>;
  delete(key: string, options?: { previousSeq: number }): Promise<void>;
}

/** Options of {@link Lease}. */
export interface LeaseOptions {
  /** The bucket (its `max_age` must be `ttlMs`). */
  store: LeaseStore;
  /** The key of the account's lease in the bucket (see {@link leaseKey}). */
  key: string;
  /** Who holds it when this gateway does: its gateway id, written as the key's value. */
  holder: string;
  /** How long a write of the key lives, milliseconds: the bucket's `max_age`. */
  ttlMs: number;
  /**
   * How long before the lease could expire the holder stops acting, milliseconds; covers the time one frame
   * takes to reach RCC after the check, and clock-rate differences. @default max(250, ttlMs / 10)
   */
  safetyMarginMs?: number;
  /** Monotonic time. @default systemClock */
  clock?: Pick<Clock, "monotonic">;
}

/** What holding the lease looks like to its holder. */
export type LeaseState = "follower" | "holder";

/**
 * One account's lease as one gateway sees it. Not re-entrant: call one method at a time (the keeper that
 * drives it renews on a timer and awaits each call).
 */
export class Lease {
  readonly #store: LeaseStore;
  readonly #key: string;
  readonly #holder: string;
  readonly #ttlMs: number;
  readonly #marginMs: number;
  readonly #clock: Pick<Clock, "monotonic">;
  /** The revision this gateway last wrote while holding the lease. */
  #revision = 0;
  /** Monotonic time until which this gateway may act; -∞ when it does not hold the lease. */
  #actUntilMs = Number.NEGATIVE_INFINITY;

  /** @throws RangeError when `ttlMs` is not positive or the margin leaves no time to act. */
  constructor(options: LeaseOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError("ttlMs must be > 0");
    const marginMs = options.safetyMarginMs ?? Math.max(250, options.ttlMs / 10);
    if (!(marginMs >= 0 && marginMs < options.ttlMs)) throw new RangeError("safetyMarginMs must be in [0, ttlMs)");
    this.#store = options.store;
    this.#key = options.key;
    this.#holder = options.holder;
    this.#ttlMs = options.ttlMs;
    this.#marginMs = marginMs;
    this.#clock = options.clock ?? systemClock;
  }

  /** `holder` while this gateway holds the lease and may still act on it (see {@link remainingMs}). */
  get state(): LeaseState {
    return this.remainingMs() > 0 ? "holder" : "follower";
  }

  /**
   * Milliseconds this gateway may still act as the holder: until `safetyMarginMs` before the lease could
   * expire, counted from the sending of its last successful write. 0 when it is not the holder.
   */
  remainingMs(): number {
    return Math.max(0, this.#actUntilMs - this.#clock.monotonic());
  }

  /**
   * Takes the lease if nobody holds it. @returns true when this gateway holds it now.
   * @throws what the store throws other than "the key exists" (NATS unreachable, a timeout): the caller
   *   retries later; the state is unchanged.
   */
  async tryAcquire(): Promise<boolean> {
    if (this.remainingMs() > 0) return this.renew();
    const sentAt = this.#clock.monotonic();
    try {
      this.#revision = await this.#store.create(this.#key, this.#holder);
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
      // Held. By this gateway, when an earlier create went through but its answer was lost: confirm it with a
      // write on that revision (a new write, so the lease counts from it).
      const entry = await this.#store.get(this.#key);
      if (entry === null || entry.operation !== "PUT" || entry.string() !== this.#holder) return false;
      this.#revision = entry.revision;
      return this.renew();
    }
    this.#actUntilMs = sentAt + this.#ttlMs - this.#marginMs;
    return true;
  }

  /**
   * Writes the key again on the revision this gateway last wrote. @returns false when the lease is lost: the
   * key was taken over, deleted or expired (this gateway is a follower from now).
   * @throws what the store throws other than a revision conflict: the lease is kept until it runs out
   *   (remainingMs) and the caller retries.
   */
  async renew(): Promise<boolean> {
    if (this.#revision === 0) return false;
    const sentAt = this.#clock.monotonic();
    try {
      this.#revision = await this.#store.update(this.#key, this.#holder, this.#revision);
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
      this.#lose();
      return false;
    }
    this.#actUntilMs = sentAt + this.#ttlMs - this.#marginMs;
    return true;
  }

  /**
   * Gives the lease up at once (after the Login Close): deletes the key if it is still the revision this
   * gateway wrote, so a follower can take it without waiting for the age limit. Stops acting first.
   */
  async release(): Promise<void> {
    const revision = this.#revision;
    this.#lose();
    if (revision === 0) return;
    try {
      await this.#store.delete(this.#key, { previousSeq: revision });
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error; // someone else holds it now: theirs to keep
    }
  }

  /** Who holds the lease according to the bucket now, or undefined when nobody does. */
  async holderNow(): Promise<string | undefined> {
    const entry = await this.#store.get(this.#key);
    return entry === null || entry.operation !== "PUT" ? undefined : entry.string();
  }

  #lose(): void {
    this.#revision = 0;
    this.#actUntilMs = Number.NEGATIVE_INFINITY;
  }
}

/**
 * Whether `error` is a compare-and-set that lost: JetStream's "wrong last sequence" (10071), or its variant for a
 * subject whose last sequence is unknown (10164), which the KV client treats alike.
 */
export function isWrongLastSequence(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const apiCode = (error as { api_error?: { err_code?: unknown } }).api_error?.err_code;
  return (
    apiCode === 10071 ||
    apiCode === 10164 ||
    code === 10071 ||
    code === 10164 ||
    (typeof message === "string" && message.includes("wrong last sequence"))
  );
}

/**
 * The KV key of `account`'s lease: `lease.` and the name with every character but letters, digits and `-`
 * written `_HH` (hex of its UTF-8 bytes), so every account name is a valid key and keys never collide.
 */
export function leaseKey(account: string): string {
  let key = "";
  for (const byte of new TextEncoder().encode(account)) {
    const char = String.fromCharCode(byte);
    key += /[A-Za-z0-9-]/.test(char) ? char : `_${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `lease.${key}`;
}
