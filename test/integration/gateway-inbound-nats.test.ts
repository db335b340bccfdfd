/**
 * The inbound stream and one account's consumer (docs/cluster.md, "The inbound stream", "The leader's
 * consumer") on a real nats-server: publishes acknowledged by the stream, replays dropped by `Nats-Msg-Id`,
 * items handed over in order and acknowledged only when done, redelivered to the next consumer when a leader
 * dies with items unacknowledged, and bad messages published straight to NATS reported without blocking.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect, headers } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import {
  AccountConsumer,
  type AccountConsumerOptions,
  consumerName,
  type HandledItem,
} from "../../src/gateway/cluster/account-consumer.js";
import { ensureInboundStream, type InboundItem, publishItem } from "../../src/gateway/cluster/inbound-stream.js";
import { clusterSubjects } from "../../src/gateway/cluster/subjects.js";
import { type NatsServer, startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";
import { waitFor } from "../helpers/wait-for.js";

const subjects = clusterSubjects();
const connections: NatsConnection[] = [];
const consumers: AccountConsumer[] = [];

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop().catch(() => undefined)));
  await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
  await stopAllNatsServers();
});

async function natsClient(server: NatsServer) {
  const nc = await connect({ servers: server.url, maxReconnectAttempts: 0 });
  connections.push(nc);
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

function item(n: number, account = "desk-1"): InboundItem {
  return { id: `g-${String(n).padStart(6, "0")}`, account, ric: `TRCCTEST.${n % 5}`, fields: { BID: n, ASK: n + 1 } };
}

/**
 * A consumer of `account` (ack wait 1 s unless `overrides` say otherwise) that records what it was handed;
 * `decide` says how each delivery went.
 */
function recordingConsumer(
  client: Awaited<ReturnType<typeof natsClient>>,
  stream: string,
  decide: (item: InboundItem, deliveryCount: number) => HandledItem | Promise<HandledItem> = () => "done",
  { account = "desk-1", ...overrides }: Partial<Pick<AccountConsumerOptions, "account" | "ackWaitMs" | "mayAct">> = {},
) {
  const handled: { item: InboundItem; seq: number; deliveryCount: number }[] = [];
  const invalid: { id: string; error: string }[] = [];
  const consumer = new AccountConsumer({
    ...client,
    stream,
    subjects,
    account,
    ackWaitMs: 1_000,
    ...overrides,
    handle: (handedItem, delivery) => {
      handled.push({ item: handedItem, ...delivery });
      return Promise.resolve(decide(handedItem, delivery.deliveryCount));
    },
    invalid: (id, error) => {
      invalid.push({ id, error });
      return Promise.resolve();
    },
  });
  consumers.push(consumer);
  return { consumer, handled, invalid };
}

