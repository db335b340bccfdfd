/**
 * The gateway's SQLite outbox (src/gateway/outbox/sqlite-outbox.ts) on real files, each test in a fresh
 * temporary directory: the contract of outbox.ts, the group commit, refusals of files that are not ours (each
 * left byte for byte as it was), and a writer killed with SIGKILL whose acknowledged writes all survive.
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { NewItem, StoredFields } from "../../src/gateway/outbox/outbox.js";
import {
  OutboxOpenError,
  type OutboxOpenReason,
  openSqliteOutbox,
  type SqliteOutbox,
  type SqliteOutboxOptions,
} from "../../src/gateway/outbox/sqlite-outbox.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRITER = join(ROOT, "test", "helpers", "outbox-writer.ts");

let dir: string;
const opened: SqliteOutbox[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "rcc-outbox-"));
});

afterEach(async () => {
  for (const outbox of opened.splice(0)) await outbox.close();
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function openOutbox(name = "outbox.db", options?: SqliteOutboxOptions): Promise<SqliteOutbox> {
  const outbox = await openSqliteOutbox(join(dir, name), options);
  opened.push(outbox);
  return outbox;
}

async function reopen(outbox: SqliteOutbox): Promise<SqliteOutbox> {
  await outbox.close();
  return openOutbox(basename(outbox.path));
}

function item(id: string, fields: StoredFields = { BID: 1 }, account = "main", ric = "EUR="): NewItem {
  return { id, account, ric, fields };
}

function bytesOf(entry: NewItem): number {
  return Buffer.byteLength(entry.ric) + Buffer.byteLength(JSON.stringify(entry.fields));
}

/** The refusal of opening `path`: fails the test when it opens. */
async function refusal(path: string): Promise<OutboxOpenError> {
  const outcome = await openSqliteOutbox(path).then(
    (outbox) => outbox,
    (error: unknown) => error,
  );
  if (!(outcome instanceof OutboxOpenError)) {
    if (outcome instanceof Error) throw outcome;
    await (outcome as SqliteOutbox).close();
    throw new Error(`${path} opened, but should have been refused`);
  }
  return outcome;
}

/** Opening `path` is refused for `reason` with a one-line message naming it, and the file stays as it was. */
async function expectRefused(path: string, reason: OutboxOpenReason, words: string): Promise<OutboxOpenError> {
  const before = await readFile(path).catch(() => undefined);
  const error = await refusal(path);
  expect(error.reason).toBe(reason);
  expect(error.path).toBe(path);
  expect(error.message).toContain(`outbox ${path}`);
  expect(error.message).toContain(words);
  expect(error.message).not.toContain("\n");
  const after = await readFile(path).catch(() => undefined);
  expect(after?.equals(before ?? Buffer.alloc(0)) ?? before === undefined).toBe(true);
  return error;
}

