/**
 * Sharding of the accounts' leases over gateways (docs/cluster.md, "Sharding") on a real nats-server: each
 * gateway leads at most ⌈accounts / live gateways⌉, every account has one leader, and the leases move when a
 * gateway joins, leaves or dies.
 */
import { Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { LeaseKeeper } from "../../src/gateway/cluster/lease-keeper.js";
import { type NatsServer, startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";
import { waitFor } from "../helpers/wait-for.js";

const TTL_MS = 1_500;
const ACCOUNTS = ["desk-a", "desk-b", "desk-c"];
const connections: NatsConnection[] = [];
const keepers: LeaseKeeper[] = [];

afterEach(async () => {
  await Promise.all(keepers.splice(0).map((keeper) => keeper.stop({ release: false })));
  await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
  await stopAllNatsServers();
});

/** A gateway's keeper on its own connection, recording what it was told. */
async function keeper(server: NatsServer, gatewayId: string) {
  const nc = await connect({ servers: server.url, maxReconnectAttempts: 0 });
  connections.push(nc);
  const bucket = await new Kvm(nc).create("rcc-leases", { ttl: TTL_MS, history: 1 });
  const told: string[] = [];
  const keeper = new LeaseKeeper({
    bucket,
    gatewayId,
    accounts: ACCOUNTS,
    ttlMs: TTL_MS,
    renewEveryMs: 150,
    safetyMarginMs: 300,
    events: {
      gained: (account) => told.push(`gained ${account}`),
      lost: (account) => told.push(`lost ${account}`),
      releasing: (account) => {
        told.push(`releasing ${account}`);
        return Promise.resolve();
      },
    },
  });
  keepers.push(keeper);
  return { keeper, told };
}

/** Who may act for each account now, by gateway; throws if two may act for one. */
function leaders(gateways: Record<string, LeaseKeeper>): Record<string, string> {
  const byAccount: Record<string, string> = {};
  for (const account of ACCOUNTS) {
    const acting = Object.entries(gateways).filter(([, k]) => k.lease(account)?.state === "holder");
    if (acting.length > 1)
      throw new Error(`${account} has ${acting.length} leaders: ${acting.map(([n]) => n).join(", ")}`);
    if (acting[0] !== undefined) byAccount[account] = acting[0][0];
  }
  return byAccount;
}

/** Waits until every account has a leader and each gateway leads at most `share`; checks no double leader meanwhile. */
async function spread(gateways: Record<string, LeaseKeeper>, share: number, timeoutMs = 5_000): Promise<void> {
  await waitFor(
    () => {
      const now = leaders(gateways);
      const counts = Object.keys(gateways).map((name) => Object.values(now).filter((leader) => leader === name).length);
      return Object.keys(now).length === ACCOUNTS.length && counts.every((count) => count <= share);
    },
    timeoutMs,
    () => `leases spread at most ${share} each: ${JSON.stringify(leaders(gateways))}`,
    20,
  );
}

describe("leases over several gateways", () => {
  test("three accounts over two gateways spread 2 and 1; when one stops, the other leads all three", async () => {
    const server = await startNatsServer();
    const a = await keeper(server, "gw-a");
    const b = await keeper(server, "gw-b");
    await Promise.all([a.keeper.start(), b.keeper.start()]);
    await spread({ a: a.keeper, b: b.keeper }, 2);
    expect(a.keeper.liveGateways).toBe(2);
    expect(a.keeper.held.length + b.keeper.held.length).toBe(3);
    const handedOver = [...b.keeper.held];
    await b.keeper.stop(); // a clean stop: the accounts are released at once
    expect(b.told.filter((line) => line.startsWith("releasing")).sort()).toEqual(
      handedOver.map((account) => `releasing ${account}`).sort(),
    );
    for (const account of handedOver) {
      expect(await b.keeper.lease(account)?.holderNow()).not.toBe("gw-b"); // deleted, not left to expire
    }
    await spread({ a: a.keeper }, 3);
    expect(a.keeper.held.sort()).toEqual([...ACCOUNTS].sort());
  });

  test("a gateway that dies is replaced after the lease time, and a new one takes its share back", async () => {
    const server = await startNatsServer();
    const a = await keeper(server, "gw-a");
    const b = await keeper(server, "gw-b");
    await Promise.all([a.keeper.start(), b.keeper.start()]);
    await spread({ a: a.keeper, b: b.keeper }, 2);
    await b.keeper.stop({ release: false }); // killed: its leases and its presence expire by age
    const diedAt = performance.now();
    const bMayActMs = Math.max(...ACCOUNTS.map((account) => b.keeper.lease(account)?.remainingMs() ?? 0));
    await spread({ a: a.keeper }, 3, TTL_MS * 3);
    const takeoverMs = performance.now() - diedAt;
    expect(takeoverMs).toBeGreaterThanOrEqual(bMayActMs); // a took over only once b could no longer act
    expect(takeoverMs).toBeLessThan(TTL_MS * 3);
    const c = await keeper(server, "gw-c"); // a replacement joins
    await c.keeper.start();
    await spread({ a: a.keeper, c: c.keeper }, 2, TTL_MS * 3);
    expect(c.keeper.held.length).toBeGreaterThanOrEqual(1);
    expect(a.told.some((line) => line.startsWith("releasing"))).toBe(true); // a gave one up for c
  });

  test("three gateways lead one account each", async () => {
    const server = await startNatsServer();
    const gateways = await Promise.all(["gw-1", "gw-2", "gw-3"].map((id) => keeper(server, id)));
    await Promise.all(gateways.map(({ keeper: k }) => k.start()));
    await spread(Object.fromEntries(gateways.map(({ keeper: k }, index) => [String(index), k])), 1, TTL_MS * 3);
    expect(gateways.map(({ keeper: k }) => k.held.length)).toEqual([1, 1, 1]);
  });
});
