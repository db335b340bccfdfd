/**
 * The account lease (docs/cluster.md, "The lease") on a real nats-server's KV bucket: create-if-absent,
 * compare-and-set renewal, expiry by the bucket's age limit, and fencing — at no moment may two gateways act
 * as the holder. Two gateways are two NATS connections.
 */
import { type KV, Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { Lease, leaseKey } from "../../src/gateway/cluster/lease.js";
import { type NatsServer, startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";
import { waitFor } from "../helpers/wait-for.js";

const TTL_MS = 1_500;
const connections: NatsConnection[] = [];

afterEach(async () => {
  await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
  await stopAllNatsServers();
});

/** A gateway's view: its own connection, the leases bucket, and its lease of one account. */
async function gateway(server: NatsServer, holder: string): Promise<{ nc: NatsConnection; kv: KV; lease: Lease }> {
  const nc = await connect({ servers: server.url, maxReconnectAttempts: 0 });
  connections.push(nc);
  const kv = await new Kvm(nc).create("rcc-leases", { ttl: TTL_MS, history: 1 });
  const lease = new Lease({ store: kv, key: leaseKey("desk-1"), holder, ttlMs: TTL_MS, safetyMarginMs: 300 });
  return { nc, kv, lease };
}

/**
 * Polls every gateway's lease every `stepMs` (renewing the holder's, the others trying to take it) until
 * `untilMs`, and records at each step who may act; `cut` names gateways whose calls now fail.
 */
async function watchLeases(
  gateways: Record<string, Lease>,
  options: { untilMs: number; stepMs: number; renews: (name: string) => boolean },
): Promise<{ overlaps: number; holders: string[] }> {
  const holders: string[] = [];
  let overlaps = 0;
  const start = performance.now();
  while (performance.now() - start < options.untilMs) {
    for (const [name, lease] of Object.entries(gateways)) {
      if (!options.renews(name)) continue;
      await lease.tryAcquire().catch(() => false); // a cut connection throws: that gateway just keeps counting down
    }
    const acting = Object.entries(gateways)
      .filter(([, lease]) => lease.state === "holder")
      .map(([name]) => name);
    if (acting.length > 1) overlaps += 1;
    const current = acting[0] ?? "-";
    if (holders.at(-1) !== current) holders.push(current);
    await new Promise((resolve) => setTimeout(resolve, options.stepMs));
  }
  return { overlaps, holders };
}

describe("the lease on nats-server", () => {
  test("one gateway of three takes it and keeps it while it renews", async () => {
    const server = await startNatsServer();
    const [a, b, c] = await Promise.all(["gw-a", "gw-b", "gw-c"].map((name) => gateway(server, name)));
    const results = await Promise.all([a, b, c].map((gw) => gw!.lease.tryAcquire()));
    expect(results.filter(Boolean)).toHaveLength(1);
    const { overlaps, holders } = await watchLeases(
      { a: a!.lease, b: b!.lease, c: c!.lease },
      { untilMs: TTL_MS * 3, stepMs: 100, renews: () => true },
    );
    expect(overlaps).toBe(0);
    expect(holders).toHaveLength(1); // three lease times, one holder throughout
  });

  test("a holder that stops renewing is replaced after the age limit, and stopped acting before that", async () => {
    const server = await startNatsServer();
    const a = await gateway(server, "gw-a");
    const b = await gateway(server, "gw-b");
    expect(await a.lease.tryAcquire()).toBe(true);
    const lastWriteAt = performance.now();
    const { overlaps, holders } = await watchLeases(
      { a: a.lease, b: b.lease },
      { untilMs: TTL_MS * 2.5, stepMs: 50, renews: (name) => name === "b" }, // a is paused, or dead
    );
    expect(overlaps).toBe(0);
    expect([holders[0], holders.at(-1)]).toEqual(["a", "b"]); // a, then (after a gap, if a poll saw it) b
    expect(b.lease.state).toBe("holder");
    expect(await a.lease.renew()).toBe(false); // back from its pause, a learns it lost the lease
    expect(await b.lease.holderNow()).toBe("gw-b");
    expect(performance.now() - lastWriteAt).toBeGreaterThan(TTL_MS);
  });

  test("a holder whose NATS connection is cut stops acting before another gateway holds the lease", async () => {
    const server = await startNatsServer();
    const a = await gateway(server, "gw-a");
    const b = await gateway(server, "gw-b");
    expect(await a.lease.tryAcquire()).toBe(true);
    await a.nc.close(); // the partition: every call of a fails from now
    await expect(a.lease.renew()).rejects.toThrow();
    const { overlaps, holders } = await watchLeases(
      { a: a.lease, b: b.lease },
      { untilMs: TTL_MS * 2.5, stepMs: 50, renews: () => true },
    );
    expect(overlaps).toBe(0);
    expect([holders[0], holders.at(-1)]).toEqual(["a", "b"]);
  });

  test("a released lease is taken at once, without waiting for the age limit", async () => {
    const server = await startNatsServer();
    const a = await gateway(server, "gw-a");
    const b = await gateway(server, "gw-b");
    expect(await a.lease.tryAcquire()).toBe(true);
    await a.lease.release();
    const releasedAt = performance.now();
    await waitFor(() => b.lease.tryAcquire(), 1_000, "b to take the released lease", 20);
    expect(performance.now() - releasedAt).toBeLessThan(TTL_MS / 2);
    expect(await a.lease.holderNow()).toBe("gw-b");
  });
});
