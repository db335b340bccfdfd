/**
 * The simulator against peers that flood it (docs/protocol.md §2.2, §2.11; checklist items 11, 12 and 27): input
 * before login, frames of thousands of bad elements, and peers that never read what they are sent. The
 * simulator's memory must stay bounded, other connections' Acks must stay prompt, and the flooders are cut.
 * Memory and latency are measured on a simulator in its own process (bench/sim-process.ts), so the test's own
 * clients neither share its event loop nor count in its memory.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SimProcess, startSimProcess } from "../../../bench/children.js";
import { type RunningSimulator, startSimulator } from "../../../src/simulator/index.js";
import { passwordGrant } from "../../helpers/auth.js";
import {
  type RawClient,
  closeAllRawClients,
  connectRaw,
  loginRaw,
  loginRequest,
  post,
} from "../../helpers/raw-client.js";
import { LogCapture } from "../helpers/log-capture.js";
import { AckLatencyProbe, median, quantile } from "./helpers/ack-latency.js";
import { watchEscapes } from "../helpers/escape-watch.js";
import { Flooder, badElementsFrame, floodRaw } from "./helpers/flooders.js";
import { clientTextFrame, destroyAllRawSockets, sleep, upgradeByHand, waitForData } from "./helpers/raw-sockets.js";

const escaped = watchEscapes();
afterEach(async () => {
  destroyAllRawSockets();
  await closeAllRawClients();
  expect(escaped).toEqual([]);
});

/** Accounts of the flood tests: one per connection, so that no password grant revokes another's session. */
const ACCOUNTS = Array.from({ length: 4 }, (_, index) => ({
  user: `GE-A-0000000${index + 1}-1-000${index + 1}`,
  password: `flood-password-${index + 1}-not-a-secret`,
  clientId: `GE-A-0000000${index + 1}-1-000${index + 1}`,
}));

const MIB = 1024 * 1024;

const isLoginRequired = (message: Record<string, unknown>): boolean =>
  message.Type === "Error" && String(message.Text).startsWith("Login required");

describe("messages before login", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ maxMessagesPerSecond: 1_000_000 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("a connection that keeps sending without logging in is answered ten times, then closed with 1008 and a reason", async () => {
    const client = await connectRaw(sim.wsUrls[0]!);
    for (let index = 0; index < 11; index++) client.send({ ID: 5 + index, Key: { Name: "TRCCTEST01" } });
    const closed = await client.closed;
    expect(closed).toEqual({ code: 1008, reason: "Too many messages before a Login (at most 10): log in first" });
    expect(client.messages.filter(isLoginRequired)).toHaveLength(10);
    expect(client.messages).toHaveLength(10);
  });

  it("a 20,000-element array before login costs ten answers and closes the connection with 1008", async () => {
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(badElementsFrame(20_000));
    client.send(Array.from({ length: 500 }, (_, index) => post(index + 1, "TRCCTEST01", { BID: 1 })));
    expect((await client.closed).code).toBe(1008);
    // The first ten elements were answered, in one frame; nothing after them, not even the next frame's posts.
    expect(client.frames).toHaveLength(1);
    expect(client.messages).toHaveLength(10);
    expect(client.messages.every((message) => message.Text === "JSON invalid container type.")).toBe(true);
  });

  it("a client that pings, then logs in, is not limited afterwards", async () => {
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    const client = await connectRaw(sim.wsUrls[0]!);
    for (let index = 0; index < 5; index++) client.send({ Type: "Ping" });
    client.send(loginRequest(tokens.accessToken));
    expect(await client.next((message) => message.Domain === "Login")).toMatchObject({ Type: "Refresh" });
    for (let round = 0; round < 4; round++) {
      client.send(
        Array.from({ length: 300 }, (_, index) => post(round * 300 + index + 1, "TRCCTEST01", { BID: index })),
      );
    }
    const last = await client.next((message) => message.Type === "Ack" && message.AckID === 1_200);
    expect(last.NakCode).toBeUndefined();
    expect(client.messages.filter((message) => message.Type === "Pong")).toHaveLength(5);
  });
});

