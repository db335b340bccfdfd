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
import { jetstream } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { clusterSubjects } from "../../src/gateway/cluster/subjects.js";
import { type NatsServer, startNatsCluster, startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { closeAllSse, openSse } from "../helpers/sse.js";
import { waitFor } from "../helpers/wait-for.js";

const key = generateApiKey();
const simulators: RunningSimulator[] = [];
const gateways: RunningGateway[] = [];
const proxies: TcpProxy[] = [];
const connections: NatsConnection[] = [];

afterEach(async () => {
  closeAllSse();
  // A gateway cut off from NATS stops all the same, within its bounded steps.
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(connections.splice(0).map((nc) => nc.close()));
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
  await stopAllNatsServers();
});

async function gateway(
  nats: NatsServer | readonly string[],
  sim: RunningSimulator,
  gatewayId: string,
  extra: Partial<GatewayOptions> = {},
): Promise<RunningGateway> {
  const servers = "url" in nats ? [nats.url] : [...nats];
  const started = await startGateway({
    accounts: [{ name: "main", rics: ["*"], contributor: { ...simContributor(sim), backoff: { initialDelayMs: 50 } } }],
    apiKeys: [{ name: "desk", sha256: key.sha256 }],
    port: 0,
    nats: { servers, gatewayId, leaseTtlMs: 2_000 },
    ...extra,
  });
  gateways.push(started);
  return started;
}

/** Posts `count` items a batch every 20 ms to `url` until stop(); what was answered 202, in order. */
function steadyProducer(url: () => string, ric: (n: number) => string = (n) => `TRCCTEST0${(n % 5) + 1}`) {
  const accepted: { id: string; ric: string; bid: number }[] = [];
  let stopped = false;
  let n = 0;
  const done = (async () => {
    while (!stopped) {
      const batch = Array.from({ length: 5 }, () => {
        n += 1;
        return { id: `p-${n}`, ric: ric(n), fields: { BID: n } };
      });
      const answer = await httpCall(`${url()}/v1/contributions`, { bearer: key.key, body: JSON.stringify(batch) });
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      for (const item of batch) accepted.push({ id: item.id, ric: item.ric, bid: item.fields.BID });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    accepted,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/**
 * Stops `producer`, then expects every item it had accepted to get exactly one final outcome (read from
 * `gateway`'s outcome feed) and RCC (the simulator) to hold the last accepted value of every RIC.
 */
async function expectEveryItemSettled(
  producer: ReturnType<typeof steadyProducer>,
  gateway: RunningGateway,
  sim: RunningSimulator,
  timeoutMs: number,
): Promise<void> {
  await producer.stop();
  const stream = await openSse(`${gateway.url}/v1/outcomes?after=0`, { Authorization: `Bearer ${key.key}` });
  await expectOneFinalOutcomeEach(
    stream,
    producer.accepted.map((item) => item.id),
    timeoutMs,
  );
  const last = new Map<string, number>();
  for (const item of producer.accepted) last.set(item.ric, item.bid);
  for (const [ric, bid] of last) expect(sim.state.rics.get(ric)?.fields.BID, ric).toBe(bid);
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

  test("a leader cut off from NATS stops posting before another gateway takes over, and never two sessions at once", async () => {
    const nats = await startNatsServer();
    const proxy = await startTcpProxy(nats.port);
    proxies.push(proxy);
    const sim = await startSimulator({});
    simulators.push(sim);
    const a = await gateway([proxy.url], sim, "gw-a");
    await waitFor(() => a.ready() && a.cluster!().accounts[0]!.leader, 10_000, "a leads");
    const b = await gateway(nats, sim, "gw-b");
    const producer = steadyProducer(() => b.url);
    await waitFor(
      () => producer.accepted.length >= 200 && sim.state.counters.acks >= 100,
      10_000,
      "a stream through a",
    );
    proxy.cut(); // a's link to NATS goes silent: its renewals hang, nothing tells it the lease is gone
    await waitFor(() => b.cluster!().accounts[0]!.leader, 10_000, "b leads");
    await waitFor(() => producer.accepted.length >= 600, 10_000, "the stream goes on through b");
    await expectEveryItemSettled(producer, b, sim, 30_000);

    // The simulator's record: a's session wrote its last post before b's session logged in.
    const records = sim.state.recordedMessages.toArray() as { atMs: number; connectionId: string; message: any }[];
    const logins = records.filter((r) => r.message.Domain === "Login" && r.message.Key !== undefined);
    const aConnection = logins[0]!.connectionId;
    const bLogin = logins.find((r) => r.connectionId !== aConnection)!;
    const aPosts = records.filter((r) => r.connectionId === aConnection && r.message.Type === "Post");
    expect(aPosts.length).toBeGreaterThan(0);
    expect(aPosts.at(-1)!.atMs).toBeLessThan(bLogin.atMs);
    expect(sim.state.loginsByUser.get(sim.accounts[0]!.user)?.max).toBe(1);
    expect(a.cluster!().accounts[0]!.leader).toBe(false);
    // Its NATS link is silent: once its pings go unanswered it is not ready (a load balancer sends nothing to it).
    await waitFor(async () => (await httpCall(`${a.url}/readyz`)).status === 503, 10_000, "a not ready");
    // Cut off, it still stops in bounded time (what it cannot tell NATS, the leases' age limit does).
    const closing = performance.now();
    await a.close();
    gateways.splice(gateways.indexOf(a), 1);
    expect(performance.now() - closing).toBeLessThan(15_000);
  }, 60_000);

  test("three NATS nodes with replicas 3: killing one mid-stream loses nothing accepted", async () => {
    const nodes = await startNatsCluster(3);
    const servers = nodes.map((node) => node.url);
    const sim = await startSimulator({});
    simulators.push(sim);
    const extra = { nats: { servers, gatewayId: "", leaseTtlMs: 2_000, replicas: 3 } };
    const { createCliLogger } = await import("../../src/cli/logging.js");
    const dbg = (name: string) =>
      process.env.DEBUG_CLUSTER ? { log: createCliLogger("info", "json").child({ gw: name }) } : {};
    const a = await gateway(servers, sim, "gw-a", { nats: { ...extra.nats, gatewayId: "gw-a" }, ...dbg("a") });
    const b = await gateway(servers, sim, "gw-b", { nats: { ...extra.nats, gatewayId: "gw-b" }, ...dbg("b") });
    await waitFor(() => a.ready() && b.ready(), 20_000, "both ready");
    let turn = 0;
    const producer = steadyProducer(() => [a, b][turn++ % 2]!.url);
    await waitFor(() => producer.accepted.length >= 300, 20_000, "300 accepted");
    await nodes[0]!.kill(); // one of three: the streams keep a quorum
    const atKill = producer.accepted.length;
    await waitFor(() => producer.accepted.length >= atKill + 300, 30_000, "300 more accepted after the kill");
    await expectEveryItemSettled(producer, b, sim, 40_000);
    expect(sim.state.loginsByUser.get(sim.accounts[0]!.user)?.max).toBe(1);
  }, 120_000);

  test("three accounts over two gateways: leases spread 2 and 1; when one gateway stops, the other leads all three and every account goes on", async () => {
    const nats = await startNatsServer();
    const users = ["GE-A-00000001-1-0001", "GE-A-00000002-1-0002", "GE-A-00000003-1-0003"];
    const sim = await startSimulator({ accounts: users.map((user) => ({ user, password: `pw-${user}` })) });
    simulators.push(sim);
    const accounts = users.map((user, index) => ({
      name: `desk-${"abc"[index]!}`,
      rics: [`TRCCTEST${"ABC"[index]!}*`],
      contributor: {
        urls: sim.wsUrls,
        authUrl: sim.authUrl,
        user,
        password: `pw-${user}`,
        clientId: user,
        backoff: { initialDelayMs: 50 },
      },
    }));
    const a = await gateway(nats, sim, "gw-a", { accounts });
    const b = await gateway(nats, sim, "gw-b", { accounts });
    const led = (g: RunningGateway) => g.cluster!().accounts.filter((entry) => entry.leader).length;
    await waitFor(() => led(a) + led(b) === 3 && Math.max(led(a), led(b)) === 2, 15_000, "leases spread 2 and 1");
    const producer = steadyProducer(
      () => b.url,
      (n) => `TRCCTEST${"ABC"[n % 3]!}${n % 2}`,
    );
    await waitFor(() => producer.accepted.length >= 150, 10_000, "150 accepted");
    await a.close();
    gateways.splice(gateways.indexOf(a), 1);
    await waitFor(() => led(b) === 3, 10_000, "b leads all three");
    await waitFor(() => producer.accepted.length >= 450, 10_000, "450 accepted");
    await expectEveryItemSettled(producer, b, sim, 30_000);
    for (const user of users) expect(sim.state.loginsByUser.get(user)?.max, user).toBe(1);
  }, 60_000);

  test("a producer publishing straight to NATS, bad messages mixed in: good ones are acknowledged, each bad one gets a failed outcome with the reason, and the stream goes on", async () => {
    const nats = await startNatsServer();
    const sim = await startSimulator({});
    simulators.push(sim);
    const a = await gateway(nats, sim, "gw-a", {
      accounts: [{ name: "main", rics: ["TRCCTEST*"], contributor: simContributor(sim) }],
    });
    await waitFor(() => a.ready() && a.cluster!().accounts[0]!.leader, 10_000, "a leads");
    const nc = await connect({ servers: nats.url });
    connections.push(nc);
    const js = jetstream(nc);
    const subjects = clusterSubjects();
    const good: string[] = [];
    for (let n = 1; n <= 30; n++) {
      await js.publish(subjects.inbound("main", "TRCCTEST.N"), JSON.stringify({ id: `d-${n}`, fields: { BID: n } }), {
        msgID: `d-${n}`,
      });
      good.push(`d-${n}`);
      if (n === 10) await js.publish(subjects.inbound("main", "TRCCTEST.N"), "not json", { msgID: "bad-json" });
      if (n === 15) {
        await js.publish(subjects.inbound("main", "OTHER.RIC"), JSON.stringify({ id: "not-ours", fields: { BID: 1 } }));
      }
      if (n === 20) {
        await js.publish(
          subjects.inbound("main", "TRCCTEST.N"),
          JSON.stringify({ fields: { BID: "x".repeat(10) }, id: "bad-field", extra: 1 }),
          {
            msgID: "bad-field",
          },
        );
      }
    }
    const lookUp = (id: string) => httpCall(`${a.url}/v1/contributions/${id}`, { bearer: key.key });
    await waitFor(async () => (await lookUp("d-30")).body.state === "acked", 10_000, "the last good one acked");
    for (const id of good) expect((await lookUp(id)).body.state, id).toBe("acked");
    expect(sim.state.rics.get("TRCCTEST.N")?.fields.BID).toBe(30);
    await waitFor(async () => (await lookUp("bad-json")).body.state === "failed", 5_000, "bad-json failed");
    expect((await lookUp("bad-json")).body.text).toMatch(/not JSON/);
    await waitFor(async () => (await lookUp("bad-field")).body.state === "failed", 5_000, "bad-field failed");
    expect((await lookUp("bad-field")).body.text).toMatch(/extra/);
    // A RIC the account's patterns do not cover: refused as HTTP would refuse it, never posted.
    await waitFor(async () => (await lookUp("not-ours")).body.state === "failed", 5_000, "not-ours failed");
    expect((await lookUp("not-ours")).body).toMatchObject({ ric: "OTHER.RIC" });
    expect((await lookUp("not-ours")).body.text).toMatch(/does not contribute "OTHER\.RIC"/);
    expect(sim.state.rics.has("OTHER.RIC")).toBe(false);
  }, 30_000);

  test("wait=ack through a gateway that does not lead the account answers as soon as the items are final, even when the outcome arrives while the items are being published", async () => {
    const nats = await startNatsServer();
    const sim = await startSimulator({ maxMessagesPerSecond: 100_000 });
    simulators.push(sim);
    const a = await gateway(nats, sim, "gw-a");
    await waitFor(() => a.ready() && a.cluster!().accounts[0]!.leader, 10_000, "a leads");
    const b = await gateway(nats, sim, "gw-b");
    await waitFor(() => b.ready(), 10_000, "b ready");
    // Many at once, so that the leader often records an outcome before b's accept has returned.
    const slowest: number[] = [];
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, async (_, index) => {
          const started = performance.now();
          const answer = await post(
            b.url,
            { ric: `TRCCTEST0${(index % 9) + 1}`, fields: { BID: round * 100 + index } },
            "ack",
          );
          return { answer, ms: performance.now() - started };
        }),
      );
      for (const { answer } of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      slowest.push(Math.max(...answers.map((entry) => entry.ms)));
    }
    // The wait's own limit is 10 s: an outcome told before the wait began would only be seen at that limit.
    expect(Math.max(...slowest)).toBeLessThan(5_000);
  }, 60_000);
});
