/**
 * Keeps one gateway's share of the accounts' leases (docs/cluster.md, "Sharding"): every `renewEveryMs` it
 * announces itself in the lease bucket (`member.<gateway id>`, expiring like a lease), counts the live gateways,
 * renews the leases it holds, takes free ones up to its fair share ⌈accounts / live gateways⌉, and gives up the
 * ones above it, so that leases spread when a gateway joins and are taken over when one leaves or dies.
 *
 * Which accounts a gateway goes for first is decided by rendezvous hashing (the highest hash of gateway id and
 * account), so gateways prefer different accounts and a change of membership moves few of them.
 */
import { createHash } from "node:crypto";
import { type Logger, silentLogger } from "../../index.js";
import { bounded } from "./bounded.js";
import { Lease, type LeaseStore, leaseKey } from "./lease.js";

/** The lease bucket as the keeper uses it: the lease operations, plus presence writes and a key listing. */
interface LeaseBucket extends LeaseStore {
  put(key: string, data: string): Promise<number>;
  keys(filter?: string): Promise<AsyncIterable<string>>;
  /** The bucket's settings: its `ttl` (age limit, milliseconds) must be the keeper's `ttlMs`. */
  status(): Promise<{ ttl: number }>;
}

/** What the gateway does when it gains or gives up an account. */
interface LeaseKeeperEvents {
  /** This gateway holds `account`'s lease now: log in and post (checking the lease before each frame). */
  gained(account: string, lease: Lease): void;
  /**
   * This gateway lost `account`'s lease (taken over, expired, or its renewals failed for too long): stop posting
   * at once. Called after the lease stopped allowing it to act.
   */
  lost(account: string): void;
  /**
   * This gateway is to give `account` up (its share went down): stop posting and send the Login Close; the
   * lease is deleted when the promise settles, so a follower takes over at once.
   */
  releasing(account: string): Promise<void>;
}

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  /** The lease bucket (`@nats-io/kv`'s KV), created with `ttl` = `ttlMs`. */
  bucket: LeaseBucket;
  /** This gateway's id: unique among the live gateways (a new one per process start). */
  gatewayId: string;
  /** Every account of the cluster, by name. */
  accounts: readonly string[];
  /** The bucket's age limit, milliseconds: how long a lease or a presence entry lives after its last write. */
  ttlMs: number;
  /** Time between two rounds, milliseconds; less than `ttlMs - safetyMarginMs`. @default ttlMs / 3 */
  renewEveryMs?: number;
  /** Stop acting this long before a lease could expire, milliseconds. @default max(250, ttlMs / 10) */
  safetyMarginMs?: number;
  /** What the gateway does when it gains, loses or gives up an account. */
  events: LeaseKeeperEvents;
  /** Where gains, losses and unreachable NATS are logged. @default silentLogger */
  log?: Logger;
}

/** The key a gateway announces itself under. */
function memberKey(gatewayId: string): string {
  return `member.${leaseKey(gatewayId).slice("lease.".length)}`;
}

/** Rendezvous weight of `account` for `gatewayId`: higher goes first. */
function weight(gatewayId: string, account: string): string {
  return createHash("sha256").update(`${gatewayId}\u0000${account}`).digest("hex");
}

