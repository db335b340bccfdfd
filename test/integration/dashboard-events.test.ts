/** The dashboard's live stream, GET /dashboard/events (server-sent events), without a browser. */
import { afterEach, describe, expect, test } from "vitest";
import { passwordGrant } from "../helpers/auth.js";
import { connectRaw, loginRaw, loginRequest, post, useSimulators } from "../helpers/raw-client.js";
import { closeAllSse, openSse } from "../helpers/sse.js";
import { waitFor } from "../helpers/wait-for.js";

const start = useSimulators();
afterEach(closeAllSse);

function eventsUrl(sim: { dashboardUrl: string }, query = ""): string {
  return `${sim.dashboardUrl}dashboard/events${query}`;
}

describe("the dashboard event stream", () => {
  test("starts with a snapshot of connections, last values, counters, faults and the listeners", async () => {
    const sim = await start();
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    client.send(post(1, "TRCCTEST01", { BID: 101.5, ASK: 101.75 }));
    await client.next((message) => message.Type === "Ack");
    sim.faults.add({ type: "nak", ric: "TRCCTEST02", code: "AccessDenied" });

    const stream = await openSse(eventsUrl(sim));
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(stream.headers["cache-control"]).toBe("no-store");
    const { data } = await stream.next("snapshot");
    expect(stream.retryMs).toBe(2000);
    expect(data.server).toEqual({ wsUrls: sim.wsUrls, maxMessagesPerSecond: 1000, knownRics: ["TRCCTEST*"] });
    expect(data.connections).toHaveLength(1);
    expect(data.connections[0]).toMatchObject({ id: "c1", state: "logged-in", user: sim.accounts[0]!.user, posts: 1 });
    expect(data.rics).toEqual([
      expect.objectContaining({ ric: "TRCCTEST01", fields: { BID: 101.5, ASK: 101.75 }, updates: 1 }),
    ]);
    expect(data.counters).toMatchObject({ posts: 1, acks: 1, logins: 1 });
    expect(data.faults).toEqual([expect.objectContaining({ type: "nak", ric: "TRCCTEST02", code: "AccessDenied" })]);
    expect(data.tickIntervalMs).toBe(1000);
  });

  test("connection changes arrive as they happen: connected, logged in, closed", async () => {
    const sim = await start();
    const stream = await openSse(eventsUrl(sim));
    await stream.next("snapshot");
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    expect((await stream.next("connection")).data).toMatchObject({ id: "c1", state: "connected", listener: 0 });
    expect((await stream.next("connection")).data).toMatchObject({
      id: "c1",
      state: "logged-in",
      user: sim.accounts[0]!.user,
      applicationId: "256",
      position: "127.0.0.1/rcc-test",
    });
    await client.close();
    expect((await stream.next("connection")).data).toMatchObject({ id: "c1", state: "closed" });
  });

  test("contributions are coalesced: a burst to one RIC gives at most one update per 100 ms, ending on the last values", async () => {
    const sim = await start();
    const stream = await openSse(eventsUrl(sim));
    await stream.next("snapshot");
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const started = Date.now();
    for (let id = 1; id <= 300; id += 1) client.send(post(id, "TRCCTEST01", { BID: id, ASK: id + 0.5 }));
    await client.next((message) => message.Type === "Ack" && message.AckID === 300, 5000);
    const last = await stream.next("rics", (views: any[]) => views.some((view) => view.fields.BID === 300));
    const elapsedMs = Date.now() - started;
    const updates = stream.events.filter((event) => event.type === "rics");
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 100) + 1);
    expect(updates.length).toBeLessThan(300);
    expect(last.data).toEqual([
      expect.objectContaining({ ric: "TRCCTEST01", fields: { BID: 300, ASK: 300.5 }, updates: 300 }),
    ]);
  });

  test("a Nak'd post changes no last value but counts in the next tick, with the rate and per-connection counts", async () => {
    const sim = await start();
    const stream = await openSse(eventsUrl(sim));
    await stream.next("snapshot");
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    for (let id = 1; id <= 4; id += 1) client.send(post(id, "TRCCTEST01", { BID: id }));
    client.send(post(5, "NOTKNOWN", { BID: 5 }));
    await client.next((message) => message.Type === "Ack" && message.AckID === 5);
    const tick = await stream.next("tick", (data) => data.counters.posts === 5, 3000);
    expect(tick.data.counters.naks).toEqual({ SymbolUnknown: 1 });
    expect(tick.data.connections).toEqual([
      expect.objectContaining({ id: "c1", posts: 5, acks: 4, naks: 1, errors: 0 }),
    ]);
    expect(tick.data.point.postsPerSecond).toBeGreaterThan(0);
    expect(tick.data.faults).toEqual([]);
    const rics = stream.events
      .filter((event) => event.type === "rics")
      .flatMap((event) => event.data as { ric: string }[]);
    expect(rics.map((view) => view.ric)).not.toContain("NOTKNOWN");
  });

  test("a refused login is announced with its Login Status code, the server's text and why, never the token", async () => {
    const sim = await start();
    const stream = await openSse(eventsUrl(sim));
    await stream.next("snapshot");
    const refusedToken = "a-token-the-simulator-never-issued";
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(loginRequest(refusedToken));
    const status = await client.next((message) => message.Domain === "Login");
    const refused = await stream.next("login-refused");
    expect(refused.data).toEqual({
      atMs: expect.any(Number),
      connectionId: "c1",
      listener: 0,
      remoteAddress: "127.0.0.1",
      code: status.State.Code,
      text: status.State.Text,
      reason: "token-unknown",
      relogin: false,
    });
    expect(refused.data).toMatchObject({ code: "NotEntitled", text: "Login denied: access token not recognised" });

    sim.faults.add({ type: "reject-logins", code: "NotEntitled", text: "Login denied: not entitled" });
    const { accessToken } = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    const second = await connectRaw(sim.wsUrls[0]!);
    second.send(loginRequest(accessToken));
    const byFault = await stream.next("login-refused");
    expect(byFault.data).toMatchObject({
      connectionId: "c2",
      code: "NotEntitled",
      text: "Login denied: not entitled",
      reason: "fault",
    });
    const tick = await stream.next("tick", (data) => data.counters.loginRejections === 2, 3000);
    expect(tick.data.counters.logins).toBe(0);
    const everything = JSON.stringify(stream.events);
    expect(everything).not.toContain(refusedToken);
    expect(everything).not.toContain(accessToken);
  });

  test("a fault added through the admin API is announced at once, one-shot faults included", async () => {
    const sim = await start();
    const stream = await openSse(eventsUrl(sim));
    await stream.next("snapshot");
    const response = await fetch(`${sim.adminUrl}/faults`, {
      method: "POST",
      body: JSON.stringify({ type: "delay-acks", ms: 250 }),
    });
    expect(response.status).toBe(201);
    const announced = await stream.next("faults");
    expect(announced.data.added).toMatchObject({ type: "delay-acks", ms: 250 });
    expect(announced.data.active).toEqual([expect.objectContaining({ type: "delay-acks", ms: 250 })]);
    sim.faults.add({ type: "system-busy" });
    const busy = await stream.next("faults");
    expect(busy.data.added).toMatchObject({ type: "system-busy" });
    expect(busy.data.active).toHaveLength(1); // one-shot faults are not kept
  });

  test("pages share one feed, and its listeners are removed when the last page goes away", async () => {
    const sim = await start();
    const before = sim.state.listenerCount("contribution");
    const faultListenersBefore = sim.faults.listenerCount("fault");
    const first = await openSse(eventsUrl(sim));
    const second = await openSse(eventsUrl(sim));
    await Promise.all([first.next("snapshot"), second.next("snapshot")]);
    expect(sim.state.listenerCount("contribution")).toBe(before + 1);
    expect(sim.state.listenerCount("connection")).toBe(1);
    first.close();
    second.close();
    await waitFor(() => sim.state.listenerCount("contribution") === before, 2000, "the feed to stop");
    expect(sim.state.listenerCount("connection")).toBe(0);
    expect(sim.faults.listenerCount("fault")).toBe(faultListenersBefore);
  });

  test("closing the simulator ends open streams", async () => {
    const sim = await start();
    const stream = await openSse(eventsUrl(sim));
    await stream.next("snapshot");
    await sim.close();
    await stream.ended;
    expect(sim.state.listenerCount("contribution")).toBe(0);
  });
});

