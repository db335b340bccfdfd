/**
 * The gateway under simulator faults during a stream of accepted items — dropped connections, "System busy",
 * failing token grants, dropped Acks — and through a graceful stop: every accepted id ends with exactly one
 * final outcome, and RCC (the simulator) and the outbox agree on the last value of every RIC. Also: HTTPS on
 * the listener, and 503 for requests that arrive while the gateway stops.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type RunningGateway, generateApiKey, startGateway } from "../../src/gateway/index.js";
import { type FaultSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { generateSelfSigned } from "../../src/simulator/tls.js";
import { httpCall } from "../helpers/http.js";
import { expectOneFinalOutcomeEach, simContributor } from "../helpers/gateway.js";
import { closeAllSse, openSse } from "../helpers/sse.js";

const dir = mkdtempSync(join(tmpdir(), "rcc-gateway-faults-"));
const simulators: RunningSimulator[] = [];
const gateways: RunningGateway[] = [];
let files = 0;
const key = generateApiKey();

afterEach(async () => {
  closeAllSse();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(
  sim: RunningSimulator,
  extra: { tls?: { cert: string; key: string }; ackTimeoutMs?: number } = {},
): Promise<RunningGateway> {
  const { ackTimeoutMs = 1_000, ...gatewayOptions } = extra;
  const gateway = await startGateway({
    accounts: [
      {
        name: "main",
        rics: ["*"],
        contributor: {
          ...simContributor(sim),
          ackTimeoutMs, // dropped Acks come back as re-sends within the test's time
          backoff: { initialDelayMs: 50, maxDelayMs: 300 },
          retry: { maxAttempts: 10, initialDelayMs: 50 },
        },
      },
    ],
    outboxPath: join(dir, `faults-${(files += 1)}.db`),
    apiKeys: [{ name: "desk", sha256: key.sha256 }],
    port: 0,
    ...gatewayOptions,
  });
  gateways.push(gateway);
  return gateway;
}

describe("rcc gateway under faults", () => {
  it("drop connection, System busy, token errors and dropped Acks during a stream: every accepted id has exactly one final outcome, RCC and the outbox agree on every RIC", async () => {
    const sim = await startSimulator({ maxMessagesPerSecond: 2_000 });
    simulators.push(sim);
    const gateway = await start(sim);
    const stream = await openSse(`${gateway.url}/v1/outcomes?after=0`, { Authorization: `Bearer ${key.key}` });
    const accepted: string[] = [];
    const faults: FaultSpec[] = [
      { type: "disconnect" },
      { type: "system-busy" },
      { type: "token-errors", status: 503, count: 2 },
      { type: "drop-acks", count: 20 },
      { type: "disconnect" },
    ];
    let sequence = 0;
    for (let round = 0; round < 25; round++) {
      if (round % 5 === 2) sim.faults.add(faults[Math.floor(round / 5)]!);
      const batch = Array.from({ length: 40 }, () => {
        sequence += 1;
        return { ric: `TRCCTEST0${(sequence % 9) + 1}`, fields: { BID: sequence, ASK: sequence + 0.5 } };
      });
      const answer = await httpCall(`${gateway.url}/v1/contributions`, {
        bearer: key.key,
        body: JSON.stringify(batch),
      });
      expect(answer.status).toBe(202);
      for (const item of answer.body.items as { id: string }[]) accepted.push(item.id);
      await new Promise((resolve) => setTimeout(resolve, 40)); // a stream over time, so faults land mid-way
    }
    expect(accepted).toHaveLength(1_000);
    const finals = await expectOneFinalOutcomeEach(stream, accepted, 45_000);
    for (let index = 1; index <= 9; index++) {
      const ric = `TRCCTEST0${index}`;
      const last = await httpCall(`${gateway.url}/v1/rics/${ric}`, { bearer: key.key });
      expect(sim.state.rics.get(ric)?.fields, ric).toMatchObject({
        BID: last.body.fields.BID.value,
        ASK: last.body.fields.ASK.value,
      });
    }
    // Each acked outcome is one Ack RCC sent (the rest were superseded: newer items carried their fields).
    const acked = accepted.filter((id) => finals.get(id)![0] === "acked").length;
    expect(acked).toBeGreaterThan(900);
    expect(sim.state.counters.acks).toBeGreaterThanOrEqual(acked);
  }, 60_000);

  it("an item whose Acks never come is sent 5 times in all, then failed with the reason, never lost", async () => {
    const sim = await startSimulator({});
    simulators.push(sim);
    sim.faults.add({ type: "drop-acks", ric: "TRCCTEST05" }); // RCC applies it, the Ack never arrives
    const gateway = await start(sim, { ackTimeoutMs: 200 });
    const answer = await httpCall(`${gateway.url}/v1/contributions?wait=ack`, {
      bearer: key.key,
      body: JSON.stringify({ ric: "TRCCTEST05", fields: { BID: 1 } }),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.items[0]).toMatchObject({ state: "failed", attempts: 5 });
    expect(answer.body.items[0].text).toMatch(
      /^no answer from RCC after 5 sendings \(the last: no Ack for post \d+ to TRCCTEST05 within 200 ms\); RCC may have applied it$/,
    );
    expect(sim.state.contributions("TRCCTEST05")).toHaveLength(5);
  }, 30_000);

  it("answers 503 to contributions that arrive while it stops, and keeps what it accepted for the next start", async () => {
    const sim = await startSimulator({ maxMessagesPerSecond: 50 });
    simulators.push(sim);
    const gateway = await start(sim);
    const items = Array.from({ length: 200 }, (_, bid) => ({ ric: "TRCCTEST01", fields: { BID: bid } }));
    expect(
      (await httpCall(`${gateway.url}/v1/contributions`, { bearer: key.key, body: JSON.stringify(items) })).status,
    ).toBe(202);
    const closing = gateway.close();
    const late = await httpCall(`${gateway.url}/v1/contributions`, {
      bearer: key.key,
      body: JSON.stringify({ ric: "TRCCTEST01", fields: { BID: 1 } }),
    }).catch((error: unknown) => error as Error);
    // Either the 503 of a gateway that is stopping, or no listener any more: never a 202 that would be lost.
    if (!(late instanceof Error)) {
      expect(late.status).toBe(503);
      expect(late.body.error.code).toBe("shutting-down");
    }
    await closing;
    gateways.splice(gateways.indexOf(gateway), 1);
  }, 30_000);

  it("a start refused for a bad account option or bad TLS material leaves the outbox file closed and usable", async () => {
    const sim = await startSimulator({});
    simulators.push(sim);
    const outboxPath = join(dir, "refused-start.db");
    const base = { outboxPath, apiKeys: [{ name: "desk", sha256: key.sha256 }], port: 0 };
    const { clientId, ...contributor } = simContributor(sim);
    await expect(
      startGateway({
        ...base,
        accounts: [{ name: "main", rics: ["*"], contributor: { ...contributor, clientId: "" } }],
      }),
    ).rejects.toThrow(/clientId/);
    await expect(
      startGateway({
        ...base,
        accounts: [{ name: "main", rics: ["*"], contributor: { ...contributor, clientId } }],
        tls: { cert: "not a certificate", key: "not a key" },
      }),
    ).rejects.toThrow();
    // Neither left the file locked: a gateway starts on it.
    const gateway = await startGateway({
      ...base,
      accounts: [{ name: "main", rics: ["*"], contributor: { ...contributor, clientId } }],
    });
    gateways.push(gateway);
    expect((await httpCall(`${gateway.url}/healthz`)).status).toBe(200);
  });

  it("serves HTTPS with --tls-cert/--tls-key material", async () => {
    const material = await generateSelfSigned();
    const sim = await startSimulator({});
    simulators.push(sim);
    const gateway = await start(sim, { tls: { cert: material.cert, key: material.key } });
    expect(gateway.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(`${gateway.url}/healthz`, { ca: material.cert, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
  });
});