/** One gateway's keeper of its share of the leases. */
export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  readonly #renewEveryMs: number;
  readonly #leases = new Map<string, Lease>();
  /** Accounts in this gateway's order of preference. */
  readonly #preference: string[];
  /** Accounts this gateway holds (gained and not lost or released). */
  readonly #held = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #stopped = false;
  #liveGateways = 1;

  /**
   * @throws RangeError on an empty account list, duplicate accounts, a bad ttl or margin (see Lease), or a
   *   round interval that would let leases lapse between rounds.
   */
  constructor(options: LeaseKeeperOptions) {
    if (options.accounts.length === 0) throw new RangeError("a lease keeper needs at least one account");
    if (new Set(options.accounts).size !== options.accounts.length) throw new RangeError("duplicate account names");
    this.#options = options;
    this.#renewEveryMs = options.renewEveryMs ?? options.ttlMs / 3;
    const marginMs = options.safetyMarginMs ?? Math.max(250, options.ttlMs / 10);
    if (!(this.#renewEveryMs > 0 && this.#renewEveryMs < options.ttlMs - marginMs)) {
      throw new RangeError("renewEveryMs must be > 0 and < ttlMs - safetyMarginMs");
    }
    for (const account of options.accounts) {
      this.#leases.set(
        account,
        new Lease({
          store: options.bucket,
          key: leaseKey(account),
          holder: options.gatewayId,
          ttlMs: options.ttlMs,
          ...(options.safetyMarginMs === undefined ? {} : { safetyMarginMs: options.safetyMarginMs }),
        }),
      );
    }
    this.#preference = [...options.accounts].sort((a, b) =>
      weight(options.gatewayId, b).localeCompare(weight(options.gatewayId, a)),
    );
  }

  /** Accounts this gateway holds now, in its order of preference. */
  get held(): string[] {
    return this.#preference.filter((account) => this.#held.has(account));
  }

  /** Live gateways counted in the last round (this one included). */
  get liveGateways(): number {
    return this.#liveGateways;
  }

  /** The lease of `account` (for the fencing check before each frame). */
  lease(account: string): Lease | undefined {
    return this.#leases.get(account);
  }

  /**
   * Checks the bucket's age limit, then starts the rounds; the first runs at once.
   * @throws RangeError when the bucket's ttl is not `ttlMs` (fencing counts on it: a shorter one would let
   *   another gateway take a lease while this one still acts).
   */
  async start(): Promise<void> {
    if (this.#timer !== undefined || this.#round !== undefined || this.#stopped) return;
    const { ttl } = await this.#options.bucket.status();
    if (ttl !== this.#options.ttlMs) {
      throw new RangeError(
        `the lease bucket's ttl is ${ttl} ms, not the ${this.#options.ttlMs} ms the leases count on`,
      );
    }
    const tick = (): void => {
      this.#round = this.#runRound()
        .catch((error: unknown) => {
          (this.#options.log ?? silentLogger).error({ err: error }, "a lease round failed; the next one follows");
        })
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#renewEveryMs);
        });
    };
    tick();
  }

  /**
   * Stops the rounds and gives every held account up (events.releasing, then the lease deleted); with
   * `release: false` (a crash in a test) the leases are left to expire.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#round;
    if (options.release === false) return;
    await Promise.allSettled(this.held.map((account) => this.#release(account)));
    await this.#options.bucket.delete(memberKey(this.#options.gatewayId)).catch(() => undefined);
  }

  /**
   * One round: renew and announce, count, take up to the share, give up above it. The renewals go first and do
   * not wait for the count: listing the members makes a consumer on the bucket's stream, which can take seconds
   * while a NATS node is down, and a lease must not lapse for that (the count from the last round stands).
   */
  async #runRound(): Promise<void> {
    const { bucket, gatewayId, log = silentLogger } = this.#options;
    const held = this.held;
    const [, renewals] = await Promise.all([
      bucket.put(memberKey(gatewayId), gatewayId).catch((error: unknown) => {
        log.warn({ err: error }, "the lease bucket cannot be reached: keeping the leases held until they run out");
      }),
      // Every held lease renewed at once: one slow call must not hold back the others' renewals.
      Promise.all(
        held.map((account) => {
          const lease = this.#leases.get(account) as Lease;
          return lease.renew().catch(() => lease.remainingMs() > 0); // NATS unreachable: kept while fencing allows
        }),
      ),
    ]);
    held.forEach((account, index) => {
      if (renewals[index] !== true) this.#lose(account);
    });
    await this.#countMembers();
    const share = Math.ceil(this.#options.accounts.length / this.#liveGateways);
    for (const account of this.#preference) {
      if (this.#stopped || this.#held.size >= share) break;
      if (this.#held.has(account)) continue;
      const lease = this.#leases.get(account) as Lease;
      if (await lease.tryAcquire().catch(() => false)) {
        this.#held.add(account);
        log.info({ account, liveGateways: this.#liveGateways }, "this gateway leads the account now");
        try {
          this.#options.events.gained(account, lease);
        } catch (error) {
          log.error({ err: error, account }, "taking up the account failed: giving its lease up");
          await this.#release(account);
        }
      }
    }
    // Above the share (a gateway joined): give up the least preferred first.
    const extra = this.held.slice(share);
    for (const account of extra) await this.#release(account);
  }

  /** The listing of members under way, if any (one at a time; a round waits for it at most a round's time). */
  #counting: Promise<void> | undefined;

  async #countMembers(): Promise<void> {
    const { bucket, log = silentLogger } = this.#options;
    this.#counting ??= (async () => {
      try {
        // Distinct keys: a listing returns a key again when it is rewritten while the listing runs.
        const members = new Set<string>();
        for await (const key of await bucket.keys("member.*")) members.add(key);
        this.#liveGateways = Math.max(1, members.size);
      } catch (error) {
        log.warn({ err: error }, "the gateways of the cluster could not be counted: keeping the last count");
      } finally {
        this.#counting = undefined;
      }
    })();
    await bounded(this.#counting, this.#renewEveryMs);
  }

  #lose(account: string): void {
    this.#held.delete(account);
    (this.#options.log ?? silentLogger).warn({ account }, "this gateway lost the account's lease: stopped posting");
    this.#options.events.lost(account);
  }

  async #release(account: string): Promise<void> {
    if (!this.#held.delete(account)) return;
    try {
      await this.#options.events.releasing(account);
    } finally {
      await (this.#leases.get(account) as Lease).release().catch(() => undefined);
    }
  }
}