describe("the dashboard event stream with an admin token", () => {
  const adminToken = "dashboard-test-token";

  test("is refused without the token or with a wrong one", async () => {
    const sim = await start({ adminToken });
    for (const [query, headers] of [
      ["", {}],
      ["?token=wrong", {}],
      ["", { Authorization: "Bearer wrong" }],
    ] as const) {
      const stream = await openSse(eventsUrl(sim, query), headers);
      await stream.ended;
      expect(stream.status).toBe(401);
      expect(JSON.parse(stream.text)).toMatchObject({ error: "unauthorized" });
      expect(stream.text).not.toContain(adminToken);
    }
    expect(sim.state.listenerCount("contribution")).toBe(0);
  });

  test("is open with the token as a query parameter (EventSource) or as a bearer header", async () => {
    const sim = await start({ adminToken });
    const byQuery = await openSse(eventsUrl(sim, `?token=${adminToken}`));
    expect(byQuery.status).toBe(200);
    await byQuery.next("snapshot");
    const byHeader = await openSse(eventsUrl(sim), { Authorization: `Bearer ${adminToken}` });
    expect(byHeader.status).toBe(200);
    await byHeader.next("snapshot");
  });

  test("leaves the page itself open: it holds no data", async () => {
    const sim = await start({ adminToken });
    const response = await fetch(sim.dashboardUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
  });
});