describe("storing and reading items", () => {
  test("stores an accepted item and returns it by id with number, string and null values", async () => {
    const outbox = await openOutbox();
    const fields = { BID: 101.25, ASK: -3, BIG: 1e21, QUOTE: 'ünï ☃ "quoted"', BLANK: null, ZERO: 0 };
    const [result] = await outbox.accept([item("a-1", fields, "acct", "VOD.L")], 1_700_000_000_123);
    expect(result).toEqual({ kind: "stored", id: "a-1", seq: expect.any(Number) });
    const stored = outbox.get("a-1");
    expect(stored).toEqual({
      seq: result?.kind === "stored" ? result.seq : -1,
      id: "a-1",
      account: "acct",
      ric: "VOD.L",
      fields,
      state: "accepted",
      acceptedAtMs: 1_700_000_000_123,
      attempts: 0,
    });
    expect(outbox.get("unknown")).toBeUndefined();
    expect(outbox.getMany(["unknown", "a-1"])).toEqual([undefined, stored]);
    expect((await reopen(outbox)).get("a-1")).toEqual(stored);
  });

  test("commits 100 accept calls made in one turn in a single transaction", async () => {
    const outbox = await openOutbox();
    const before = outbox.stats();
    const calls = Array.from({ length: 100 }, (_, index) => outbox.accept([item(`one-turn-${index}`)], 1_000));
    const results = (await Promise.all(calls)).flat();
    expect(outbox.stats().transactions - before.transactions).toBe(1);
    expect(outbox.stats().writes - before.writes).toBe(100);
    const seqs = results.map((result) => (result.kind === "stored" ? result.seq : Number.NaN));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(100);
    // The next turn is the next transaction.
    await outbox.accept([item("next-turn")], 1_001);
    expect(outbox.stats().transactions - before.transactions).toBe(2);
  });

  test("answers existing for a replay with the same RIC and fields in any order, conflict for anything else", async () => {
    const outbox = await openOutbox();
    await outbox.accept([item("x", { BID: 1, TEXT: "a", NONE: null })], 1_000);
    const [replay, otherValue, otherRic, twiceFirst, twiceSecond] = await outbox.accept(
      [
        item("x", { NONE: null, TEXT: "a", BID: 1 }),
        item("x", { BID: 2, TEXT: "a", NONE: null }),
        item("x", { BID: 1, TEXT: "a", NONE: null }, "main", "GBP="),
        item("y", { BID: 5 }),
        item("y", { BID: 5 }),
      ],
      2_000,
    );
    expect(replay).toEqual({ kind: "existing", item: outbox.get("x") });
    expect(replay?.kind === "existing" && replay.item.acceptedAtMs).toBe(1_000);
    expect(otherValue).toEqual({ kind: "conflict", id: "x" });
    expect(otherRic).toEqual({ kind: "conflict", id: "x" });
    expect(twiceFirst?.kind).toBe("stored");
    expect(twiceSecond).toMatchObject({ kind: "existing", item: { id: "y" } });
    expect(outbox.depth("main").items).toBe(2);
  });

  test("refuses a field value that is not a finite number, a string or null, storing nothing of that call", async () => {
    const outbox = await openOutbox();
    const bad = outbox.accept([item("fine"), item("nan", { BID: Number.NaN })], 1_000);
    const good = outbox.accept([item("other")], 1_000);
    await expect(bad).rejects.toThrow(/item nan: field BID must be a finite number/);
    await expect(good).resolves.toHaveLength(1);
    expect(outbox.get("fine")).toBeUndefined();
    expect(outbox.get("other")).toBeDefined();
  });

  test("stores the Idempotency-Key request with its items and returns it, also after a reopen", async () => {
    let outbox = await openOutbox();
    const request = { key: "key-1", bodyHash: "sha256:abc", ids: ["r-1", null, "r-2"] };
    await outbox.accept([item("r-1"), item("r-2")], 5_000, request);
    await outbox.accept([], 5_500, { key: "key-2", bodyHash: "sha256:def", ids: [null] });
    // A second answer under the same key does not replace the first.
    await outbox.accept([item("r-3")], 6_000, { key: "key-1", bodyHash: "sha256:other", ids: ["r-3"] });
    const expected = { key: "key-1", bodyHash: "sha256:abc", ids: ["r-1", null, "r-2"], atMs: 5_000 };
    expect(outbox.request("key-1")).toEqual(expected);
    expect(outbox.request("key-2")).toEqual({ key: "key-2", bodyHash: "sha256:def", ids: [null], atMs: 5_500 });
    expect(outbox.request("key-3")).toBeUndefined();
    outbox = await reopen(outbox);
    expect(outbox.request("key-1")).toEqual(expected);
  });
});

