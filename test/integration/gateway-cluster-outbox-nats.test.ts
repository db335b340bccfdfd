/**
 * The cluster outbox (src/gateway/cluster/cluster-outbox.ts) on a real nats-server, without a gateway around it:
 * what `accept` publishes, what the leader's side (`deliver`, `pending`, `settle`) does, and that an Ack this
 * gateway recorded counts for the re-send rule at once, before the view's consumer of the outcomes stream has
 * applied it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { ClusterOutbox } from "../../src/gateway/cluster/cluster-outbox.js";
import { ensureInboundStream } from "../../src/gateway/cluster/inbound-stream.js";
import { ensureOutcomeStream } from "../../src/gateway/cluster/outcome-stream.js";
import { RequestClaims } from "../../src/gateway/cluster/request-claims.js";
import { clusterSubjects } from "../../src/gateway/cluster/subjects.js";
import type { StoredItem } from "../../src/gateway/outbox/outbox.js";
import { openSqliteOutbox } from "../../src/gateway/outbox/sqlite-outbox.js";
import { startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";

const dir = mkdtempSync(join(tmpdir(), "rcc-cluster-outbox-"));
const subjects = clusterSubjects();
const connections: NatsConnection[] = [];
const outboxes: ClusterOutbox[] = [];
let views = 0;

afterEach(async () => {
  await Promise.all(outboxes.splice(0).map((outbox) => outbox.close()));
  await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
  await stopAllNatsServers();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function clusterOutbox(settled: StoredItem[] = []) {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const woken: [string, number][] = [];
  const outbox = new ClusterOutbox({
    js,
    jsm,
    subjects,
    inboundStream: await ensureInboundStream(jsm, subjects),
    outcomeStream: await ensureOutcomeStream(jsm, subjects),
    claims: new RequestClaims(await new Kvm(nc).create("rcc-requests", { ttl: 60_000, history: 1 })),
    view: await openSqliteOutbox(join(dir, `view-${(views += 1)}.sqlite`), { synchronous: "normal" }),
    onSettled: (items) => settled.push(...items),
    wake: (account, seq) => woken.push([account, seq]),
  });
  outboxes.push(outbox);
  return { outbox, woken, js, jsm };
}

const item = (id: string, bid: number) => ({ id, account: "main", ric: "TRCCTEST01", fields: { BID: bid } });

describe("the cluster outbox", () => {
  test("accept publishes each new item once: a replay by id is `existing`, another body under the id a conflict", async () => {
    const { outbox, jsm } = await clusterOutbox();
    const first = await outbox.accept([item("a-1", 1), item("a-2", 2)], Date.now());
    expect(first.map((result) => result.kind)).toEqual(["stored", "stored"]);
    const again = await outbox.accept([item("a-1", 1), item("a-2", 3)], Date.now());
    expect(again.map((result) => result.kind)).toEqual(["existing", "conflict"]);
    expect((await jsm.streams.info("RCC_INBOUND")).state.messages).toBe(2);
    expect(outbox.get("a-1")).toMatchObject({ state: "accepted", ric: "TRCCTEST01", fields: { BID: 1 } });
    expect(outbox.depth("main").items).toBe(2);
  });

  test("an Ack this gateway recorded counts in lastValues at once, before its view has applied it; the delivery resolves done", async () => {
    const { outbox, woken } = await clusterOutbox();
    // Not started: the view's consumers do not run, so nothing recorded reaches the view.
    const [older, newer] = (await outbox.accept([item("r-1", 1), item("r-2", 2)], Date.now())) as {
      kind: "stored";
      seq: number;
    }[];
    const delivery = outbox.deliver(
      { ...item("r-2", 2), ric: "TRCCTEST01", fields: { BID: 2 } },
      { seq: newer!.seq, deliveryCount: 1, acceptedAtMs: Date.now() },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(woken).toEqual([["main", newer!.seq]]);
    expect(outbox.pending("main", 0, 10).map((pending) => pending.id)).toEqual(["r-2"]);
    await outbox.markSent([{ id: "r-2", postId: 1 }], Date.now());
    expect(await outbox.settle([{ id: "r-2", state: "acked", postId: 1 }], Date.now())).toEqual([]);
    expect(await delivery).toBe("done");
    // The older item of the RIC, should it be delivered again now, would find BID covered by the newer Ack.
    expect(outbox.lastValues("TRCCTEST01").BID).toMatchObject({ value: 2, id: "r-2", seq: newer!.seq });
    expect(newer!.seq).toBeGreaterThan(older!.seq);
    expect(outbox.get("r-2")?.state).toBe("sent"); // the view itself has not heard yet
  });

  test("once started, the view applies the outcomes stream: onSettled hears each outcome once, and lastValues stay", async () => {
    const settled: StoredItem[] = [];
    const { outbox } = await clusterOutbox(settled);
    expect(await outbox.start(10_000)).toBe(true);
    const [stored] = (await outbox.accept([item("s-1", 7)], Date.now())) as { kind: "stored"; seq: number }[];
    const delivery = outbox.deliver(item("s-1", 7), { seq: stored!.seq, deliveryCount: 1, acceptedAtMs: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await outbox.settle([{ id: "s-1", state: "acked", postId: 1 }], Date.now());
    expect(await delivery).toBe("done");
    const deadline = Date.now() + 5_000;
    while (settled.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled.map((entry) => [entry.id, entry.state])).toEqual([["s-1", "acked"]]);
    expect(outbox.get("s-1")?.state).toBe("acked");
    expect(outbox.lastValues("TRCCTEST01").BID).toMatchObject({ value: 7, id: "s-1" });
    expect(outbox.outcomesAfter(0, 10).map((record) => record.item.id)).toEqual(["s-1"]);
  });

  test("an outcome that cannot be recorded hands the item back; its redelivery is pending again, and then settles", async () => {
    const { outbox, jsm } = await clusterOutbox();
    const [stored] = (await outbox.accept([item("f-1", 3)], Date.now())) as { kind: "stored"; seq: number }[];
    const first = outbox.deliver(item("f-1", 3), { seq: stored!.seq, deliveryCount: 1, acceptedAtMs: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await outbox.markSent([{ id: "f-1", postId: 1 }], Date.now());
    await jsm.streams.delete("RCC_OUTCOMES"); // nowhere to record outcomes
    await expect(outbox.settle([{ id: "f-1", state: "acked", postId: 1 }], Date.now())).rejects.toThrow();
    expect(await first).toBe("again");
    expect(outbox.get("f-1")?.state).toBe("accepted");
    await ensureOutcomeStream(jsm, subjects);
    const second = outbox.deliver(item("f-1", 3), { seq: stored!.seq, deliveryCount: 2, acceptedAtMs: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Sent once before: the re-send rule applies to it (attempts 1).
    expect(outbox.pending("main", 0, 10).map((pending) => [pending.id, pending.attempts])).toEqual([["f-1", 1]]);
    await outbox.markSent([{ id: "f-1", postId: 2 }], Date.now());
    await outbox.settle([{ id: "f-1", state: "acked", postId: 2 }], Date.now());
    expect(await second).toBe("done");
  });

  test("a redelivery of an item the view still holds as sent (its last delivery ended without an outcome) is pending", async () => {
    const { outbox } = await clusterOutbox();
    const [stored] = (await outbox.accept([item("g-1", 4)], Date.now())) as { kind: "stored"; seq: number }[];
    const first = outbox.deliver(item("g-1", 4), { seq: stored!.seq, deliveryCount: 1, acceptedAtMs: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await outbox.markSent([{ id: "g-1", postId: 1 }], Date.now());
    outbox.release("main"); // the term ended with the post on the wire
    expect(await first).toBe("again");
    void outbox.deliver(item("g-1", 4), { seq: stored!.seq, deliveryCount: 2, acceptedAtMs: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(outbox.pending("main", 0, 10).map((pending) => pending.id)).toEqual(["g-1"]);
  });
});
