/** Connect, log in, contribute and close against the real simulator (§2.4, §2.5, §2.8, §2.9, §3.3, §3.7). */
import { afterEach, describe, expect, test } from "vitest";
import { SessionClosedError, ValidationError } from "../../src/client/errors.js";
import {
  ManualRefreshAuth,
  cleanup,
  contributor,
  recordStatus,
  recorded,
  simulator,
  waitFor,
} from "./client-fixtures.js";

afterEach(cleanup);

const isPost = (message: any): boolean => message.Type === "Post";

describe("connecting and contributing", () => {
  test("§4 item 13: logs in with an AuthnToken, ApplicationId and Position, and gets an Ack for a post", async () => {
    const sim = await simulator({ maxMessagesPerSecond: 5000 });
    const client = contributor(sim, { applicationId: "257", position: "10.0.0.5/testhost" });
    await client.connect();
    expect(client.state).toBe("ready");
    const ack = await client.contribute("TRCCTEST01", { BID: 451.55, ASK: 451.57, DSPLY_NAME: "Hello RCC" });
    expect(ack).toMatchObject({ ric: "TRCCTEST01", postId: 1 });
    expect(ack.latencyMs).toBeGreaterThanOrEqual(0);
    expect(sim.state.rics.get("TRCCTEST01")?.fields).toMatchObject({ BID: 451.55, ASK: 451.57 });
    const login = recorded(sim, (message) => message.Domain === "Login" && message.Key !== undefined)[0]!;
    expect(login.Key.NameType).toBe("AuthnToken");
    expect(login.Key.Elements).toMatchObject({ ApplicationId: "257", Position: "10.0.0.5/testhost" });
    expect(login.Refresh).toBeUndefined();
    expect(client.stats()).toMatchObject({ sent: 1, acked: 1, inFlight: 0, maxMessagesPerSecond: 5000 });
  });

  test("§4 item 25: sends off-stream posts on the login stream with Ack:true, increasing PostIDs and a nested Update", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, index) => client.contribute("TRCCTEST01", { BID: index })),
    );
    expect(acks.map((ack) => ack.postId)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
    const posts = recorded(sim, isPost);
    expect(posts).toHaveLength(50);
    expect(posts[0]).toEqual({
      Type: "Post",
      ID: 1,
      Ack: true,
      PostID: 1,
      Key: { Service: "DDS_TRCE", Name: "TRCCTEST01" },
      Message: { Type: "Update", ID: 0, Fields: { BID: 0 } },
    });
    expect(sim.state.rics.get("TRCCTEST01")?.fields.BID).toBe(49);
  });

  test("uses the default login values and reports stats with latency percentiles", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    await Promise.all(
      Array.from({ length: 200 }, (_, index) => client.contribute(`TRCCTEST${index % 5}`, { BID: index })),
    );
    const login = recorded(sim, (message) => message.Domain === "Login" && message.Key !== undefined)[0]!;
    expect(login.Key.Elements.ApplicationId).toBe("256");
    expect(login.Key.Elements.Position).toMatch(/^\d+\.\d+\.\d+\.\d+\/.+/);
    const stats = client.stats();
    expect(stats).toMatchObject({ state: "ready", sent: 200, acked: 200, queued: 0, inFlight: 0, reconnects: 0 });
    expect(stats.latencyMs.count).toBe(200);
    expect(stats.latencyMs.p50).toBeLessThanOrEqual(stats.latencyMs.p99);
    expect(stats.latencyMs.p99).toBeLessThanOrEqual(stats.latencyMs.max);
  });

  test("publishes the state changes up to ready through events and status()", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    const events = recordStatus(client);
    const states: string[] = [];
    client.on("state", (change) => states.push(change.to));
    const ready = new Promise((resolve) => client.once("ready", resolve));
    await client.connect();
    expect(await ready).toMatchObject({ url: sim.wsUrls[0], maxMessagesPerSecond: 1000, advertised: true });
    expect(states).toEqual(["authenticating", "connecting", "logging-in", "ready"]);
    await client.close();
    await waitFor(() => events.some((event) => event.type === "closed"));
    expect(events.filter((event) => event.type === "state").map((event) => (event as { to: string }).to)).toEqual([
      "authenticating",
      "connecting",
      "logging-in",
      "ready",
      "closing",
      "closed",
    ]);
  });

  test("validates fields before sending: a bad value rejects with ValidationError and nothing is sent", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    await expect(client.contribute("TRCCTEST01", { BID: Number.NaN })).rejects.toBeInstanceOf(ValidationError);
    await expect(client.contribute("", { BID: 1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(client.contribute("TRCCTEST01", {})).rejects.toBeInstanceOf(ValidationError);
    await expect(client.contribute("TRCCTEST01", { BIG: "x".repeat(70_000) })).rejects.toThrow(/maxFrameBytes/);
    expect(recorded(sim, isPost)).toHaveLength(0);
    expect(client.stats().sent).toBe(0);
  });

  test("adds PostUserInfo and a numeric service when configured (§2.8)", async () => {
    const sim = await simulator();
    const client = contributor(sim, { service: 1, postUserInfo: { address: "10.0.0.5", userId: 4242 } });
    await client.connect();
    await client.contribute("TRCCTEST01", { BID: 1 });
    expect(recorded(sim, isPost)[0]).toMatchObject({
      Key: { Service: 1, Name: "TRCCTEST01" },
      PostUserInfo: { Address: "10.0.0.5", UserID: 4242 },
    });
  });

  test("posts made before connect() wait in the queue and go out once ready", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    const pending = client.contribute("TRCCTEST01", { BID: 1 });
    expect(client.stats().queued).toBe(1);
    await client.connect();
    await expect(pending).resolves.toMatchObject({ postId: 1 });
  });

  test("accepts an AuthProvider instead of token-manager fields", async () => {
    const sim = await simulator();
    const auth = new ManualRefreshAuth(sim);
    const client = contributor(sim, { auth });
    await client.connect();
    await expect(client.contribute("TRCCTEST01", { BID: 2 })).resolves.toMatchObject({ ric: "TRCCTEST01" });
  });
});