describe("the dispatcher's reads and writes", () => {
  test("lists an account's pending items oldest first, after a seq, at most limit", async () => {
    const outbox = await openOutbox();
    const items = Array.from({ length: 10 }, (_, index) =>
      item(`p-${index}`, { N: index }, index % 2 ? "odd" : "even"),
    );
    await outbox.accept(items, 1_000);
    const even = outbox.pending("even", 0, 100);
    expect(even.map((entry) => entry.id)).toEqual(["p-0", "p-2", "p-4", "p-6", "p-8"]);
    expect(outbox.pending("even", 0, 2).map((entry) => entry.id)).toEqual(["p-0", "p-2"]);
    expect(outbox.pending("even", even[1]?.seq ?? 0, 2).map((entry) => entry.id)).toEqual(["p-4", "p-6"]);
    expect(outbox.pending("even", even[4]?.seq ?? 0, 100)).toEqual([]);
    expect(outbox.pending("even", 0, 0)).toEqual([]);
    expect(outbox.pending("even", 0, Number.POSITIVE_INFINITY)).toHaveLength(5);
    expect(outbox.pending("nobody", 0, 100)).toEqual([]);
    await outbox.markSent([{ id: "p-2", postId: 1 }], 2_000);
    expect(outbox.pending("even", 0, 100).map((entry) => entry.id)).toEqual(["p-0", "p-4", "p-6", "p-8"]);
  });

  test("bounds a read by 10,000 rows whatever limit it is given", async () => {
    const outbox = await openOutbox();
    await outbox.accept(
      Array.from({ length: 10_050 }, (_, index) => item(`many-${index}`)),
      1_000,
    );
    expect(outbox.pending("main", 0, 1_000_000)).toHaveLength(10_000);
  });

  test("marks items sent and unsent, lists the sent ones as unanswered, and keeps it all across a reopen", async () => {
    let outbox = await openOutbox();
    await outbox.accept([item("s-1"), item("s-2"), item("s-3"), item("other", { BID: 1 }, "second")], 1_000);
    await outbox.markSent(
      [
        { id: "s-2", postId: 7 },
        { id: "s-1", postId: 8 },
      ],
      2_000,
    );
    expect(outbox.unanswered("main").map((entry) => [entry.id, entry.state, entry.postId, entry.attempts])).toEqual([
      ["s-1", "sent", 8, 1],
      ["s-2", "sent", 7, 1],
    ]);
    expect(outbox.get("s-1")?.sentAtMs).toBe(2_000);
    expect(outbox.unanswered("second")).toEqual([]);
    await outbox.markSent([{ id: "s-1", postId: 9 }], 3_000);
    expect(outbox.get("s-1")).toMatchObject({ state: "sent", postId: 9, attempts: 2, sentAtMs: 3_000 });

    outbox = await reopen(outbox);
    expect(outbox.unanswered("main").map((entry) => entry.id)).toEqual(["s-1", "s-2"]);
    await outbox.markUnsent(["s-1", "s-2", "s-3"]);
    expect(outbox.unanswered("main")).toEqual([]);
    expect(outbox.pending("main", 0, 10).map((entry) => entry.id)).toEqual(["s-1", "s-2", "s-3"]);
    expect(outbox.get("s-1")).toMatchObject({ state: "accepted", attempts: 2, postId: 9 });

    // A final item is neither sent again nor put back.
    await outbox.settle([{ id: "s-3", state: "acked" }], 4_000);
    await outbox.markSent([{ id: "s-3", postId: 10 }], 5_000);
    await outbox.markUnsent(["s-3"]);
    expect(outbox.get("s-3")).toMatchObject({ state: "acked", attempts: 0 });
    expect(outbox.get("s-3")?.sentAtMs).toBeUndefined();
    outbox = await reopen(outbox);
    expect(outbox.get("s-3")).toMatchObject({ state: "acked", settledAtMs: 4_000 });
    expect(outbox.get("s-1")).toMatchObject({ state: "accepted", attempts: 2 });
  });

  test("settles every kind of outcome once: a second settlement changes nothing and logs nothing", async () => {
    let outbox = await openOutbox();
    await outbox.accept(
      ["o-ack", "o-nak", "o-fail", "o-super", "o-conf", "o-into"].map((id) => item(id)),
      1_000,
    );
    await outbox.markSent(
      [
        { id: "o-ack", postId: 1 },
        { id: "o-nak", postId: 2 },
      ],
      1_500,
    );
    await outbox.settle(
      [
        { id: "o-ack", state: "acked", postId: 11 },
        { id: "o-nak", state: "naked", nakCode: "InvalidContent", text: "no such field" },
        { id: "o-fail", state: "failed", text: "five answers lost" },
        { id: "o-super", state: "superseded" },
        { id: "o-conf", state: "conflated", into: "o-into" },
        { id: "never-stored", state: "acked" },
      ],
      2_000,
    );
    expect(outbox.get("o-ack")).toMatchObject({ state: "acked", postId: 11, settledAtMs: 2_000, sentAtMs: 1_500 });
    expect(outbox.get("o-nak")).toMatchObject({
      state: "naked",
      postId: 2,
      nakCode: "InvalidContent",
      text: "no such field",
    });
    expect(outbox.get("o-fail")).toMatchObject({ state: "failed", text: "five answers lost", attempts: 0 });
    expect(outbox.get("o-super")).toMatchObject({ state: "superseded", settledAtMs: 2_000 });
    expect(outbox.get("o-conf")).toMatchObject({ state: "conflated", conflatedInto: "o-into" });
    expect(outbox.depth("main").items).toBe(1);
    const log = outbox.outcomesAfter(0, 100);
    expect(log.map((record) => record.item.id)).toEqual(["o-ack", "o-nak", "o-fail", "o-super", "o-conf"]);
    expect(log.map((record) => record.item)).toEqual(outbox.getMany(log.map((record) => record.item.id)));
    const settled = outbox.getMany(["o-ack", "o-nak", "o-fail", "o-super", "o-conf"]);
    const cursor = outbox.lastCursor();

    await outbox.settle(
      [
        { id: "o-ack", state: "failed", text: "late" },
        { id: "o-nak", state: "acked", postId: 99 },
        { id: "o-fail", state: "naked", nakCode: "X", text: "y" },
        { id: "o-super", state: "conflated", into: "o-into" },
        { id: "o-conf", state: "superseded" },
      ],
      3_000,
    );
    expect(outbox.getMany(["o-ack", "o-nak", "o-fail", "o-super", "o-conf"])).toEqual(settled);
    expect(outbox.lastCursor()).toBe(cursor);
    expect(outbox.outcomesAfter(0, 100)).toHaveLength(5);
    expect(outbox.lastValues("EUR=")).toEqual({
      BID: { value: 1, id: "o-ack", seq: settled[0]?.seq, ackedAtMs: 2_000 },
    });

    outbox = await reopen(outbox);
    expect(outbox.getMany(["o-ack", "o-nak", "o-fail", "o-super", "o-conf"])).toEqual(settled);
    expect(outbox.depth("main").items).toBe(1);
  });

  test("gives outcome cursors that increase strictly and continue after a reopen", async () => {
    let outbox = await openOutbox();
    expect(outbox.lastCursor()).toBe(0);
    expect(outbox.outcomesAfter(0, 10)).toEqual([]);
    await outbox.accept(
      Array.from({ length: 6 }, (_, index) => item(`c-${index}`)),
      1_000,
    );
    await outbox.settle([{ id: "c-0", state: "acked" }], 2_000);
    await outbox.settle(
      [
        { id: "c-1", state: "superseded" },
        { id: "c-2", state: "failed", text: "x" },
      ],
      2_001,
    );
    const first = outbox.outcomesAfter(0, 10).map((record) => record.cursor);
    expect(first).toHaveLength(3);
    expect(first).toEqual([...first].sort((a, b) => a - b));
    expect(new Set(first).size).toBe(3);
    expect(outbox.lastCursor()).toBe(first[2]);
    expect(outbox.outcomesAfter(first[0] ?? 0, 1).map((record) => record.item.id)).toEqual(["c-1"]);

    outbox = await reopen(outbox);
    expect(outbox.lastCursor()).toBe(first[2]);
    await outbox.settle(
      [
        { id: "c-3", state: "acked" },
        { id: "c-4", state: "acked" },
      ],
      3_000,
    );
    const after = outbox.outcomesAfter(first[2] ?? 0, 10);
    expect(after.map((record) => record.item.id)).toEqual(["c-3", "c-4"]);
    expect(after[0]?.cursor).toBeGreaterThan(first[2] ?? 0);
    expect(after[1]?.cursor).toBeGreaterThan(after[0]?.cursor ?? 0);
    expect(outbox.lastCursor()).toBe(after[1]?.cursor);
  });

  test("keeps the newest acknowledged value of each field even when an older item's Ack comes later", async () => {
    let outbox = await openOutbox();
    await outbox.accept(
      [
        item("old", { BID: 1, ASK: 2, TEXT: "old", BLANK: "was set" }, "main", "VOD.L"),
        item("new", { BID: 3, BLANK: null }, "main", "VOD.L"),
        item("elsewhere", { BID: 9 }, "main", "BP.L"),
      ],
      1_000,
    );
    const seqs = Object.fromEntries(outbox.getMany(["old", "new"]).map((entry) => [entry?.id, entry?.seq]));
    await outbox.settle([{ id: "new", state: "acked" }], 2_000);
    await outbox.settle([{ id: "old", state: "acked" }], 3_000);
    const expected = {
      BID: { value: 3, id: "new", seq: seqs.new, ackedAtMs: 2_000 },
      BLANK: { value: null, id: "new", seq: seqs.new, ackedAtMs: 2_000 },
      ASK: { value: 2, id: "old", seq: seqs.old, ackedAtMs: 3_000 },
      TEXT: { value: "old", id: "old", seq: seqs.old, ackedAtMs: 3_000 },
    };
    expect(outbox.lastValues("VOD.L")).toEqual(expected);
    expect(outbox.lastValues("BP.L")).toEqual({});
    expect(outbox.lastValues("NONE")).toEqual({});
    outbox = await reopen(outbox);
    expect(outbox.lastValues("VOD.L")).toEqual(expected);
  });

  test("counts what waits per account in items and bytes, from memory and again after a reopen", async () => {
    let outbox = await openOutbox();
    expect(outbox.depth("main")).toEqual({ items: 0, bytes: 0, oldestAcceptedAtMs: undefined });
    const first = item("d-1", { BID: 1.5, TEXT: "€uro" });
    const second = item("d-2", { BID: null }, "main", "GBP=");
    const third = item("d-3", { ASK: 2 }, "other");
    await outbox.accept([first], 1_000);
    await outbox.accept([second, third], 2_000);
    expect(outbox.depth("main")).toEqual({
      items: 2,
      bytes: bytesOf(first) + bytesOf(second),
      oldestAcceptedAtMs: 1_000,
    });
    expect(outbox.depth("other")).toEqual({ items: 1, bytes: bytesOf(third), oldestAcceptedAtMs: 2_000 });
    await outbox.markSent([{ id: "d-1", postId: 1 }], 3_000);
    expect(outbox.depth("main")).toEqual({
      items: 2,
      bytes: bytesOf(first) + bytesOf(second),
      oldestAcceptedAtMs: 1_000,
    });

    outbox = await reopen(outbox);
    expect(outbox.depth("main")).toEqual({
      items: 2,
      bytes: bytesOf(first) + bytesOf(second),
      oldestAcceptedAtMs: 1_000,
    });
    await outbox.settle([{ id: "d-1", state: "acked" }], 4_000);
    expect(outbox.depth("main")).toEqual({ items: 1, bytes: bytesOf(second), oldestAcceptedAtMs: 2_000 });
    await outbox.settle([{ id: "d-2", state: "failed", text: "x" }], 4_000);
    expect(outbox.depth("main")).toEqual({ items: 0, bytes: 0, oldestAcceptedAtMs: undefined });
    outbox = await reopen(outbox);
    expect(outbox.depth("main")).toEqual({ items: 0, bytes: 0, oldestAcceptedAtMs: undefined });
    expect(outbox.depth("other")).toEqual({ items: 1, bytes: bytesOf(third), oldestAcceptedAtMs: 2_000 });
  });
});

