/**
 * The account lease's rules (docs/cluster.md, "The lease") on an in-memory bucket with the same
 * compare-and-set and age-limit semantics as a NATS KV bucket, and a manual clock. The same rules against a
 * real nats-server: test/integration/gateway-lease-nats.test.ts.
 */
import { describe, expect, test } from "vitest";
import { Lease, type LeaseEntry, type LeaseStore, leaseKey } from "../../src/gateway/cluster/lease.js";
import { LeaseKeeper } from "../../src/gateway/cluster/lease-keeper.js";
import { ManualClock } from "../../src/util/clock.js";

/** JetStream's answer to a compare-and-set that lost. */
class WrongLastSequence extends Error {
  readonly code = 10071;
  constructor(last: number) {
    super(`wrong last sequence: ${last}`);
  }
}

/** A one-key-per-name bucket: revisions count every write, entries older than `ttlMs` vanish. */
class MemoryBucket implements LeaseStore {
  #sequence = 0;
  readonly #entries = new Map<string, { revision: number; value: string; op: "PUT" | "DEL"; writtenAt: number }>();
  /** Calls that reach the bucket; a test can make the next one fail as a cut connection would. */
  failNext: Error | undefined;
  /** The next create is applied but its answer lost (the caller sees a timeout). */
  loseNextAnswer = false;

  constructor(
    readonly clock: ManualClock,
    readonly ttlMs: number,
  ) {}

  #live(key: string) {
    const entry = this.#entries.get(key);
    if (entry !== undefined && this.clock.monotonic() - entry.writtenAt >= this.ttlMs) this.#entries.delete(key);
    return this.#entries.get(key);
  }

  #write(key: string, value: string, op: "PUT" | "DEL"): number {
    this.#sequence += 1;
    this.#entries.set(key, { revision: this.#sequence, value, op, writtenAt: this.clock.monotonic() });
    return this.#sequence;
  }

  /** Runs one call as the bucket would answer it: later, and failed when `failNext` says so. */
  #call<T>(apply: () => T): Promise<T> {
    return new Promise<T>((resolve) => {
      const failure = this.failNext;
      this.failNext = undefined;
      if (failure !== undefined) throw failure;
      resolve(apply());
    });
  }

  create(key: string, data: string): Promise<number> {
    return this.#call(() => {
      const entry = this.#live(key);
      if (entry !== undefined && entry.op === "PUT") throw new WrongLastSequence(entry.revision);
      const revision = this.#write(key, data, "PUT");
      if (this.loseNextAnswer) {
        this.loseNextAnswer = false;
        throw new Error("TimeoutError: the answer was lost");
      }
      return revision;
    });
  }

  update(key: string, data: string, version: number): Promise<number> {
    return this.#call(() => {
      const entry = this.#live(key);
      if ((entry?.revision ?? 0) !== version) throw new WrongLastSequence(entry?.revision ?? 0);
      return this.#write(key, data, "PUT");
    });
  }

  get(key: string): Promise<LeaseEntry | null> {
    return this.#call(() => {
      const entry = this.#live(key);
      if (entry === undefined) return null;
      return { revision: entry.revision, operation: entry.op, string: () => entry.value };
    });
  }

  /** Writes `key` whatever is there (a presence key). */
  put(key: string, data: string): Promise<number> {
    return this.#call(() => this.#write(key, data, "PUT"));
  }

  /** Live keys under `filter` ("prefix.*"); with `listTwice`, each twice, as a NATS listing gives a key rewritten while it runs. */
  listTwice = false;
  keys(filter = "*"): Promise<AsyncIterable<string>> {
    const prefix = filter.replace(/\*$/, "");
    return this.#call(() => {
      const keys = [...this.#entries.keys()].filter((key) => key.startsWith(prefix) && this.#live(key)?.op === "PUT");
      const listed = this.listTwice ? keys.flatMap((key) => [key, key]) : keys;
      return {
        [Symbol.asyncIterator]: () => listed.values()[Symbol.iterator](),
      } as unknown as AsyncIterable<string>;
    });
  }

  status(): Promise<{ ttl: number }> {
    return Promise.resolve({ ttl: this.ttlMs });
  }

  delete(key: string, options?: { previousSeq: number }): Promise<void> {
    return this.#call(() => {
      const entry = this.#live(key);
      if (options !== undefined && (entry?.revision ?? 0) !== options.previousSeq) {
        throw new WrongLastSequence(entry?.revision ?? 0);
      }
      this.#write(key, "", "DEL");
    });
  }
}

function setUp(ttlMs = 5_000) {
  const clock = new ManualClock(0);
  const bucket = new MemoryBucket(clock, ttlMs);
  const lease = (holder: string) =>
    new Lease({ store: bucket, key: leaseKey("desk-1"), holder, ttlMs, safetyMarginMs: 500, clock });
  return { clock, bucket, lease };
}