describe("closing", () => {
  test("§3.7 step 8: close() waits for in-flight Acks, then sends the Login Close and closes the socket", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    sim.faults.add({ type: "delay-acks", ms: 150 });
    const posts = Array.from({ length: 10 }, (_, index) => client.contribute("TRCCTEST01", { BID: index }));
    await waitFor(() => client.stats().inFlight === 10, 2000, "posts in flight");
    await client.close();
    const results = await Promise.allSettled(posts);
    expect(results.every((result) => result.status === "fulfilled")).toBe(true);
    expect(client.state).toBe("closed");
    await expect(client.closed()).resolves.toBeUndefined();
    expect(recorded(sim, (message) => message.Type === "Close" && message.Domain === "Login")).toHaveLength(1);
    await waitFor(() => sim.state.connections.size === 0, 2000, "the server to see the socket close");
    await expect(client.contribute("TRCCTEST01", { BID: 1 })).rejects.toBeInstanceOf(SessionClosedError);
  });

  test("close() rejects posts still unacknowledged after drainTimeoutMs with SessionClosedError", async () => {
    const sim = await simulator();
    const client = contributor(sim, { drainTimeoutMs: 100 });
    await client.connect();
    sim.faults.add({ type: "drop-acks" });
    const post = client.contribute("TRCCTEST01", { BID: 1 });
    const rejected = expect(post).rejects.toBeInstanceOf(SessionClosedError);
    await waitFor(() => client.stats().inFlight === 1);
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await rejected;
    expect(client.stats().inFlight).toBe(0);
  });

  test("close() on a contributor never started ends at once, and connect() after it is refused", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.close();
    await expect(client.connect()).rejects.toBeInstanceOf(SessionClosedError);
    await expect(client.contribute("TRCCTEST01", { BID: 1 })).rejects.toBeInstanceOf(SessionClosedError);
    expect(client.state).toBe("closed");
    expect(sim.state.connections.size).toBe(0);
  });

  test("close({ dropQueued }) rejects the posts not yet written as not sent and waits only for those on the wire", async () => {
    const sim = await simulator({ maxMessagesPerSecond: 10 });
    const client = contributor(sim);
    await client.connect();
    sim.faults.add({ type: "delay-acks", ms: 200 });
    const posts = Array.from({ length: 40 }, (_, index) => client.contribute("TRCCTEST01", { BID: index }));
    const settled = Promise.allSettled(posts);
    await waitFor(() => client.stats().inFlight > 0, 2000, "posts on the wire");
    const onWire = client.stats().inFlight;
    expect(client.stats().queued).toBeGreaterThan(0);
    await client.close({ dropQueued: true });
    const results = await settled;
    const acked = results.filter((result) => result.status === "fulfilled");
    const notSent = results.flatMap((result) =>
      result.status === "rejected" && result.reason instanceof SessionClosedError ? [result.reason] : [],
    );
    // The 10-per-second limit lets ~10 out; they are acknowledged, the other ~30 were never written.
    expect(acked.length).toBe(onWire);
    expect(notSent.length).toBe(40 - onWire);
    expect(notSent.every((error) => !error.sent && error.postId === undefined && error.ric === "TRCCTEST01")).toBe(
      true,
    );
    expect(notSent[0]!.message).toMatch(/closed before the post to TRCCTEST01 was sent/);
    expect(sim.state.counters.acks).toBe(onWire);
  });

  test("posts on the wire when the drain ends are rejected as sent, with their PostID and connection; close({ drainTimeoutMs: 0 }) ends a drain at once", async () => {
    const sim = await simulator();
    const client = contributor(sim, { drainTimeoutMs: 30_000 });
    await client.connect();
    sim.faults.add({ type: "drop-acks" });
    const post = client.contribute("TRCCTEST01", { BID: 1 });
    const settled = post.catch((error: unknown) => error);
    await waitFor(() => client.stats().inFlight === 1, 2000, "the post on the wire");
    const started = Date.now();
    const closing = client.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.close({ drainTimeoutMs: 0 })).toBe(closing);
    await closing;
    expect(Date.now() - started).toBeLessThan(5_000);
    const error = (await settled) as SessionClosedError;
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ sent: true, postId: 1, connection: 1, ric: "TRCCTEST01" });
    expect(error.message).toMatch(
      /before the Ack of post 1 to TRCCTEST01 \(sent on connection 1\); the server may have applied it/,
    );
  });
});

describe("contributing before connect()", () => {
  test("contribute() without connect() connects on demand and the post is acknowledged", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await expect(client.contribute("TRCCTEST01", { BID: 7 })).resolves.toMatchObject({ ric: "TRCCTEST01" });
    expect(client.state).toBe("ready");
    expect(sim.state.rics.get("TRCCTEST01")?.fields).toMatchObject({ BID: 7 });
  });

  test("when the on-demand connect fails, the post is rejected with the failure as its cause instead of hanging", async () => {
    const sim = await simulator();
    const client = contributor(sim, { password: "wrong-password-here" });
    const error: unknown = await client.contribute("TRCCTEST01", { BID: 1 }).catch((caught: unknown) => caught);
    if (!(error instanceof SessionClosedError)) throw new Error(`expected a SessionClosedError, got ${String(error)}`);
    expect(error.sent).toBe(false);
    expect((error.cause as Error).name).toMatch(/InvalidCredentials|Auth/);
    await expect(client.closed()).resolves.toBeInstanceOf(Error);
  });
});