describe("compaction", () => {
  test("deletes final items settled before a time with their outcome records and older requests, keeping last values", async () => {
    let outbox = await openOutbox();
    await outbox.accept([item("k-1"), item("k-2"), item("k-3"), item("k-4")], 1_000, {
      key: "old-key",
      bodyHash: "h",
      ids: ["k-1", "k-2", "k-3", "k-4"],
    });
    await outbox.accept([item("k-5", { ASK: 5 })], 6_000, { key: "new-key", bodyHash: "h", ids: ["k-5"] });
    await outbox.settle(
      [
        { id: "k-1", state: "acked" },
        { id: "k-2", state: "naked", nakCode: "N", text: "t" },
      ],
      2_000,
    );
    await outbox.settle([{ id: "k-3", state: "acked" }], 5_000);
    const cursor = outbox.lastCursor();
    const lastValues = outbox.lastValues("EUR=");

    expect(await outbox.compact(3_000)).toBe(2);
    expect(outbox.getMany(["k-1", "k-2"])).toEqual([undefined, undefined]);
    expect(outbox.get("k-3")?.state).toBe("acked");
    expect(outbox.get("k-4")?.state).toBe("accepted");
    expect(outbox.outcomesAfter(0, 10).map((record) => record.item.id)).toEqual(["k-3"]);
    expect(outbox.request("old-key")).toBeUndefined();
    expect(outbox.request("new-key")).toBeDefined();
    expect(outbox.lastValues("EUR=")).toEqual(lastValues);
    expect(outbox.lastCursor()).toBe(cursor);
    expect(outbox.depth("main").items).toBe(2);

    // Everything final gone: neither seqs nor cursors are reused, not even after a reopen.
    const lastSeq = outbox.get("k-5")?.seq ?? 0;
    await outbox.settle(
      [
        { id: "k-4", state: "superseded" },
        { id: "k-5", state: "acked" },
      ],
      7_000,
    );
    const lastCursor = outbox.lastCursor();
    expect(await outbox.compact(10_000)).toBe(3);
    outbox = await reopen(outbox);
    expect(outbox.outcomesAfter(0, 10)).toEqual([]);
    expect(outbox.lastCursor()).toBe(lastCursor);
    const [again] = await outbox.accept([item("k-6")], 11_000);
    expect(again?.kind === "stored" && again.seq).toBeGreaterThan(lastSeq);
    await outbox.settle([{ id: "k-6", state: "acked" }], 12_000);
    expect(outbox.outcomesAfter(0, 10)[0]?.cursor).toBeGreaterThan(lastCursor);
  });

  test("compacts a large backlog in chunks of one transaction each", async () => {
    const outbox = await openOutbox();
    const ids = Array.from({ length: 21_000 }, (_, index) => `bulk-${index}`);
    await outbox.accept(
      ids.map((id) => item(id)),
      1_000,
    );
    await outbox.settle(
      ids.map((id) => ({ id, state: "acked" as const })),
      2_000,
    );
    const before = outbox.stats().transactions;
    expect(await outbox.compact(3_000)).toBe(21_000);
    expect(outbox.stats().transactions - before).toBe(3);
    expect(outbox.outcomesAfter(0, 10)).toEqual([]);
    expect(outbox.get("bulk-20999")).toBeUndefined();
    expect(outbox.integrityCheck()).toBe("ok");
  });
});