describe("Lease", () => {
  test("one of two gateways takes it; the other stays a follower until it is released", async () => {
    const { lease } = setUp();
    const a = lease("gw-a");
    const b = lease("gw-b");
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    expect(a.state).toBe("holder");
    expect(b.state).toBe("follower");
    expect(await b.holderNow()).toBe("gw-a");
    await a.release();
    expect(a.state).toBe("follower");
    expect(await a.holderNow()).toBeUndefined();
    expect(await b.tryAcquire()).toBe(true);
  });

  test("the holder may act until the margin before expiry, counted from the sending of its last write", async () => {
    const { clock, lease } = setUp();
    const a = lease("gw-a");
    await a.tryAcquire();
    expect(a.remainingMs()).toBe(4_500);
    clock.advance(2_000);
    expect(await a.renew()).toBe(true);
    expect(a.remainingMs()).toBe(4_500);
    clock.advance(4_499);
    expect(a.state).toBe("holder");
    clock.advance(1);
    expect(a.remainingMs()).toBe(0);
    expect(a.state).toBe("follower"); // it stops acting 500 ms before the bucket can drop its key
  });

  test("a holder cut off from NATS stops acting before anyone else can take the lease", async () => {
    const { clock, bucket, lease } = setUp();
    const a = lease("gw-a");
    const b = lease("gw-b");
    await a.tryAcquire();
    let stoppedAt: number | undefined;
    let takenAt: number | undefined;
    for (let t = 0; t <= 8_000; t += 100) {
      clock.advance(100);
      if (stoppedAt === undefined && a.state === "follower") stoppedAt = clock.monotonic();
      bucket.failNext = new Error("CONNECTION_CLOSED"); // every renewal of a is lost on the way
      await expect(a.renew()).rejects.toThrow("CONNECTION_CLOSED");
      if (takenAt === undefined && (await b.tryAcquire())) takenAt = clock.monotonic();
    }
    expect(stoppedAt).toBe(4_500);
    expect(takenAt).toBe(5_000);
    expect(b.state).toBe("holder");
  });

  test("a renewal after a takeover fails, and the old holder is a follower from then on", async () => {
    const { clock, lease } = setUp();
    const a = lease("gw-a");
    const b = lease("gw-b");
    await a.tryAcquire();
    clock.advance(5_000); // a paused (a long GC, a stopped VM) past the age limit
    expect(await b.tryAcquire()).toBe(true);
    expect(await a.renew()).toBe(false);
    expect(a.state).toBe("follower");
    await a.release(); // releasing a lease it lost leaves the new holder's key alone
    expect(await b.holderNow()).toBe("gw-b");
    expect(await b.renew()).toBe(true);
  });

  test("a create whose answer was lost is confirmed by a write on its revision, not left to expire", async () => {
    const { clock, bucket, lease } = setUp();
    const a = lease("gw-a");
    bucket.loseNextAnswer = true;
    await expect(a.tryAcquire()).rejects.toThrow("answer was lost");
    expect(a.state).toBe("follower");
    clock.advance(1_000);
    expect(await a.tryAcquire()).toBe(true);
    expect(a.remainingMs()).toBe(4_500); // counted from the confirming write, not from the lost create
    expect(await lease("gw-b").tryAcquire()).toBe(false);
  });

  test("refuses settings that leave no time to act", () => {
    const { bucket } = setUp();
    expect(() => new Lease({ store: bucket, key: "k", holder: "h", ttlMs: 0 })).toThrow(RangeError);
    expect(() => new Lease({ store: bucket, key: "k", holder: "h", ttlMs: 1_000, safetyMarginMs: 1_000 })).toThrow(
      RangeError,
    );
    expect(new Lease({ store: bucket, key: "k", holder: "h", ttlMs: 5_000 }).remainingMs()).toBe(0);
  });
});

describe("leaseKey", () => {
  test("is a valid KV key for any account name, and distinct names get distinct keys", () => {
    expect(leaseKey("desk-1")).toBe("lease.desk-1");
    expect(leaseKey("desk_1")).toBe("lease.desk_5F1");
    expect(leaseKey("desk.1 é")).toBe("lease.desk_2E1_20_C3_A9");
    const names = ["a_5F", "a_", "a.", "a-", "A", "a"];
    expect(new Set(names.map(leaseKey)).size).toBe(names.length);
    for (const name of names) expect(leaseKey(name)).toMatch(/^lease\.[-_=A-Za-z0-9]+$/);
  });
});

describe("LeaseKeeper's count of the live gateways", () => {
  test("counts each gateway once when the listing gives a key twice (a presence key rewritten while it runs)", async () => {
    const bucket = new MemoryBucket(new ManualClock(0), 5_000);
    bucket.listTwice = true;
    const keeper = new LeaseKeeper({
      bucket,
      gatewayId: "gw-alone",
      accounts: ["desk-1", "desk-2"],
      ttlMs: 5_000,
      renewEveryMs: 50,
      events: { gained: () => undefined, lost: () => undefined, releasing: () => Promise.resolve() },
    });
    await keeper.start();
    const deadline = performance.now() + 2_000;
    while (keeper.held.length < 2 && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    // Alone, it leads both accounts: a count of 2 would have given it a share of 1.
    expect(keeper.liveGateways).toBe(1);
    expect(keeper.held).toHaveLength(2);
    await keeper.stop({ release: false });
  });
});
