/**
 * The consumer on the self-healing session, against the real simulator over real sockets: every open item is
 * requested again after a dropped connection, "System busy" (§2.6) and a failover (§3.6); a token refresh is a
 * `Refresh:false` re-login that leaves the item streams flowing (§2.4); close() ends the item streams, then the
 * Login (§3.7 step 8).
 */
import { afterEach, describe, expect, test } from "vitest";
import { Consumer, type ConsumerOptions, type ConsumerStatusEvent } from "../../src/client/consumer/consumer.js";
import type { ItemEvent } from "../../src/client/consumer/item-events.js";
import { LoginRefusedError } from "../../src/client/errors.js";
import type { RunningSimulator } from "../../src/simulator/index.js";
import { cleanup, contributor, FAST, ManualRefreshAuth, simulator, waitFor } from "./client-fixtures.js";

const consumers = new Set<Consumer>();

afterEach(async () => {
  await Promise.all([...consumers].map((consumer) => consumer.close()));
  consumers.clear();
  await cleanup();
});

/** A consumer of `sim` logged in with a token of its first account, recording what it reports. */
function consumerOf(sim: RunningSimulator, overrides: Partial<ConsumerOptions> = {}) {
  const auth = new ManualRefreshAuth(sim);
  const consumer = new Consumer({
    urls: sim.wsUrls,
    login: { kind: "token", auth },
    backoff: FAST.backoff,
    loginTimeoutMs: FAST.loginTimeoutMs,
    connectTimeoutMs: FAST.connectTimeoutMs,
    ...overrides,
  });
  consumers.add(consumer);
  const items: ItemEvent[] = [];
  const statuses: ConsumerStatusEvent[] = [];
  consumer.onEvent((event) => items.push(event));
  consumer.onStatus((event) => statuses.push(event));
  return { consumer, auth, items, statuses };
}

/** What the simulator received, in order, as the client sent it. */
function received(sim: RunningSimulator): Record<string, unknown>[] {
  return sim.state.recordedMessages.toArray().map((entry) => entry.message as Record<string, unknown>);
}

/** The item Requests (no `Type`, a MarketPrice `Key`) the simulator received for stream `id`. */
function requestsFor(sim: RunningSimulator, id: number): Record<string, unknown>[] {
  return received(sim).filter((message) => message.ID === id && message.Type === undefined && "Key" in message);
}

/** A connected contributor whose posts the consumer sees as Updates (§4A.6 rule 5). */
async function posterOf(sim: RunningSimulator, urls: readonly string[] = sim.wsUrls) {
  const poster = contributor(sim, { urls });
  await poster.connect();
  return poster;
}

const refreshes = (items: readonly ItemEvent[], ric: string): number =>
  items.filter((event) => event.type === "Refresh" && event.ric === ric).length;

