/**
 * The gateway's HTTP API against the real simulator, over real sockets, with a real outbox file: every
 * endpoint and status code, bad bodies of each kind, idempotent replays (also across a restart), the outcome
 * stream with its cursor, and 429 while an account cannot drain.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  type GatewayAccount,
  type RunningGateway,
  generateApiKey,
  hashApiKey,
  startGateway,
} from "../../src/gateway/index.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { type HttpAnswer, type HttpCallOptions, httpCall } from "../helpers/http.js";
import { simContributor } from "../helpers/gateway.js";
import { closeAllSse, openSse } from "../helpers/sse.js";
import { waitFor } from "../helpers/wait-for.js";

const dir = mkdtempSync(join(tmpdir(), "rcc-gateway-http-"));
const simulators: RunningSimulator[] = [];
const gateways: RunningGateway[] = [];
let files = 0;

afterEach(async () => {
  closeAllSse();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = generateApiKey();
const narrowKey = "narrow-key-for-TRCCTEST02-only";

interface Setup {
  sim: RunningSimulator;
  gateway: RunningGateway;
  outboxPath: string;
}

function accountFor(sim: RunningSimulator, extra: Partial<GatewayAccount> = {}): GatewayAccount {
  return { name: "main", rics: ["TRCC*", "NOT.*"], contributor: simContributor(sim), ...extra };
}

async function setup(
  options: {
    account?: Partial<GatewayAccount>;
    outboxPath?: string;
    sim?: RunningSimulator;
    bodyLimitBytes?: number;
  } = {},
): Promise<Setup> {
  const sim = options.sim ?? (await startSimulator({}));
  if (options.sim === undefined) simulators.push(sim);
  const outboxPath = options.outboxPath ?? join(dir, `outbox-${(files += 1)}.db`);
  const gateway = await startGateway({
    accounts: [accountFor(sim, options.account)],
    outboxPath,
    apiKeys: [
      { name: "desk", sha256: key.sha256 },
      { name: "narrow", sha256: hashApiKey(narrowKey), rics: ["TRCCTEST02"] },
    ],
    port: 0,
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
  });
  gateways.push(gateway);
  return { sim, gateway, outboxPath };
}

/** One request; `auth` is the key to send (the desk's by default), or false for none. */
function call(
  url: string,
  options: Omit<HttpCallOptions, "bearer"> & { auth?: string | false } = {},
): Promise<HttpAnswer> {
  const { auth, ...rest } = options;
  return httpCall(url, auth === false ? rest : { ...rest, bearer: auth ?? key.key });
}

const post = (gateway: RunningGateway, body: unknown, query = "", extra: Parameters<typeof call>[1] = {}) =>
  call(`${gateway.url}/v1/contributions${query}`, {
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...extra,
  });

