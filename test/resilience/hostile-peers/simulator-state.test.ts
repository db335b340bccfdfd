/**
 * Hostile peers: a client with the demo account fills the simulator's last-value table (`TRCCTEST*` accepts any
 * name). The table is bounded in RICs, RIC length, fields per RIC and value size, each refusal a Nak naming the
 * limit; `/admin/state` and the dashboard's snapshot carry one page of the newest RICs plus the totals, never the
 * whole table. After every attack the simulator still serves a healthy connection (fuzz-environment's poster).
 * Real sockets on 127.0.0.1.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type SseStream, closeAllSse, openSse } from "../../helpers/sse.js";
import { post, type RawClient } from "../../helpers/raw-client.js";
import { useFuzzEnvironment } from "../helpers/fuzz-environment.js";
import { fillRics } from "./helpers/ric-filler.js";

const FAST = { maxMessagesPerSecond: 1_000_000 } as const;

afterEach(() => closeAllSse());

async function adminState(adminUrl: string, query = ""): Promise<{ bytes: number; body: any }> {
  const text = await (await fetch(`${adminUrl}/state${query}`)).text();
  return { bytes: Buffer.byteLength(text), body: JSON.parse(text) };
}

async function snapshotOf(adminUrl: string): Promise<{ bytes: number; data: any; stream: SseStream }> {
  const stream = await openSse(`${adminUrl.replace(/\/admin$/, "")}/dashboard/events`);
  const snapshot = await stream.next("snapshot", undefined, 5_000);
  const bytes = Buffer.byteLength(JSON.stringify(snapshot.data));
  return { bytes, data: snapshot.data, stream };
}

async function answerTo(client: RawClient, message: Record<string, unknown>): Promise<Record<string, any>> {
  client.send(message);
  return client.next((reply) => reply.Type === "Ack" && reply.AckID === message.PostID);
}

const names = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(6, "0")}`);

describe("with small caps (500 RICs, 5 fields per RIC, 100-byte values)", () => {
  const env = useFuzzEnvironment({
    ...FAST,
    maxRics: 500,
    maxFieldsPerRic: 5,
    maxFieldValueBytes: 100,
    fields: { BLOB_TEXT: { fid: 30_001, type: "rmtes" } },
  });

  it("Naks every new RIC beyond maxRics NoResources with the limit in the text, and keeps serving the RICs it holds", async () => {
    await vi.waitFor(() => expect(env.sim.state.rics.has("TRCCTEST01")).toBe(true));
    const client = await env.login();
    const result = await fillRics(client, names("TRCCTESTF", 800), () => ({ BID: 1 }));
    expect(result.acked).toBe(499); // TRCCTEST01 of the healthy poster is the 500th
    expect(result.naks).toHaveLength(301);
    for (const nak of result.naks) {
      expect(nak).toMatchObject({ NakCode: "NoResources" });
      expect(nak.Text).toContain("The simulator holds at most 500 RICs");
    }
    expect(env.sim.state.rics.size).toBe(500);
    // A RIC already held still takes updates.
    expect(await answerTo(client, post(1, "TRCCTESTF000001", { BID: 2 }))).not.toHaveProperty("NakCode");
    const { body } = await adminState(env.sim.adminUrl, "?limit=10");
    expect(body.counts.rics).toBe(500);
    // The newest update first (the healthy poster's TRCCTEST01 may be newer still).
    expect(Object.keys(body.rics).slice(0, 2)).toContain("TRCCTESTF000001");
    const times = Object.values(body.rics).map((ric: any) => Date.parse(ric.lastUpdate));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(body.page).toMatchObject({ offset: 0, limit: 10, returned: 10, total: 500, nextOffset: 10 });
    const last = await adminState(env.sim.adminUrl, "?limit=10&offset=495");
    expect(last.body.page).toEqual({ offset: 495, limit: 10, returned: 5, total: 500 });
    expect((await fetch(`${env.sim.adminUrl}/state?limit=0`)).status).toBe(400);
    await client.close();
  });

  it("Naks a post that would give a RIC more than maxFieldsPerRic fields, merged or at once", async () => {
    const client = await env.login();
    const many = await answerTo(client, post(2, "TRCCTEST01", { ASK: 1, BIDSIZE: 1, ASKSIZE: 1, HIGH_1: 1, LOW_1: 1 }));
    expect(many).toMatchObject({ NakCode: "NoResources" });
    expect(many.Text).toContain("A RIC holds at most 5 fields; TRCCTEST01 would hold 6");
    expect(await answerTo(client, post(3, "TRCCTEST01", { ASK: 1, BIDSIZE: 1 }))).not.toHaveProperty("NakCode");
    expect(await answerTo(client, post(4, "TRCCTEST01", { BID: 3, ASK: 2, BIDSIZE: 2 }))).not.toHaveProperty("NakCode");
    expect(Object.keys(env.sim.state.rics.get("TRCCTEST01")!.fields).sort()).toEqual(["ASK", "BID", "BIDSIZE"]);
    await client.close();
  });

  it("Naks InvalidContent any string value over maxFieldValueBytes, counted in UTF-8 bytes", async () => {
    const client = await env.login();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.constantFrom("a", "é", "€"), async (count, char) => {
        const value = char.repeat(count);
        const bytes = Buffer.byteLength(value);
        const reply = await answerTo(client, post(5, "TRCCTEST01", { BLOB_TEXT: value }));
        if (bytes <= 100) {
          expect(reply).not.toHaveProperty("NakCode");
          expect(env.sim.state.rics.get("TRCCTEST01")!.fields.BLOB_TEXT).toBe(value);
        } else {
          expect(reply).toMatchObject({ NakCode: "InvalidContent" });
          expect(reply.Text).toBe(`Invalid value for BLOB_TEXT: ${bytes} bytes, at most 100 allowed`);
          expect(env.sim.state.rics.get("TRCCTEST01")!.fields.BLOB_TEXT).not.toBe(value);
        }
      }),
      { numRuns: 60 },
    );
    await client.close();
  });
});

describe("with the default caps", () => {
  const env = useFuzzEnvironment(FAST);

  it("Naks SymbolUnknown a post to any RIC longer than 32 characters and stores nothing for it", async () => {
    const client = await env.login();
    const before = env.sim.state.rics.size;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 9, max: 40_000 }), async (length) => {
        const ric = `TRCCTEST${"X".repeat(length - 8)}`;
        const reply = await answerTo(client, post(6, ric, { BID: 1 }));
        if (length <= 32) {
          expect(reply).not.toHaveProperty("NakCode");
        } else {
          expect(reply).toMatchObject({ NakCode: "SymbolUnknown" });
          expect(reply.Text).toBe("Symbol unknown (RIC names are at most 32 characters)");
          expect(env.sim.state.rics.has(ric)).toBe(false);
        }
      }),
      { numRuns: 80 },
    );
    for (const ric of env.sim.state.rics.keys()) expect(ric.length).toBeLessThanOrEqual(32);
    expect(env.sim.state.rics.size).toBeGreaterThanOrEqual(before);
    await client.close();
  });

  it("keeps /admin/state and the dashboard snapshot to one page of a few MB after 20,000 RICs of large values", async () => {
    const client = await env.login();
    const row = "R".repeat(80);
    const large = Object.fromEntries(Array.from({ length: 25 }, (_, index) => [`ROW80_${index + 1}`, row]));
    const started = performance.now();
    const result = await fillRics(client, names("TRCCTEST2", 20_000), () => ({ ...large, DSPLY_NMLL: "N".repeat(32) }));
    expect(result.naks).toEqual([]);
    expect(result.acked).toBe(20_000);
    const total = env.sim.state.rics.size;
    expect(total).toBeGreaterThan(20_000);

    const state = await adminState(env.sim.adminUrl);
    expect(state.body.counts.rics).toBe(total);
    expect(Object.keys(state.body.rics)).toHaveLength(1_000);
    expect(state.body.page).toMatchObject({ returned: 1_000, total, nextOffset: 1_000 });
    expect(state.bytes).toBeLessThan(4 * 1024 * 1024);
    const askedForMore = await adminState(env.sim.adminUrl, "?limit=1000000");
    expect(askedForMore.body.page.limit).toBe(1_000);

    const snapshot = await snapshotOf(env.sim.adminUrl);
    expect(snapshot.data.rics).toHaveLength(1_000);
    expect(snapshot.data.ricsTotal).toBe(total);
    expect(snapshot.bytes).toBeLessThan(4 * 1024 * 1024);
    // The snapshot's RICs are the newest ones: the last of the fill is among them.
    expect(snapshot.data.rics.map((view: { ric: string }) => view.ric)).toContain("TRCCTEST2019999");
    snapshot.stream.close();

    const messages = await (await fetch(`${env.sim.adminUrl}/messages?limit=100000`)).text();
    expect(Buffer.byteLength(messages)).toBeLessThanOrEqual(4 * 1024 * 1024 + 1024);
    expect(JSON.parse(messages).page.limit).toBe(1_000);
    const contributions = await (await fetch(`${env.sim.adminUrl}/contributions?limit=100000`)).text();
    expect(Buffer.byteLength(contributions)).toBeLessThanOrEqual(4 * 1024 * 1024 + 1024);
    console.info(
      `filled ${result.acked} RICs in ${Math.round(performance.now() - started)} ms; /admin/state ${state.bytes} B, ` +
        `snapshot ${snapshot.bytes} B, /admin/messages ${Buffer.byteLength(messages)} B, ` +
        `/admin/contributions ${Buffer.byteLength(contributions)} B`,
    );
    await client.close();
  }, 20_000);
});
