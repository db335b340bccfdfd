/**
 * Server pings, idle detection and Pong answers (docs/protocol.md §2.7; checklist items 18 and 19).
 * Intervals are shrunk to tens of milliseconds.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/util/clock.js";
import { connectRaw, loginRaw, useSimulators } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

const simulator = useSimulators();
const PING_INTERVAL_MS = 50;

describe("RCC pings", () => {
  it('§4 item 18: pings every interval as [{"Type":"Ping"}] and cuts a client silent for three pings', async () => {
    const sim = await simulator({ pingIntervalMs: PING_INTERVAL_MS, missedPingsBeforeDisconnect: 3 });
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const startedAt = Date.now();
    const closed = await client.closed;
    const elapsed = Date.now() - startedAt;
    expect(closed.code).toBe(1008);
    const pings = client.frames.filter((frame) => frame === '[{"Type":"Ping"}]');
    expect(pings).toHaveLength(3);
    // Three pings, then the cut at the fourth interval.
    expect(elapsed).toBeGreaterThanOrEqual(3 * PING_INTERVAL_MS);
    expect(sim.state.counters.pingsSent).toBe(3);
  });

  it("§4 item 18: any inbound message resets the count, so a client answering pings stays connected", async () => {
    const clock = new ManualClock();
    const sim = await simulator({ clock, pingIntervalMs: PING_INTERVAL_MS, missedPingsBeforeDisconnect: 2 });
    const client = await connectRaw(sim.wsUrls[0]!);
    client.ws.on("message", (data: Buffer) => {
      if (data.toString("utf8") === '[{"Type":"Ping"}]') client.send({ Type: "Pong" });
    });
    const silent = await connectRaw(sim.wsUrls[0]!);
    await waitFor(() => sim.state.connections.size === 2, 2000, "both connections at the simulator");
    // Each interval: one Ping to each, and the answering client's Pong back before time moves on.
    for (let interval = 1; interval <= 3; interval++) {
      clock.advance(PING_INTERVAL_MS);
      await waitFor(() => sim.state.counters.pongsReceived === interval, 2000, `Pong ${interval}`);
    }
    await silent.closed;
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    clock.advance(PING_INTERVAL_MS);
    await waitFor(() => sim.state.counters.pongsReceived === 4, 2000, "Pong 4");
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(sim.state.counters.pongsReceived).toBeGreaterThanOrEqual(3);
  });

  it("§4 item 18: the stop-pings fault silences the server without cutting the silent client", async () => {
    const sim = await simulator({ pingIntervalMs: PING_INTERVAL_MS, missedPingsBeforeDisconnect: 1 });
    sim.faults.add({ type: "stop-pings", listener: 0 });
    const client = await connectRaw(sim.wsUrls[0]!);
    await client.none(() => true, 5 * PING_INTERVAL_MS);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    sim.faults.clear("stop-pings");
    await client.next((message) => message.Type === "Ping", 1_000);
  });

  it("§4 item 19: answers a JSON Ping with a Pong and a WebSocket control ping with a pong", async () => {
    const sim = await simulator();
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send({ Type: "Ping" });
    expect(await client.next()).toEqual({ Type: "Pong" });
    const pong = new Promise<string>((resolve) => client.ws.once("pong", (data) => resolve(data.toString())));
    client.ws.ping("are-you-there");
    expect(await pong).toBe("are-you-there");
  });
});