describe("failures and closing", () => {
  test("conflate merges queued items into the newest in one write: it carries every field, the older ones end conflated into it", async () => {
    let outbox = await openOutbox();
    const a = item("a", { BID: 1, ASK: 2 });
    const b = item("b", { BID: 3 });
    const c = item("c", { BID: 9 });
    await outbox.accept([a, b, c], 1_000);
    await outbox.markSent([{ id: "c", postId: 1 }], 1_100); // c is on its way: it takes no part
    await outbox.conflate(
      [
        { into: "b", fields: { BID: 3, ASK: 2 }, from: ["a"] },
        { into: "c", fields: { BID: 9, ASK: 2 }, from: ["b"] }, // into no longer accepted: left out whole
      ],
      1_200,
    );
    expect(outbox.get("a")).toMatchObject({ state: "conflated", conflatedInto: "b", settledAtMs: 1_200 });
    expect(outbox.get("b")).toMatchObject({ state: "accepted", fields: { BID: 3, ASK: 2 } });
    expect(outbox.get("c")).toMatchObject({ state: "sent", fields: { BID: 9 } });
    expect(outbox.outcomesAfter(0, 10).map((record) => record.item.id)).toEqual(["a"]);
    const merged = { ...b, fields: { BID: 3, ASK: 2 } };
    expect(outbox.depth("main")).toMatchObject({ items: 2, bytes: bytesOf(merged) + bytesOf(c) });
    outbox = await reopen(outbox);
    expect(outbox.get("b")?.fields).toEqual({ BID: 3, ASK: 2 });
    expect(outbox.depth("main")).toMatchObject({ items: 2, bytes: bytesOf(merged) + bytesOf(c) });
  });

  test("a transaction that fails rejects every write of its turn, changes nothing, and the outbox goes on", async () => {
    const outbox = await openOutbox("small.db", { maxSizeBytes: 256 * 1024 });
    await outbox.accept([item("kept")], 1_000);
    const depth = outbox.depth("main");
    const cursor = outbox.lastCursor();
    const big = "x".repeat(3_000);
    // About 600 KB in one turn, more than the file may hold: the whole turn's transaction fails.
    const tooBig = outbox.accept(
      Array.from({ length: 200 }, (_, index) => item(`big-${index}`, { TEXT: big })),
      2_000,
    );
    const small = outbox.accept([item("small")], 2_000);
    const sent = outbox.markSent([{ id: "kept", postId: 1 }], 2_000);
    const settled = outbox.settle([{ id: "kept", state: "acked" }], 2_000);
    for (const write of [tooBig, small, sent, settled]) await expect(write).rejects.toThrow(/full/);
    expect(outbox.stats().failedTransactions).toBe(1);
    expect(outbox.writable).toBe(false); // /readyz says so until a write commits again
    expect(outbox.get("big-0")).toBeUndefined();
    expect(outbox.get("small")).toBeUndefined();
    expect(outbox.get("kept")).toMatchObject({ state: "accepted", attempts: 0 });
    expect(outbox.depth("main")).toEqual(depth);
    expect(outbox.lastCursor()).toBe(cursor);

    await outbox.accept([item("small")], 3_000);
    expect(outbox.writable).toBe(true);
    await outbox.settle([{ id: "kept", state: "acked" }], 3_000);
    expect(outbox.depth("main").items).toBe(1);
    expect(outbox.outcomesAfter(0, 10).map((record) => record.item.id)).toEqual(["kept"]);
    expect(outbox.integrityCheck()).toBe("ok");
  });

  test("close commits queued writes first, is idempotent, and every later call fails with 'outbox is closed'", async () => {
    const outbox = await openOutbox();
    const accepted = outbox.accept([item("last")], 1_000);
    const closing = outbox.close();
    expect(outbox.close()).toBe(closing);
    await closing;
    expect(outbox.writable).toBe(false);
    await expect(accepted).resolves.toEqual([{ kind: "stored", id: "last", seq: expect.any(Number) }]);
    await expect(outbox.close()).resolves.toBeUndefined();
    await expect(outbox.accept([item("late")], 2_000)).rejects.toThrow("outbox is closed");
    await expect(outbox.markSent([{ id: "last", postId: 1 }], 2_000)).rejects.toThrow("outbox is closed");
    await expect(outbox.markUnsent(["last"])).rejects.toThrow("outbox is closed");
    await expect(outbox.settle([{ id: "last", state: "acked" }], 2_000)).rejects.toThrow("outbox is closed");
    await expect(outbox.compact(2_000)).rejects.toThrow("outbox is closed");
    for (const read of [
      () => outbox.get("last"),
      () => outbox.getMany(["last"]),
      () => outbox.request("k"),
      () => outbox.pending("main", 0, 1),
      () => outbox.unanswered("main"),
      () => outbox.outcomesAfter(0, 1),
      () => outbox.lastCursor(),
      () => outbox.lastValues("EUR="),
      () => outbox.depth("main"),
      () => outbox.integrityCheck(),
    ]) {
      expect(read).toThrow("outbox is closed");
    }
    expect((await openOutbox()).get("last")?.state).toBe("accepted");
  });
});

