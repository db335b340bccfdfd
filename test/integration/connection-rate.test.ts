/** The rate governor against the simulator's sliding-window counter (§3.3, §3.4, §4 item 26). */
import { afterEach, describe, expect, test } from "vitest";
import { cleanup, contributor, simulator } from "./client-fixtures.js";

afterEach(cleanup);

describe("rate governor", () => {
  test("§4 item 26: three times the advertised limit is delivered without any window over it, pongs included", async () => {
    const limit = 200;
    const sim = await simulator({ maxMessagesPerSecond: limit, pingIntervalMs: 100 });
    const client = contributor(sim, { pingIntervalMs: 100 });
    await client.connect();
    expect(client.stats().maxMessagesPerSecond).toBe(limit);
    const started = Date.now();
    const acks = await Promise.all(
      Array.from({ length: 3 * limit }, (_, index) => client.contribute(`TRCCTEST${index % 7}`, { BID: index })),
    );
    const elapsedMs = Date.now() - started;
    expect(acks).toHaveLength(3 * limit);
    expect(client.stats().naked).toEqual({}); // the simulator Naks posts over the limit with NoResources
    expect(sim.state.maxMessagesInWindow).toBeLessThanOrEqual(limit);
    expect(sim.state.messagesOverLimit).toBe(0);
    expect(sim.state.counters.pongsReceived).toBeGreaterThan(0);
    // 600 posts + login + pongs need three windows: the governor waited, but not much longer than needed.
    expect(elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(elapsedMs).toBeLessThan(6000);
  }, 15_000);

  test("scales the advertised limit by safetyFactor and never exceeds the scaled limit", async () => {
    const sim = await simulator({ maxMessagesPerSecond: 50 });
    const client = contributor(sim, { defaultMaxMessagesPerSecond: 40, safetyFactor: 0.5 });
    await client.connect();
    // The simulator advertises 50: the advertised value wins over the default.
    expect(client.stats().maxMessagesPerSecond).toBe(50);
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, index) => client.contribute("TRCCTEST01", { BID: index })),
    );
    expect(acks).toHaveLength(30);
    // safetyFactor 0.5 → at most 25 messages in any window on our side.
    expect(sim.state.maxMessagesInWindow).toBeLessThanOrEqual(25);
  }, 10_000);
});