describe("rcc gateway HTTP API", () => {
  it("POST one item with wait=ack answers 200 with its Ack; GET shows it acked and the RIC's last value", async () => {
    const { gateway, sim } = await setup();
    const answer = await post(gateway, { ric: "TRCCTEST01", fields: { BID: 451.55, ASK: 451.57 } }, "?wait=ack");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      accepted: 1,
      refused: 0,
      items: [{ index: 0, ric: "TRCCTEST01", state: "acked" }],
    });
    const id = answer.body.items[0].id as string;
    const item = await call(`${gateway.url}/v1/contributions/${id}`);
    expect(item.status).toBe(200);
    expect(item.body).toMatchObject({ id, state: "acked", attempts: 1 });
    expect(item.body.postId).toBeGreaterThan(0);
    expect(Date.parse(item.body.settledAt)).toBeGreaterThanOrEqual(Date.parse(item.body.acceptedAt));
    const last = await call(`${gateway.url}/v1/rics/TRCCTEST01`);
    expect(last.body).toMatchObject({
      ric: "TRCCTEST01",
      fields: { BID: { value: 451.55, id }, ASK: { value: 451.57 } },
    });
    expect(sim.state.counters.acks).toBe(1);
  });

  it("wait=accepted (the default) answers 202 with one id per item once they are stored; they are acked after", async () => {
    const { gateway } = await setup();
    const items = Array.from({ length: 50 }, (_, index) => ({
      ric: `TRCCTEST0${(index % 3) + 1}`,
      fields: { BID: index },
    }));
    const answer = await post(gateway, items);
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(50);
    const ids = (answer.body.items as { id: string; state: string }[]).map((item) => item.id);
    expect(new Set(ids).size).toBe(50);
    await waitFor(
      async () => (await call(`${gateway.url}/v1/contributions/${ids[49]!}`)).body.state === "acked",
      10_000,
      "the last item acked",
    );
  });

  it("checks each item as rcc contribute checks a row: bad ones get a precise error, good ones in the same request go on", async () => {
    const { gateway } = await setup();
    const answer = await post(
      gateway,
      [
        { ric: "TRCCTEST01", fields: { BID: 1 } },
        { ric: "TRCCTEST01", fields: { BID: "abc" } },
        { ric: "TRCCTEST01", fields: { "BAD NAME": 1 } },
        { ric: "TRCCTEST01", fields: { BID: 1 }, extra: true },
        { ric: "", fields: { BID: 1 } },
        { ric: "TRCCTEST01", fields: {} },
        "not an object",
        { ric: "TRCCTEST01", fields: { BID: true } },
      ],
      "?wait=ack",
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 1, refused: 7 });
    const errors = (answer.body.items as { error?: { code: string; message: string } }[]).map((item) => item.error);
    expect(errors[0]).toBeUndefined();
    expect(errors[1]).toEqual({ code: "invalid", message: "BID must be a number, got 'abc'" });
    expect(errors[2]?.message).toMatch(/field name "BAD NAME" is not a field acronym/);
    expect(errors[3]?.message).toBe('item: unknown property "extra" (an item has ric, fields and id)');
    expect(errors[4]?.message).toMatch(/^ric: /);
    expect(errors[5]?.message).toMatch(/field/);
    expect(errors[6]?.message).toBe("an item must be a JSON object");
    expect(errors[7]?.message).toMatch(/^fields\.BID: /);
  });

  it("401 without a valid key; 403 for a RIC outside the key's scope; 422 for a RIC no account contributes", async () => {
    const { gateway } = await setup();
    const item = { ric: "TRCCTEST01", fields: { BID: 1 } };
    for (const auth of [false, "wrong-key", `${key.key}x`] as const) {
      const answer = await post(gateway, item, "", { auth });
      expect(answer.status).toBe(401);
      expect(answer.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(answer.body.error.code).toBe("unauthorized");
    }
    const forbidden = await post(gateway, item, "", { auth: narrowKey });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.items[0].error).toEqual({
      code: "forbidden",
      message: `key 'narrow' may not contribute "TRCCTEST01"`,
    });
    const allowed = await post(gateway, { ric: "TRCCTEST02", fields: { BID: 1 } }, "", { auth: narrowKey });
    expect(allowed.status).toBe(202);
    // A key sees the items within its scope only.
    const seen = await call(`${gateway.url}/v1/contributions/${allowed.body.items[0].id as string}`, {
      auth: narrowKey,
    });
    expect(seen.status).toBe(200);
    const other = await post(gateway, item);
    expect(
      (await call(`${gateway.url}/v1/contributions/${other.body.items[0].id as string}`, { auth: narrowKey })).status,
    ).toBe(404);
    const unrouted = await post(gateway, { ric: "EUR=", fields: { BID: 1 } });
    expect(unrouted.status).toBe(422);
    expect(unrouted.body.items[0].error.code).toBe("no-account");
  });

  it("bad JSON 400, unknown media type 415, a body over the limit 413, an empty array 400, a bad wait or timeout 400", async () => {
    const { gateway } = await setup({ bodyLimitBytes: 4096 });
    const bad = await post(gateway, '{"ric": "TRCCTEST01", "fields": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("bad-json");
    expect(bad.body.error.message).toMatch(/^the body is not JSON: /);
    const text = await post(gateway, "ric=TRCCTEST01", "", { headers: { "Content-Type": "text/plain" } });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe("unsupported-media-type");
    const huge = await post(gateway, JSON.stringify({ ric: "TRCCTEST01", fields: { DSPLY_NAME: "x".repeat(5000) } }));
    expect(huge.status).toBe(413);
    expect(huge.body.error).toEqual({ code: "body-too-large", message: "the body is over 4096 bytes" });
    expect((await post(gateway, [])).status).toBe(400);
    const wait = await post(gateway, { ric: "TRCCTEST01", fields: { BID: 1 } }, "?wait=forever");
    expect(wait.status).toBe(400);
    expect(wait.body.error.message).toBe(`wait must be 'accepted' or 'ack', got "forever"`);
    expect((await post(gateway, { ric: "TRCCTEST01", fields: { BID: 1 } }, "?wait=ack&timeout=-5")).status).toBe(400);
    expect((await call(`${gateway.url}/v1/nothing`)).status).toBe(404);
  });

  it("takes NDJSON: one item per line, a line that is not JSON gets its own error", async () => {
    const { gateway } = await setup();
    const body = [
      '{"ric":"TRCCTEST01","fields":{"BID":1}}',
      "",
      "{oops",
      '{"ric":"TRCCTEST02","fields":{"BID":2}}',
    ].join("\n");
    const answer = await post(gateway, body, "?wait=ack", { headers: { "Content-Type": "application/x-ndjson" } });
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(2);
    expect(answer.body.items[1].error.code).toBe("invalid");
    expect(answer.body.items[1].error.message).toMatch(/^line 3 is not JSON: /);
    expect(answer.body.items[2]).toMatchObject({ ric: "TRCCTEST02", state: "acked" });
  });

  it("a Nak is the item's outcome, with RCC's code and text", async () => {
    const { gateway, sim } = await setup();
    sim.faults.add({ type: "nak", code: "AccessDenied", ric: "TRCCTEST03" });
    const answer = await post(gateway, { ric: "TRCCTEST03", fields: { BID: 1 } }, "?wait=ack");
    expect(answer.status).toBe(200);
    expect(answer.body.items[0]).toMatchObject({ state: "naked", nakCode: "AccessDenied" });
  });

  it("Idempotency-Key: a replay returns the original ids and states and posts nothing; another body under the key is 422", async () => {
    const { gateway, sim } = await setup();
    const body = [
      { ric: "TRCCTEST01", fields: { BID: 1 } },
      { ric: "TRCCTEST01", fields: { BID: "bad" } },
    ];
    const headers = { "Idempotency-Key": "order-17" };
    const first = await post(gateway, body, "?wait=ack", { headers });
    expect(first.status).toBe(200);
    const again = await post(gateway, body, "?wait=ack", { headers });
    expect(again.status).toBe(200);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body.items[0]).toMatchObject({ id: first.body.items[0].id, state: "acked", replayed: true });
    expect(again.body.items[1].error).toBeDefined();
    expect(sim.state.counters.acks).toBe(1);
    const other = await post(gateway, [{ ric: "TRCCTEST01", fields: { BID: 2 } }], "", { headers });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency-key-reused");
    // Keys are per producer: the narrow key's "order-17" is its own.
    const narrow = await post(gateway, [{ ric: "TRCCTEST02", fields: { BID: 3 } }], "", { headers, auth: narrowKey });
    expect(narrow.status).toBe(202);
  });

  it("an item id given twice is posted once: the second time it comes back as replayed; the same id for other content is 409", async () => {
    const { gateway, sim } = await setup();
    const item = { id: "desk-1:quote-9", ric: "TRCCTEST01", fields: { BID: 5 } };
    const first = await post(gateway, item, "?wait=ack");
    expect(first.body.items[0]).toMatchObject({ id: "desk-1:quote-9", state: "acked" });
    const again = await post(gateway, item, "?wait=ack");
    expect(again.status).toBe(200);
    expect(again.body.items[0]).toMatchObject({ id: "desk-1:quote-9", state: "acked", replayed: true });
    const conflict = await post(gateway, { ...item, fields: { BID: 6 } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.items[0].error.code).toBe("id-conflict");
    expect(sim.state.counters.acks).toBe(1);
  });

  it("GET /v1/outcomes streams outcomes in order as server-sent events; a reader resumes after the cursor it saw", async () => {
    const { gateway } = await setup();
    const first = await post(
      gateway,
      [1, 2, 3].map((bid) => ({ ric: "TRCCTEST01", fields: { BID: bid } })),
      "?wait=ack",
    );
    const ids = (first.body.items as { id: string }[]).map((item) => item.id);
    const stream = await openSse(`${gateway.url}/v1/outcomes?after=0`, { Authorization: `Bearer ${key.key}` });
    expect(stream.status).toBe(200);
    const seen = [await stream.next("outcome"), await stream.next("outcome"), await stream.next("outcome")];
    expect(seen.map((event) => event.data.id as string)).toEqual(ids);
    expect(seen.every((event) => event.data.state === "acked")).toBe(true);
    const cursor = seen[2]!.id!;
    const live = await post(gateway, { ric: "TRCCTEST02", fields: { BID: 4 } });
    const next = await stream.next("outcome");
    expect(next.data).toMatchObject({ id: live.body.items[0].id, state: "acked" });
    stream.close();
    const resumed = await openSse(`${gateway.url}/v1/outcomes`, {
      Authorization: `Bearer ${key.key}`,
      "Last-Event-ID": cursor,
    });
    expect((await resumed.next("outcome")).data.id).toBe(live.body.items[0].id);
    const unauthorised = await openSse(`${gateway.url}/v1/outcomes`);
    expect(unauthorised.status).toBe(401);
  });

  it("429 with Retry-After while the account cannot drain its outbox; accepted again once it drains", async () => {
    const sim = await startSimulator({});
    simulators.push(sim);
    await sim.stopListener(0); // RCC unreachable: nothing drains
    const { gateway } = await setup({ sim, account: { maxPendingItems: 5 } });
    const five = await post(
      gateway,
      Array.from({ length: 5 }, (_, bid) => ({ ric: "TRCCTEST01", fields: { BID: bid } })),
    );
    expect(five.status).toBe(202);
    const over = await post(gateway, [
      { ric: "TRCCTEST01", fields: { BID: 9 } },
      { ric: "TRCCTEST02", fields: { BID: 9 } },
    ]);
    expect(over.status).toBe(429);
    expect(Number(over.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(over.body.items[0].error.code).toBe("outbox-full");
    const ready = await call(`${gateway.url}/readyz`, { auth: false });
    expect(ready.status).toBe(503);
    expect(ready.body.accounts[0].account).toBe("main");
    await sim.startListener(0);
    await waitFor(async () => (await call(`${gateway.url}/readyz`, { auth: false })).status === 200, 20_000, "ready");
    await waitFor(
      async () => (await post(gateway, { ric: "TRCCTEST01", fields: { BID: 10 } })).status === 202,
      10_000,
      "room",
    );
  }, 40_000);

  it("items not final when the gateway stops are sent by the next one on the same outbox; replays across the restart keep their ids", async () => {
    const sim = await startSimulator({});
    simulators.push(sim);
    await sim.stopListener(0);
    const first = await setup({ sim });
    const headers = { "Idempotency-Key": "restart-1" };
    const body = Array.from({ length: 20 }, (_, bid) => ({ ric: `TRCCTEST0${(bid % 2) + 1}`, fields: { BID: bid } }));
    const accepted = await post(first.gateway, body, "", { headers });
    expect(accepted.status).toBe(202);
    await first.gateway.close();
    gateways.splice(gateways.indexOf(first.gateway), 1);
    await sim.startListener(0);
    const second = await setup({ sim, outboxPath: first.outboxPath });
    const replay = await post(second.gateway, body, "?wait=ack", { headers });
    expect(replay.status).toBe(200);
    expect((replay.body.items as { id: string }[]).map((item) => item.id)).toEqual(
      (accepted.body.items as { id: string }[]).map((item) => item.id),
    );
    expect((replay.body.items as { state: string }[]).every((item) => item.state === "acked")).toBe(true);
    expect(sim.state.counters.acks).toBe(20);
    expect((await call(`${second.gateway.url}/v1/rics/TRCCTEST01`)).body.fields.BID.value).toBe(18);
  }, 40_000);

  it("with conflate, a backlog of one RIC is sent once with every field; the older items end conflated into the newest", async () => {
    const sim = await startSimulator({});
    simulators.push(sim);
    await sim.stopListener(0); // a backlog builds while RCC is away
    const { gateway } = await setup({ sim, account: { conflate: true } });
    const items = [
      { ric: "TRCCTEST01", fields: { BID: 1, ASK: 2 } },
      { ric: "TRCCTEST01", fields: { BID: 3 } },
      { ric: "TRCCTEST02", fields: { BID: 7 } },
      { ric: "TRCCTEST01", fields: { BID: 5 } },
    ];
    const ids: string[] = [];
    for (const item of items) ids.push(((await post(gateway, item)).body.items as { id: string }[])[0]!.id); // one by one
    expect((await call(`${gateway.url}/v1/contributions/${ids[0]!}`)).body.state).toBe("accepted"); // waiting in the outbox
    await sim.startListener(0);
    await waitFor(
      async () => (await call(`${gateway.url}/v1/contributions/${ids[3]!}`)).body.state === "acked",
      20_000,
      "acked",
    );
    const states = await Promise.all(
      ids.map(async (id) => (await call(`${gateway.url}/v1/contributions/${id}`)).body as Record<string, unknown>),
    );
    expect(states[0]).toMatchObject({ state: "conflated", conflatedInto: ids[3] });
    expect(states[1]).toMatchObject({ state: "conflated", conflatedInto: ids[3] });
    expect(states[2]).toMatchObject({ state: "acked" });
    expect(states[3]).toMatchObject({ state: "acked" });
    expect(sim.state.counters.acks).toBe(2); // one post per RIC
    expect(sim.state.rics.get("TRCCTEST01")?.fields).toMatchObject({ BID: 5, ASK: 2 });
    expect((await call(`${gateway.url}/v1/rics/TRCCTEST01`)).body.fields).toMatchObject({
      BID: { value: 5 },
      ASK: { value: 2 },
    });
  }, 30_000);

  it("health, readiness, metrics and the OpenAPI document", async () => {
    const { gateway } = await setup();
    expect((await call(`${gateway.url}/healthz`, { auth: false })).body).toEqual({ status: "ok" });
    await waitFor(() => gateway.ready(), 10_000, "logged in");
    expect((await call(`${gateway.url}/readyz`, { auth: false })).body).toMatchObject({
      ready: true,
      outbox: { writable: true },
      accounts: [{ account: "main", state: "ready" }],
    });
    await post(gateway, { ric: "TRCCTEST01", fields: { BID: 1 } }, "?wait=ack");
    const metrics = await call(`${gateway.url}/metrics`, { auth: false });
    expect(metrics.text).toMatch(/^rcc_gateway_accepted_total\{account="main"\} 1$/m);
    expect(metrics.text).toMatch(/^rcc_gateway_outcomes_total\{account="main",state="acked"\} 1$/m);
    expect(metrics.text).toMatch(/^rcc_gateway_session_state\{account="main",state="ready"\} 1$/m);
    expect(metrics.text).toMatch(/^rcc_gateway_rate_limit\{account="main"\} 1000$/m);
    expect(metrics.text).not.toContain(key.key);
    const openapi = await call(`${gateway.url}/openapi.json`, { auth: false });
    expect(openapi.body.openapi).toBe("3.1.0");
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(["/v1/contributions", "/v1/contributions/{id}", "/v1/outcomes", "/v1/rics/{ric}"]),
    );
    expect(openapi.body.components.schemas.Contribution.required).toEqual(["ric", "fields"]);
  });
});