describe("opening a file", () => {
  test("creates a new outbox in WAL mode, and opens an empty file as a new outbox", async () => {
    const outbox = await openOutbox();
    expect(outbox.integrityCheck()).toBe("ok");
    await outbox.close();
    const raw = new Database(outbox.path, { readonly: true });
    try {
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(raw.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get()).toBe("rcc-gateway-outbox");
      expect(raw.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(1);
    } finally {
      raw.close();
    }
    await writeFile(join(dir, "empty.db"), "");
    const fromEmpty = await openOutbox("empty.db");
    await fromEmpty.accept([item("e-1")], 1_000);
    expect((await reopen(fromEmpty)).get("e-1")?.state).toBe("accepted");
  });

  test("refuses a file of random bytes as not an SQLite database, leaving it unchanged", async () => {
    const path = join(dir, "random.db");
    await writeFile(path, randomBytes(8_192));
    await expectRefused(path, "not-a-database", "is not an SQLite database (corrupt, or another kind of file)");
    await writeFile(path, "short");
    await expectRefused(path, "not-a-database", "is not an SQLite database");
  });

  test("refuses a directory where the file should be", async () => {
    const path = join(dir, "a-directory.db");
    await mkdir(path);
    const error = await refusal(path);
    expect(error.reason).toBe("not-a-database");
    expect(error.message).toContain("is a directory");
  });

  test("refuses an SQLite database that is not an outbox, leaving it unchanged", async () => {
    const path = join(dir, "foreign.db");
    const foreign = new Database(path);
    foreign.exec("CREATE TABLE prices (ric TEXT, bid REAL); INSERT INTO prices VALUES ('EUR=', 1.08);");
    foreign.close();
    await expectRefused(path, "foreign-database", "is an SQLite database but not an rcc gateway outbox");

    const withMeta = join(dir, "foreign-meta.db");
    const other = new Database(withMeta);
    other.exec("CREATE TABLE meta (name TEXT); INSERT INTO meta VALUES ('mine');");
    other.close();
    await expectRefused(withMeta, "foreign-database", "not an rcc gateway outbox");

    const wrongMagic = join(dir, "wrong-magic.db");
    const lookalike = new Database(wrongMagic);
    lookalike.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value); INSERT INTO meta VALUES ('format', 'other');");
    lookalike.close();
    await expectRefused(wrongMagic, "foreign-database", "not an rcc gateway outbox");
  });

  test("refuses an outbox of a newer schema version, leaving it unchanged", async () => {
    const outbox = await openOutbox();
    await outbox.accept([item("n-1")], 1_000);
    await outbox.close();
    const raw = new Database(outbox.path);
    raw.prepare("UPDATE meta SET value = 2 WHERE key = 'schema_version'").run();
    raw.close();
    const error = await expectRefused(outbox.path, "newer-schema", "was written by a newer rcc");
    expect(error.message).toContain("schema version 2");
  });

  test("refuses a damaged outbox, leaving it unchanged", async () => {
    const outbox = await openOutbox();
    await outbox.accept(
      Array.from({ length: 500 }, (_, index) => item(`dmg-${index}`, { TEXT: `value ${index}`.repeat(5) })),
      1_000,
    );
    await outbox.close();
    const bytes = await readFile(outbox.path);
    const pageSize = bytes.readUInt16BE(16);
    expect(bytes.length).toBeGreaterThan(8 * pageSize);
    // Pages 4 to 6 overwritten (the header and the schema, on page 1, stay readable).
    randomBytes(3 * pageSize).copy(bytes, 3 * pageSize);
    await writeFile(outbox.path, bytes);
    await expectRefused(outbox.path, "damaged", "is damaged");
  });

  test("refuses a path whose directory does not exist, and does not create it", async () => {
    const path = join(dir, "no-such-directory", "outbox.db");
    await expectRefused(path, "missing-directory", "does not exist");
    await expect(stat(join(dir, "no-such-directory"))).rejects.toThrow(/ENOENT/);
  });

  test("refuses a file or directory it cannot write", async () => {
    if (process.getuid?.() === 0) {
      // Root writes through permission bits, so a read-only mode proves nothing here. /proc is a directory in
      // which nobody, root included, can create a file: the failure comes from SQLite itself.
      const path = "/proc/rcc-gateway-outbox-test.db";
      await expectRefused(path, "unwritable", "cannot be written");
      return;
    }
    const readOnlyDirectory = join(dir, "read-only");
    await mkdir(readOnlyDirectory);
    await chmod(readOnlyDirectory, 0o500);
    await expectRefused(join(readOnlyDirectory, "outbox.db"), "unwritable", "cannot be written");
    await chmod(readOnlyDirectory, 0o700);

    const outbox = await openOutbox();
    await outbox.close();
    await chmod(outbox.path, 0o400);
    await expectRefused(outbox.path, "unwritable", "cannot be written");
  });

  test("refuses an outbox another connection holds open", async () => {
    const outbox = await openOutbox();
    await outbox.accept([item("held")], 1_000);
    const error = await refusal(outbox.path);
    expect(error.reason).toBe("in-use");
    expect(error.message).toContain("is in use by another process");
    await outbox.accept([item("still-mine")], 2_000);
    expect(outbox.get("still-mine")).toBeDefined();
  });
});