describe("the inbound stream", () => {
  test("stores each item once, drops replays by id, and hands the account's items over in order, acked", async () => {
    const server = await startNatsServer();
    const client = await natsClient(server);
    const stream = await ensureInboundStream(client.jsm, subjects);
    expect(await ensureInboundStream(client.jsm, subjects)).toBe(stream); // idempotent
    const acks = [];
    for (let n = 1; n <= 300; n++) acks.push(await publishItem(client.js, subjects, item(n)));
    for (let n = 1; n <= 300; n += 6) acks.push(await publishItem(client.js, subjects, item(n))); // 50 replays
    await publishItem(client.js, subjects, item(1, "desk-2")); // another account's
    expect(acks.filter((ack) => ack.duplicate)).toHaveLength(50);
    expect(new Set(acks.map((ack) => ack.seq)).size).toBe(300);

    const { consumer, handled, invalid } = recordingConsumer(client, stream);
    await consumer.start();
    await waitFor(() => handled.length >= 300, 5_000, "300 items handed over");
    expect(handled.map((entry) => entry.item.id)).toEqual(Array.from({ length: 300 }, (_, i) => item(i + 1).id));
    expect(handled[0]?.item).toEqual(item(1)); // the RIC, with its '.', and the fields round-trip
    expect(invalid).toEqual([]);
    await waitFor(
      async () => (await client.jsm.consumers.info(stream, consumerName("desk-1"))).num_ack_pending === 0,
      5_000,
      "every message acknowledged",
    );
    const info = await client.jsm.consumers.info(stream, consumerName("desk-1"));
    expect(info.num_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });

  test("an item handed back is delivered again; a leader that dies leaves its unacked items to the next", async () => {
    const server = await startNatsServer();
    const client = await natsClient(server);
    const stream = await ensureInboundStream(client.jsm, subjects);
    for (let n = 1; n <= 20; n++) await publishItem(client.js, subjects, item(n));
    // The first leader finishes items 1-10 and dies holding 11-20 (its handler never settles them).
    const pending: (() => void)[] = [];
    // Stopped after the test, once its held items are released below.
    const { consumer: first } = recordingConsumer(client, stream, (handedItem) =>
      Number(handedItem.fields.BID) <= 10
        ? "done"
        : new Promise<HandledItem>((resolve) => pending.push(() => resolve("again"))),
    );
    await first.start();
    await waitFor(() => pending.length === 10, 5_000, "items 11-20 held by the first leader");
    const other = await natsClient(server); // the next leader, on its own connection
    await connections[0]?.close(); // the first leader's connection goes away with it
    const next = recordingConsumer(other, stream, (handedItem, count) =>
      handedItem.id === item(15).id && count < 3 ? "again" : "done",
    );
    await next.consumer.start();
    await waitFor(
      () => new Set(next.handled.map((entry) => entry.item.id)).size === 10,
      10_000,
      "11-20 delivered again",
    );
    expect([...new Set(next.handled.map((entry) => Number(entry.item.fields.BID)))].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 11),
    );
    expect(next.handled.every((entry) => entry.deliveryCount >= 2)).toBe(true); // redeliveries, not new messages
    await waitFor(
      () => next.handled.some((entry) => entry.item.id === item(15).id && entry.deliveryCount >= 3),
      10_000,
      "item 15 handed back and delivered again",
    );
    for (const release of pending) release();
  });

  test("an item handled for longer than the ack wait is reported in progress, not delivered twice", async () => {
    const server = await startNatsServer();
    const client = await natsClient(server);
    const stream = await ensureInboundStream(client.jsm, subjects);
    await publishItem(client.js, subjects, item(1));
    const { consumer, handled } = recordingConsumer(
      client,
      stream,
      () => new Promise<HandledItem>((resolve) => setTimeout(() => resolve("done"), 2_000)), // RCC is slow
      { ackWaitMs: 600 },
    );
    await consumer.start();
    await waitFor(
      async () =>
        (await client.jsm.consumers.info(stream, consumerName("desk-1"))).num_ack_pending === 0 && handled.length > 0,
      6_000,
      "the slow item acknowledged",
    );
    expect(handled.map((entry) => entry.deliveryCount)).toEqual([1]);
    expect((await client.jsm.consumers.info(stream, consumerName("desk-1"))).num_redelivered).toBe(0);
  });

  test("a gateway that may not act (its lease ran out) hands every message back untouched", async () => {
    const server = await startNatsServer();
    const client = await natsClient(server);
    const stream = await ensureInboundStream(client.jsm, subjects);
    for (let n = 1; n <= 3; n++) await publishItem(client.js, subjects, item(n));
    const lease = { mayAct: false };
    const { consumer, handled } = recordingConsumer(client, stream, () => "done", { mayAct: () => lease.mayAct });
    await consumer.start();
    await waitFor(
      async () => (await client.jsm.consumers.info(stream, consumerName("desk-1"))).num_redelivered > 0,
      5_000,
      "the messages handed back and delivered again",
    );
    expect(handled).toEqual([]);
    lease.mayAct = true; // the lease renewed: the next deliveries are handled
    await waitFor(() => handled.length === 3, 5_000, "the three items handled once the gateway may act");
    expect(handled.map((entry) => entry.item.id).sort()).toEqual([item(1).id, item(2).id, item(3).id]);
  });

  test("bad messages published straight to NATS are reported with a reason and do not block the good ones", async () => {
    const server = await startNatsServer();
    const client = await natsClient(server);
    const stream = await ensureInboundStream(client.jsm, subjects);
    const encode = (value: unknown) => JSON.stringify(value);
    const direct = async (ric: string, body: string, msgID?: string) =>
      client.js.publish(subjects.inbound("desk-1", ric), body, msgID === undefined ? {} : { msgID });
    await direct("TRCCTEST01", encode({ fields: { BID: 1 }, id: "p-1" }));
    await direct("TRCCTEST01", "{not json");
    await direct("TRCCTEST01", encode({ fields: { BID: "abc" } }), "p-bad-bid");
    await direct("TRCCTEST01", encode({ fields: { BID: 2 }, colour: "red" }));
    await direct("TRCCTEST01", encode({ ric: "OTHER", fields: { BID: 3 } }));
    await direct("TRCCTEST01", encode([1, 2]));
    const h = headers();
    h.set("Nats-Msg-Id", "p-2");
    await client.js.publish(subjects.inbound("desk-1", "TRCCTEST02"), encode({ fields: { ASK: 4 } }), { headers: h });
    const { consumer, handled, invalid } = recordingConsumer(client, stream);
    await consumer.start();
    await waitFor(() => handled.length + invalid.length === 7, 5_000, "seven messages settled");
    expect(handled.map((entry) => [entry.item.id, entry.item.ric, entry.item.fields])).toEqual([
      ["p-1", "TRCCTEST01", { BID: 1 }],
      ["p-2", "TRCCTEST02", { ASK: 4 }],
    ]);
    expect(invalid).toEqual([
      { id: "n-2", error: "the message is not JSON text" },
      { id: "p-bad-bid", error: "BID must be a number, got 'abc'" },
      { id: "n-4", error: 'item: unknown property "colour" (an item has ric, fields and id)' },
      { id: "n-5", error: 'ric "OTHER" differs from the subject\'s "TRCCTEST01"' },
      { id: "n-6", error: 'a message must be a JSON object: { "fields", "id"? }' },
    ]);
    await waitFor(
      async () => (await client.jsm.consumers.info(stream, consumerName("desk-1"))).num_ack_pending === 0,
      5_000,
      "bad messages terminated, good ones acknowledged",
    );
  });
});