describe("the consumer on the self-healing session", () => {
  test("after a dropped connection every open item is requested again, and a stream the server ended is not", async () => {
    const sim = await simulator();
    const { consumer, items, statuses } = consumerOf(sim);
    const info = await consumer.open();
    expect(info.user).toBe(sim.accounts[0]!.user);
    expect(consumer.subscribe(["TRCCTEST01", "TRCCTEST02", "NOPE.N"])).toEqual([2, 3, 4]);
    await waitFor(() => refreshes(items, "TRCCTEST02") === 1 && items.some((e) => e.ric === "NOPE.N"), 3000, "images");
    expect(consumer.openItems).toEqual(["TRCCTEST01", "TRCCTEST02"]); // NotFound is Closed: over for good

    sim.faults.add({ type: "disconnect" });
    await waitFor(() => statuses.some((event) => event.type === "resubscribed"), 3000, "a resubscription");
    await waitFor(() => refreshes(items, "TRCCTEST01") === 2 && refreshes(items, "TRCCTEST02") === 2, 3000, "images");
    expect(statuses.find((event) => event.type === "reconnecting")).toMatchObject({ attempt: 1 });
    expect(statuses.find((event) => event.type === "resubscribed")).toEqual({
      type: "resubscribed",
      url: sim.wsUrls[0],
      items: 2,
    });
    expect(requestsFor(sim, 2)).toHaveLength(2);
    expect(requestsFor(sim, 3)).toHaveLength(2);
    expect(requestsFor(sim, 4)).toHaveLength(1);

    const poster = await posterOf(sim);
    await poster.contribute("TRCCTEST01", { BID: 7.5 });
    await waitFor(() => items.some((event) => event.type === "Update"), 3000, "an Update");
    expect(items.find((event) => event.type === "Update")).toMatchObject({ ric: "TRCCTEST01", fields: { BID: 7.5 } });
    expect(consumer.reconnects).toBe(1);
  });

  test('"System busy" closes the login; the consumer logs in again and its items keep updating', async () => {
    const sim = await simulator();
    const { consumer, items, statuses } = consumerOf(sim);
    await consumer.open();
    consumer.subscribe(["TRCCTEST01"]);
    await waitFor(() => refreshes(items, "TRCCTEST01") === 1, 3000, "the image");

    sim.faults.add({ type: "system-busy" });
    await waitFor(() => statuses.some((event) => event.type === "resubscribed"), 3000, "a resubscription");
    const reconnecting = statuses.find((event) => event.type === "reconnecting");
    expect(reconnecting?.type === "reconnecting" && reconnecting.cause).toBeInstanceOf(LoginRefusedError);
    expect(reconnecting).toMatchObject({ cause: { stateCode: "NoResources", text: "System busy" } });
    expect(sim.state.counters.logins).toBe(2);

    const poster = await posterOf(sim);
    await poster.contribute("TRCCTEST01", { ASK: 12 });
    await waitFor(() => items.some((event) => event.type === "Update"), 3000, "an Update");
    expect(consumer.state).toBe("ready");
  });

  test("a token refresh is a Refresh:false re-login on the open connection, and Updates keep coming", async () => {
    const sim = await simulator();
    const { consumer, auth, items, statuses } = consumerOf(sim);
    await consumer.open();
    consumer.subscribe(["TRCCTEST03"]);
    await waitFor(() => refreshes(items, "TRCCTEST03") === 1, 3000, "the image");
    const poster = await posterOf(sim);
    await poster.contribute("TRCCTEST03", { BID: 1 });
    await waitFor(() => items.filter((event) => event.type === "Update").length === 1, 3000, "an Update");

    const token = await auth.refreshNow();
    await waitFor(() => statuses.some((event) => event.type === "token-refreshed"), 3000, "the re-login");
    expect(statuses.find((event) => event.type === "token-refreshed")).toEqual({
      type: "token-refreshed",
      expiresAtMs: token.expiresAtMs,
    });
    const relogins = () => received(sim).filter((message) => message.Domain === "Login" && message.Refresh === false);
    await waitFor(() => relogins().length === 1, 3000, "the Refresh:false Login at the server");

    await poster.contribute("TRCCTEST03", { BID: 2 });
    await waitFor(() => items.filter((event) => event.type === "Update").length === 2, 3000, "a second Update");
    expect(items.at(-1)).toMatchObject({ type: "Update", ric: "TRCCTEST03", fields: { BID: 2 } });
    expect(consumer.reconnects).toBe(0);
    expect(refreshes(items, "TRCCTEST03")).toBe(1); // the same stream, never re-requested
  });

  test("fails over to the second URL when the first stops, and requests its items there", async () => {
    const sim = await simulator({ listeners: 2 });
    const { consumer, items, statuses } = consumerOf(sim);
    await consumer.open();
    expect(consumer.url).toBe(sim.wsUrls[0]);
    consumer.subscribe(["TRCCTEST04"]);
    await waitFor(() => refreshes(items, "TRCCTEST04") === 1, 3000, "the image");

    await sim.stopListener(0);
    await waitFor(() => statuses.some((event) => event.type === "resubscribed"), 5000, "a failover");
    expect(statuses.find((event) => event.type === "resubscribed")).toMatchObject({ url: sim.wsUrls[1], items: 1 });
    await waitFor(() => refreshes(items, "TRCCTEST04") === 2, 3000, "the image again");
    expect(sim.listeners[1]!.connections).toBe(1);

    const poster = await posterOf(sim, [sim.wsUrls[1]!]);
    await poster.contribute("TRCCTEST04", { BID: 3 });
    await waitFor(() => items.some((event) => event.type === "Update"), 3000, "an Update");
  });

  test("close() sends the item Closes, then the Login Close, then closes the socket", async () => {
    const sim = await simulator();
    const { consumer, items, statuses } = consumerOf(sim);
    await consumer.open();
    consumer.subscribe(["TRCCTEST01", "TRCCTEST02", "NOPE.N"]);
    await waitFor(() => items.length === 3, 3000, "three answers");

    await consumer.close();
    await expect(consumer.closed).resolves.toBeUndefined();
    expect(consumer.state).toBe("closed");
    expect(statuses.at(-1)).toEqual({ type: "closed" });
    const closes = received(sim).filter((message) => message.Type === "Close");
    expect(closes).toEqual([
      { ID: 2, Type: "Close" },
      { ID: 3, Type: "Close" },
      { ID: 1, Type: "Close", Domain: "Login" },
    ]);
    await waitFor(() => sim.state.connections.size === 0, 2000, "the connection to close");
  });
});
