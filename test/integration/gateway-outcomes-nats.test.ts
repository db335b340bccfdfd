/**
 * The outcomes stream (docs/cluster.md, "The outcomes stream") on a real nats-server: one final outcome per
 * item however often it is recorded, looked up by id from any gateway, and a feed whose cursor survives a
 * restart of NATS.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import {
  ensureOutcomeStream,
  followOutcomes,
  lookUpOutcome,
  type OutcomeEntry,
  recordOutcome,
} from "../../src/gateway/cluster/outcome-stream.js";
import { clusterSubjects } from "../../src/gateway/cluster/subjects.js";
import type { StoredItem } from "../../src/gateway/outbox/outbox.js";
import { type NatsServer, startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";

const subjects = clusterSubjects();
const connections: NatsConnection[] = [];

afterEach(async () => {
  await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
  await stopAllNatsServers();
});

async function gateway(server: NatsServer) {
  const nc = await connect({ servers: server.url, maxReconnectAttempts: 0 });
  connections.push(nc);
  const jsm = await jetstreamManager(nc);
  return { nc, js: jetstream(nc), jsm, stream: await ensureOutcomeStream(jsm, subjects) };
}

function acked(n: number, postId = n): StoredItem {
  return {
    seq: n,
    id: `g-${n}.x`, // ids may hold '.', which a subject token may not: it is escaped
    account: "desk-1",
    ric: "TRCCTEST01",
    fields: { BID: n },
    state: "acked",
    acceptedAtMs: 1_000 + n,
    settledAtMs: 2_000 + n,
    postId,
    attempts: 1,
  };
}

/** The first `count` entries of the feed after `after`. */
async function take(client: Awaited<ReturnType<typeof gateway>>, after: number, count: number) {
  const controller = new AbortController();
  const entries: OutcomeEntry[] = [];
  for await (const entry of followOutcomes(client.js, client.stream, after, controller.signal)) {
    entries.push(entry);
    if (entries.length === count) controller.abort();
  }
  return entries;
}

describe("the outcomes stream", () => {
  test("keeps the first outcome of an item; a later one (an item sent twice) is refused and told the first", async () => {
    const server = await startNatsServer();
    const a = await gateway(server);
    const first = await recordOutcome(a.js, a.jsm, a.stream, subjects, acked(1, 7));
    expect(first).toEqual({ recorded: true, cursor: 1 });
    const again = await recordOutcome(a.js, a.jsm, a.stream, subjects, { ...acked(1, 8), settledAtMs: 9_999 });
    expect(again).toEqual({ recorded: false, existing: acked(1, 7) });
    const b = await gateway(server); // another gateway, which never saw the item
    expect(await lookUpOutcome(b.jsm, b.stream, subjects, acked(1).id)).toEqual({ cursor: 1, item: acked(1, 7) });
    expect(await lookUpOutcome(b.jsm, b.stream, subjects, "g-unknown")).toBeUndefined();
  });

  test("feeds outcomes in order from any cursor, also after NATS restarted", async () => {
    const server = await startNatsServer();
    const a = await gateway(server);
    for (let n = 1; n <= 5; n++) await recordOutcome(a.js, a.jsm, a.stream, subjects, acked(n));
    const all = await take(a, 0, 5);
    expect(all.map((entry) => entry.item.id)).toEqual([1, 2, 3, 4, 5].map((n) => acked(n).id));
    expect(all.map((entry) => entry.cursor)).toEqual([1, 2, 3, 4, 5]);
    const cursor = all[2]?.cursor ?? 0;

    await a.nc.close();
    await server.restart(); // the same store: what was recorded is still there
    const b = await gateway(server);
    await recordOutcome(b.js, b.jsm, b.stream, subjects, acked(6));
    const rest = await take(b, cursor, 3);
    expect(rest.map((entry) => entry.item.id)).toEqual([4, 5, 6].map((n) => acked(n).id));
    expect(rest[2]).toEqual({ cursor: 6, item: acked(6) });
  });
});
