/**
 * `rcc gateway` in cluster mode (docs/cluster.md) with gateways in this process on one real nats-server: items
 * accepted by any gateway are sent by the account's one leader, every outcome is seen by every gateway, and the
 * account moves to another gateway when its leader stops.
 */
import { afterEach, describe, expect, test } from "vitest";
import { type GatewayOptions, type RunningGateway, generateApiKey, startGateway } from "../../src/gateway/index.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { expectOneFinalOutcomeEach, simContributor } from "../helpers/gateway.js";
import { httpCall } from "../helpers/http.js";
import { type NatsServer, startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";
import { closeAllSse, openSse } from "../helpers/sse.js";
import { waitFor } from "../helpers/wait-for.js";

const key = generateApiKey();
const simulators: RunningSimulator[] = [];
const gateways: RunningGateway[] = [];

afterEach(async () => {
  closeAllSse();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
  await stopAllNatsServers();
});

async function gateway(
  nats: NatsServer,
  sim: RunningSimulator,
  gatewayId: string,
  extra: Partial<GatewayOptions> = {},
): Promise<RunningGateway> {
  const started = await startGateway({
    accounts: [{ name: "main", rics: ["*"], contributor: { ...simContributor(sim), backoff: { initialDelayMs: 50 } } }],
    apiKeys: [{ name: "desk", sha256: key.sha256 }],
    port: 0,
    nats: { servers: [nats.url], gatewayId, leaseTtlMs: 2_000 },
    ...extra,
  });
  gateways.push(started);
  return started;
}

const post = (url: string, body: unknown, wait = "accepted") =>
  httpCall(`${url}/v1/contributions?wait=${wait}`, { bearer: key.key, body: JSON.stringify(body) });

describe("rcc gateway --nats", () => {
  test("two gateways, one account: one leads and logs in; items posted to either are acknowledged, and both answer for them", async () => {
    const nats = await startNatsServer();
    const sim = await startSimulator({});
    simulators.push(sim);
    const a = await gateway(nats, sim, "gw-a");
    const b = await gateway(nats, sim, "gw-b");
    await waitFor(
      () => a.ready() && b.ready() && (a.cluster!().accounts[0]!.leader || b.cluster!().accounts[0]!.leader),
      10_000,
      "a leader",
    );
    const leaders = [a, b].filter((g) => g.cluster!().accounts[0]!.leader);
    expect(leaders).toHaveLength(1);

    const viaA = await post(a.url, { ric: "TRCCTEST01", fields: { BID: 1 } }, "ack");
    expect(viaA.status).toBe(200);
    expect(viaA.body.items[0]).toMatchObject({ state: "acked" });
    const viaB = await post(
      b.url,
      [
        { ric: "TRCCTEST01", fields: { BID: 2 } },
        { ric: "TRCCTEST02", fields: { ASK: 3 } },
      ],
      "ack",
    );
    expect(viaB.status).toBe(200);
    expect(viaB.body.items.map((item: { state: string }) => item.state)).toEqual(["acked", "acked"]);
    expect(sim.state.rics.get("TRCCTEST01")?.fields.BID).toBe(2);

    // Either gateway answers for an item the other accepted.
    const id = viaA.body.items[0].id as string;
    await waitFor(
      async () => (await httpCall(`${b.url}/v1/contributions/${id}`, { bearer: key.key })).status === 200,
      5_000,
      "b knows a's item",
    );
    const fromB = await httpCall(`${b.url}/v1/contributions/${id}`, { bearer: key.key });
    expect(fromB.body).toMatchObject({ id, state: "acked" });
    expect(sim.state.loginsByUser.get(sim.accounts[0]!.user)?.max).toBe(1);

    await waitFor(() => a.cluster!().liveGateways === 2, 5_000, "a counts both gateways");
    const ready = await httpCall(`${a.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.cluster).toMatchObject({ gatewayId: "gw-a", connected: true, liveGateways: 2 });
    const metrics = await httpCall(`${a.url}/metrics`);
    expect(metrics.text).toMatch(/rcc_gateway_cluster_leader\{account="main"\} [01]/);
  }, 30_000);

  test("the leader stops: the other gateway takes the account and sends what was left; every item has one final outcome", async () => {
    const nats = await startNatsServer();
    const sim = await startSimulator({ maxMessagesPerSecond: 200 });
    simulators.push(sim);
    const a = await gateway(nats, sim, "gw-a");
    await waitFor(() => a.ready() && a.cluster!().accounts[0]!.leader, 10_000, "a leads");
    const b = await gateway(nats, sim, "gw-b");
    const stream = await openSse(`${b.url}/v1/outcomes?after=0`, { Authorization: `Bearer ${key.key}` });
    const items = Array.from({ length: 600 }, (_, index) => ({
      ric: `TRCCTEST0${(index % 5) + 1}`,
      fields: { BID: index },
    }));
    const accepted = await post(a.url, items);
    expect(accepted.status).toBe(202);
    const ids = (accepted.body.items as { id: string }[]).map((item) => item.id);
    await new Promise((resolve) => setTimeout(resolve, 500)); // some sent by a
    await a.close();
    gateways.splice(gateways.indexOf(a), 1);
    await waitFor(() => b.cluster!().accounts[0]!.leader, 10_000, "b leads");
    await expectOneFinalOutcomeEach(stream, ids, 30_000);
    for (let index = 1; index <= 5; index++) {
      const ric = `TRCCTEST0${index}`;
      const last = items.filter((item) => item.ric === ric).at(-1)!;
      expect(sim.state.rics.get(ric)?.fields.BID, ric).toBe(last.fields.BID);
    }
    expect(sim.state.loginsByUser.get(sim.accounts[0]!.user)?.max).toBe(1);
  }, 60_000);
});
