/**
 * Idempotency keys across gateways (docs/cluster.md, "Idempotent requests") on a real nats-server: of gateways
 * receiving one key at once exactly one claims it, the others get its ids; another body under the key is a
 * conflict; a claim is completed on its revision.
 */
import { Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { claimKey, RequestClaims } from "../../src/gateway/cluster/request-claims.js";
import { startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";

const connections: NatsConnection[] = [];

afterEach(async () => {
  await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
  await stopAllNatsServers();
});

async function gateways(count: number): Promise<RequestClaims[]> {
  const server = await startNatsServer();
  return Promise.all(
    Array.from({ length: count }, async () => {
      const nc = await connect({ servers: server.url, maxReconnectAttempts: 0 });
      connections.push(nc);
      return new RequestClaims(await new Kvm(nc).create("rcc-requests", { ttl: 60_000, history: 1 }));
    }),
  );
}

describe("request claims", () => {
  test("of five gateways claiming one key at once, one wins and the others replay its ids", async () => {
    const claims = await gateways(5);
    const results = await Promise.all(
      claims.map((claim, index) =>
        claim.claim({ key: "order-17 / desk é", bodyHash: "h1", ids: [`g-${index}-a`, null, `g-${index}-b`], atMs: 1 }),
      ),
    );
    const winners = results.filter((result) => result.kind === "claimed");
    expect(winners).toHaveLength(1);
    const winner = results.indexOf(winners[0]!);
    for (const result of results.filter((r) => r.kind !== "claimed")) {
      expect(result).toEqual({
        kind: "replay",
        claim: {
          key: "order-17 / desk é",
          bodyHash: "h1",
          ids: [`g-${winner}-a`, null, `g-${winner}-b`],
          atMs: 1,
          complete: false,
        },
      });
    }
  });

  test("a claim is completed on its revision; another body under the key is a conflict", async () => {
    const [a, b] = await gateways(2);
    const claim = { key: "k1", bodyHash: "h1", ids: ["g-1"], atMs: 5 };
    const result = await a!.claim(claim);
    expect(result.kind).toBe("claimed");
    await a!.complete(claim, (result as { revision: number }).revision);
    expect(await b!.get("k1")).toEqual({ ...claim, complete: true });
    expect(await b!.claim({ ...claim, bodyHash: "h2", ids: ["g-2"] })).toEqual({
      kind: "conflict",
      claim: { ...claim, complete: true },
    });
    expect(await b!.get("never-used")).toBeUndefined();
    expect(claimKey("k1")).toMatch(/^req\.[0-9a-f]{64}$/);
  });
});