describe("a writer killed with SIGKILL", () => {
  test("loses none of the writes whose promises resolved, and the file passes its integrity check", async () => {
    const path = join(dir, "killed.db");
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, path], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let accepted = 0;
    const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
    const enough = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        const text = chunk.toString();
        stdout += text;
        accepted += text.split("accepted ").length - 1;
        if (accepted >= 2_000) resolve();
      });
      child.on("exit", (code, signal) => reject(new Error(`writer ended (${code ?? signal}) early: ${stderr}`)));
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await enough;
    } finally {
      child.kill("SIGKILL");
      await closed;
    }
    expect(child.signalCode).toBe("SIGKILL");

    const printed = { accepted: new Set<string>(), sent: new Set<string>(), acked: new Set<string>() };
    for (const line of stdout.split("\n").slice(0, -1)) {
      const [word, id] = line.split(" ") as [keyof typeof printed, string];
      printed[word].add(id);
    }
    expect(printed.accepted.size).toBeGreaterThanOrEqual(2_000);

    const outbox = await openOutbox(basename(path));
    expect(outbox.integrityCheck()).toBe("ok");
    const ids = [...printed.accepted];
    const stored = outbox.getMany(ids);
    expect(stored.filter((entry) => entry === undefined)).toHaveLength(0);
    expect(new Set(stored.map((entry) => entry?.seq)).size).toBe(ids.length);
    for (const entry of stored) {
      const state = entry?.state;
      if (entry !== undefined && printed.acked.has(entry.id)) expect(state).toBe("acked");
      else if (entry !== undefined && printed.sent.has(entry.id)) expect(["sent", "acked"]).toContain(state);
      else expect(["accepted", "sent", "acked"]).toContain(state);
    }

    const log = outbox.outcomesAfter(0, 10_000);
    const cursors = log.map((record) => record.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(cursors.length);
    const logged = new Set(log.map((record) => record.item.id));
    for (const id of printed.acked) expect(logged.has(id)).toBe(true);

    // The depth counters loaded at open agree with the items themselves.
    for (const account of ["even", "odd"]) {
      let waiting = outbox.unanswered(account).length;
      for (let after = 0; ; ) {
        const page = outbox.pending(account, after, 10_000);
        if (page.length === 0) break;
        waiting += page.length;
        after = page[page.length - 1]?.seq ?? after;
      }
      expect(outbox.depth(account).items).toBe(waiting);
    }
  });
});
