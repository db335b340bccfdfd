/**
 * The inbound stream on a three-node NATS cluster (docs/cluster.md, "The inbound stream"): replicas 3, and a
 * node killed mid-stream — the stream's leader, the worst case — loses nothing that was acknowledged and stores
 * nothing twice, because a publish that meets the leader change is retried with the same `Nats-Msg-Id`.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { ensureInboundStream, type InboundItem, publishItem } from "../../src/gateway/cluster/inbound-stream.js";
import { clusterSubjects } from "../../src/gateway/cluster/subjects.js";
import { startNatsCluster, stopAllNatsServers } from "../helpers/nats-server.js";
import { waitFor } from "../helpers/wait-for.js";

const subjects = clusterSubjects();
const connections: NatsConnection[] = [];

afterEach(async () => {
  await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
  await stopAllNatsServers();
});

function item(n: number): InboundItem {
  return { id: `g-${n}`, account: "desk-1", ric: `TRCCTEST${n % 10}`, fields: { BID: n } };
}

describe("the inbound stream on three NATS nodes", () => {
  test("killing the stream leader mid-stream loses no acknowledged item and stores none twice", {
    timeout: 60_000,
  }, async () => {
    const nodes = await startNatsCluster(3);
    const nc = await connect({
      servers: nodes.map((node) => node.url),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    connections.push(nc);
    const jsm = await jetstreamManager(nc, { checkAPI: false }); // the API answers once a meta leader is elected
    // Stream creation needs a meta leader: the cluster elects one within a second or so of starting.
    let stream = "";
    await waitFor(
      async () => {
        stream = await ensureInboundStream(jsm, subjects, { replicas: 3 }).catch(() => "");
        return stream !== "";
      },
      15_000,
      "the replicated stream to be created",
      200,
    );
    const js = jetstream(nc);
    const acknowledged = new Set<number>();
    const leaderName = (await jsm.streams.info(stream)).cluster?.leader;
    const leader = nodes.find((node) => node.name === leaderName);
    expect(leader).toBeDefined();
    for (let n = 1; n <= 600; n++) {
      if (n === 200) await leader?.kill(); // mid-stream
      // A retry of a publish the old leader had stored answers `duplicate`: acknowledged all the same.
      await publishItem(js, subjects, item(n), { retryForMs: 30_000 });
      acknowledged.add(n);
    }
    expect(acknowledged.size).toBe(600);
    await waitFor(
      async () => (await jsm.streams.info(stream)).state.messages === 600,
      15_000,
      "600 messages in the stream",
      200,
    );
    const info = await jsm.streams.info(stream);
    expect(info.state.messages).toBe(600); // none lost, none twice
    expect(info.cluster?.leader).not.toBe(leaderName);
    // A replay of an acknowledged item after the failover is still known to the stream.
    expect((await publishItem(js, subjects, item(100))).duplicate).toBe(true);
  });
});