describe("frames of many messages", () => {
  let sim: RunningSimulator;
  const log = new LogCapture();
  beforeAll(async () => {
    // Room for 2,500 posts in one frame; a small send buffer so a non-reading peer hits it quickly.
    sim = await startSimulator({
      maxMessageBytes: 400_000,
      maxBufferedBytes: 256 * 1024,
      maxMessagesPerSecond: 1_000_000,
      log: log.logger,
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("one frame of 20,000 bad elements gets 100 Errors and one more saying 19,900 were not answered", async () => {
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const framesBefore = client.frames.length;
    client.send(badElementsFrame(20_000));
    client.send({ Type: "Ping" });
    await client.next((message) => message.Type === "Pong", 5_000);
    const errors = client.messages.filter((message) => message.Type === "Error");
    expect(errors).toHaveLength(101);
    expect(errors.slice(0, 100).every((error) => error.Text === "JSON invalid container type.")).toBe(true);
    expect(errors[100]).toEqual({
      Type: "Error",
      ID: 0,
      Text: "Too many errors in one frame: 19900 more messages of this frame had errors and were not answered one by one (at most 100 Errors per frame)",
    });
    // Every bad message still counts as an error in the admin state.
    const connection = [...sim.state.connections.values()].find((info) => info.state === "logged-in");
    expect(connection?.errors).toBe(20_000);
    // 20 slices of 1,000 messages, one reply frame each that has Errors to carry, then the Pong.
    expect(client.frames.length - framesBefore).toBeLessThanOrEqual(21);
  });

  it("a frame of 2,500 posts is answered in order, one reply frame per slice of 1,000, and the frame after it waits its turn", async () => {
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const framesBefore = client.frames.length;
    client.send(Array.from({ length: 2_500 }, (_, index) => post(index + 1, "TRCCTEST02", { BID: index + 1 })));
    client.send([post(2_501, "TRCCTEST02", { BID: 2_501 }), { Type: "Ping" }]);
    await client.next((message) => message.Type === "Pong", 5_000);
    const acks = client.messages.filter((message) => message.Type === "Ack").map((ack) => ack.AckID as number);
    expect(acks).toEqual(Array.from({ length: 2_501 }, (_, index) => index + 1));
    const sizes = client.frames.slice(framesBefore).map((frame) => (JSON.parse(frame) as unknown[]).length);
    // The slice budget is per connection, not per frame: the first slice may be a little shorter.
    const bigFrame = sizes.slice(0, -1);
    expect(bigFrame.length).toBeGreaterThanOrEqual(3);
    expect(bigFrame.every((size) => size <= 1_000)).toBe(true);
    expect(bigFrame.reduce((sum, size) => sum + size, 0)).toBe(2_500);
    expect(sizes.at(-1)).toBe(2);
    expect(sim.state.rics.get("TRCCTEST02")?.fields.BID).toBe(2_501);
  });

  it("a peer that stops reading is terminated once its unsent replies pass maxBufferedBytes, with an info log line", async () => {
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    const connection = await upgradeByHand(sim.wsUrls[0]!);
    connection.stream.write(clientTextFrame(JSON.stringify(loginRequest(tokens.accessToken))));
    await waitForData(connection, '"Refresh"');
    const id = [...sim.state.connections.values()].find((info) => info.state === "logged-in")?.id;
    connection.stream.pause();
    // Item requests for an unknown RIC: each ~30-byte request is answered by a ~150-byte Status.
    const requests = JSON.stringify(Array.from({ length: 1_000 }, () => ({ ID: 5, Key: { Name: "NOPE.X" } })));
    const written = await floodRaw(connection, requests, 32 * MIB);
    expect(written).toBeLessThan(32 * MIB);
    await expect.poll(() => sim.state.connections.has(id!)).toBe(false);
    const line = log.lines.find((text) => text.includes("peer is not reading"));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 30, connection: id, limit: 256 * 1024 });
    expect(JSON.parse(line!).bufferedBytes).toBeGreaterThan(0);
    // Everyone else is still served.
    const other = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    other.client.send(post(1, "TRCCTEST03", { BID: 3 }));
    expect(await other.client.next((message) => message.Type === "Ack")).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
  });
});

describe("floods against a simulator in its own process", () => {
  let sim: SimProcess;
  beforeAll(async () => {
    sim = await startSimProcess({ accounts: ACCOUNTS });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** Runs `attack` while sampling the simulator's RSS every 50 ms; resolves with the RSS before and the peak, bytes. */
  async function peakRss(attack: () => Promise<void>): Promise<{ before: number; peak: number }> {
    const before = (await sim.usage()).rss;
    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await sim.usage()).rss);
        await sleep(50);
      }
    })();
    try {
      await attack();
    } finally {
      sampling = false;
      await sampler;
    }
    peak = Math.max(peak, (await sim.usage()).rss);
    return { before, peak };
  }

  const connectionIds = async (): Promise<string[]> =>
    ((await sim.state()) as { connections: { id: string }[] }).connections.map((connection) => connection.id);

  it("24 MB of bad elements from a non-reading peer that never logs in leave the memory flat and the peer is cut", async () => {
    const { before, peak } = await peakRss(async () => {
      const connection = await upgradeByHand(sim.wsUrls[0]!);
      connection.stream.pause();
      await floodRaw(connection, badElementsFrame(20_000), 24 * MIB);
      await expect.poll(connectionIds).toEqual([]);
    });
    console.info(`pre-login flood: simulator RSS ${mb(before)} → peak ${mb(peak)}`);
    expect(peak - before).toBeLessThan(150 * MIB);
  });

  it("48 MB of requests from a logged-in peer that never reads leave the memory bounded and the peer is terminated", async () => {
    const { before, peak } = await peakRss(async () => {
      const tokens = await passwordGrant(sim.authUrl, ACCOUNTS[1]!);
      const connection = await upgradeByHand(sim.wsUrls[0]!);
      connection.stream.write(clientTextFrame(JSON.stringify(loginRequest(tokens.accessToken))));
      await waitForData(connection, '"Refresh"');
      connection.stream.pause();
      const requests = JSON.stringify(Array.from({ length: 1_000 }, () => ({ ID: 5, Key: { Name: "NOPE.X" } })));
      // Answered in full, 48 MB of these requests would be about 250 MB of Status messages.
      const written = await floodRaw(connection, requests, 48 * MIB);
      expect(written).toBeGreaterThan(4 * MIB);
      expect(written).toBeLessThan(48 * MIB);
      await expect.poll(connectionIds, { timeout: 10_000 }).toEqual([]);
    });
    console.info(`non-reading logged-in flood: simulator RSS ${mb(before)} → peak ${mb(peak)}`);
    expect(peak - before).toBeLessThan(100 * MIB);
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, ACCOUNTS[0]!);
    client.send(post(1, "TRCCTEST01", { BID: 1 }));
    expect(await client.next((message) => message.Type === "Ack")).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
  });

  it("three pre-login and three logged-in flooders of 20,000-element arrays leave a healthy client's Acks prompt", async () => {
    const probe = await AckLatencyProbe.start(sim.wsUrls[0]!, sim.authUrl, ACCOUNTS[0]!);
    // Fixed real-time windows are the subject: Ack latency is sampled over them, quiet and under attack.
    await sleep(500);
    const quiet = probe.take();
    const frame = badElementsFrame(20_000);
    const preLogin = await Promise.all([0, 1, 2].map(() => connectRaw(sim.wsUrls[0]!)));
    const loggedIn: RawClient[] = [];
    for (const account of ACCOUNTS.slice(1))
      loggedIn.push((await loginRaw(sim.wsUrls[0]!, sim.authUrl, account)).client);
    const flooders = [...preLogin, ...loggedIn].map((client) => Flooder.start(client, frame));
    await sleep(3_000);
    const underAttack = probe.take();
    const outstanding = probe.outstanding();
    await Promise.all(flooders.map((flooder) => flooder.stop()));
    await probe.stop();

    console.info(
      `post→Ack latency: quiet median ${median(quiet).toFixed(1)} ms; under attack median ${median(underAttack).toFixed(1)} ms, ` +
        `p90 ${quantile(underAttack, 0.9).toFixed(1)} ms, ${underAttack.length} Acks; logged-in flooders sent ${flooders
          .slice(3)
          .map((flooder) => flooder.sent)
          .join(", ")} frames`,
    );
    for (const flooder of flooders.slice(0, 3)) {
      expect(await flooder.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/before a Login/) });
    }
    // The logged-in flooders were served too (their frames were handled, not starved or dropped).
    for (const flooder of flooders.slice(3)) expect(flooder.sent).toBeGreaterThan(3);
    expect(underAttack.length).toBeGreaterThan(50);
    expect(median(underAttack)).toBeLessThan(200);
    expect(outstanding.oldestMs).toBeLessThan(2_000);
    expect(probe.naks).toBe(0);
  }, 20_000);
});

function mb(bytes: number): string {
  return `${(bytes / MIB).toFixed(0)} MB`;
}
