/**
 * The simulator against hostile peers at the socket level: TCP resets at every stage of the HTTP and WebSocket
 * handshakes on every listener (plain and TLS), sockets that never finish their request, and more connections
 * than `maxConnections`. Nothing may escape to the process, and other connections keep being served.
 */
import { request as httpsRequest } from "node:https";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../../src/simulator/index.js";
import { passwordGrant } from "../../helpers/auth.js";
import {
  UpgradeRefusedError,
  closeAllRawClients,
  connectRaw,
  loginRaw,
  loginRequest,
  post,
} from "../../helpers/raw-client.js";
import { HealthyPoster } from "../helpers/healthy-poster.js";
import { watchEscapes } from "../helpers/escape-watch.js";
import {
  type RawConnection,
  clientTextFrame,
  destroyAllRawSockets,
  openRaw,
  reset,
  responseStatus,
  sleep,
  upgradeByHand,
  upgradeRequest,
  waitForData,
} from "./helpers/raw-sockets.js";

const escaped = watchEscapes();
afterEach(async () => {
  destroyAllRawSockets();
  await closeAllRawClients();
});

/** One way of cutting a connection with a TCP reset. */
interface ResetStage {
  name: string;
  /** Which servers it applies to. */
  on: "any" | "websocket";
  run(url: string): Promise<void>;
}

/** Upgrade requests every WebSocket listener refuses, and why. */
const REFUSED_UPGRADES = [
  { why: "no subprotocol", path: "/WebSocket", protocol: null },
  { why: "an unknown subprotocol", path: "/WebSocket", protocol: "chat" },
  { why: "a wrong path", path: "/NotWebSocket", protocol: "tr_json2" },
] as const;

const REPEATS = 5;

/** Every stage of the handshake at which a peer may reset, each with the request it gets that far with. */
function resetStages(): ResetStage[] {
  const withRaw =
    (before: (connection: RawConnection) => Promise<void> | void) =>
    async (url: string): Promise<void> => {
      const connection = await openRaw(url);
      await before(connection);
      reset(connection);
      await connection.closed;
    };
  const stages: ResetStage[] = [
    { name: "right after connecting", on: "any", run: withRaw(() => {}) },
    {
      name: "in the middle of the request line",
      on: "any",
      run: withRaw((connection) => void connection.stream.write("GET /WebSo")),
    },
    {
      name: "after the headers, before the body",
      on: "any",
      run: withRaw(async (connection) => {
        connection.stream.write(
          "POST /auth/oauth2/v1/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=pass",
        );
        await sleep(5);
      }),
    },
    {
      name: "together with an accepted upgrade request",
      on: "websocket",
      run: withRaw((connection) => void connection.stream.write(upgradeRequest("/WebSocket"))),
    },
    {
      name: "after the upgrade is accepted",
      on: "websocket",
      run: async (url) => {
        const connection = await upgradeByHand(url);
        reset(connection);
        await connection.closed;
      },
    },
    {
      name: "in the middle of a frame after the upgrade",
      on: "websocket",
      run: async (url) => {
        const connection = await upgradeByHand(url);
        connection.stream.write(clientTextFrame(JSON.stringify(post(1, "TRCCTEST01", { BID: 1 }))).subarray(0, 20));
        await sleep(5);
        reset(connection);
        await connection.closed;
      },
    },
  ];
  for (const refused of REFUSED_UPGRADES) {
    stages.push(
      {
        name: `together with an upgrade refused for ${refused.why}`,
        on: "any",
        run: withRaw((connection) => void connection.stream.write(upgradeRequest(refused.path, refused.protocol))),
      },
      {
        name: `once the refusal (${refused.why}) starts arriving`,
        on: "any",
        run: withRaw(async (connection) => {
          connection.stream.write(upgradeRequest(refused.path, refused.protocol));
          await waitForData(connection, 1);
        }),
      },
    );
  }
  return stages;
}

/** The main HTTP server and every WebSocket listener of `sim`, as URLs raw sockets can be opened to. */
function targets(sim: RunningSimulator): { name: string; url: string; websocket: boolean }[] {
  return [
    { name: "the main HTTP port", url: sim.authUrl, websocket: false },
    ...sim.wsUrls.map((url, index) => ({ name: `WebSocket listener ${index}`, url, websocket: true })),
  ];
}

/** Runs every stage against every target, `REPEATS` times each, many at once. */
async function resetEverywhere(sim: RunningSimulator): Promise<number> {
  const runs: Promise<void>[] = [];
  for (const target of targets(sim)) {
    for (const stage of resetStages()) {
      if (stage.on === "websocket" && !target.websocket) continue;
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        runs.push(
          stage.run(target.url).catch((error: unknown) => {
            throw new Error(`${target.name}, reset ${stage.name}: ${String(error)}`);
          }),
        );
      }
    }
  }
  await Promise.all(runs);
  return runs.length;
}

/** `GET /admin/state` over TLS, trusting the simulator's certificate; resolves with the status. */
function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { ca, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", reject);
    request.end();
  });
}

describe("TCP resets during the handshake", () => {
  let sim: RunningSimulator;
  let tlsSim: RunningSimulator;
  beforeAll(async () => {
    [sim, tlsSim] = await Promise.all([startSimulator({ listeners: 2 }), startSimulator({ listeners: 2, tls: true })]);
  });
  afterAll(async () => {
    await Promise.all([sim.close(), tlsSim.close()]);
  });

  it("a reset at any stage of any handshake on any port escapes nothing and a healthy client keeps getting Acks", async () => {
    const healthy = await HealthyPoster.start(sim);
    const acksBefore = healthy.acked;
    const attacks = await resetEverywhere(sim);
    expect(attacks).toBeGreaterThan(100);
    // One more round trip after the attack: every reset has been handled by now.
    const response = await fetch(`${sim.adminUrl}/state`);
    expect(response.status).toBe(200);
    const again = await loginRaw(sim.wsUrls[1]!, sim.authUrl, sim.accounts[0]!);
    again.client.send(post(1, "TRCCTEST02", { BID: 2 }));
    expect(await again.client.next((message) => message.Type === "Ack")).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    healthy.assertHealthy();
    expect(healthy.acked).toBeGreaterThan(acksBefore);
    await healthy.stop();
    expect(escaped).toEqual([]);
  });

  it("a reset at any stage on the TLS ports escapes nothing and the TLS servers keep answering", async () => {
    const attacks = await resetEverywhere(tlsSim);
    expect(attacks).toBeGreaterThan(100);
    expect(await httpsStatus(`${tlsSim.adminUrl}/state`, tlsSim.certificate!)).toBe(200);
    for (const url of tlsSim.wsUrls) {
      const connection = await upgradeByHand(url);
      expect(connection.received()).toMatch(/^HTTP\/1\.1 101 /);
      connection.stream.destroy();
    }
    expect(escaped).toEqual([]);
  });

  it("a malformed request is answered 400 on every port and the server stays up", async () => {
    for (const target of targets(sim)) {
      const connection = await openRaw(target.url);
      connection.stream.write("THIS IS NOT HTTP\r\n\r\n");
      expect(await responseStatus(connection)).toBe(400);
      await connection.closed;
    }
    expect((await fetch(`${sim.adminUrl}/state`)).status).toBe(200);
    expect(escaped).toEqual([]);
  });
});

describe("sockets that never finish their request", () => {
  const HANDSHAKE_TIMEOUT_MS = 1_000;
  /** What the server may take beyond the timeout: Node checks request timeouts every quarter of it, plus a loaded box. */
  const SLACK_MS = 1_500;
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("200 idle half-open sockets are closed by the server within the handshake timeout while the admin API answers", async () => {
    const partial = [
      "",
      "GET /Web",
      "GET /WebSocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websock",
      "POST /auth/oauth2/v1/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\ngrant",
    ];
    const urls = [sim.authUrl, sim.wsUrls[0]!];
    const openedAt = Date.now();
    const sockets = await Promise.all(
      Array.from({ length: 200 }, async (_, index) => {
        const connection = await openRaw(urls[index % 2]!);
        const text = partial[Math.floor(index / 2) % partial.length]!;
        if (text !== "") connection.stream.write(text);
        return connection;
      }),
    );
    const closedAfterMs = sockets.map((connection) => connection.closed.then(() => Date.now() - openedAt));
    // Meanwhile, the admin API and a WebSocket login are served.
    expect((await fetch(`${sim.adminUrl}/state`)).status).toBe(200);
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    client.send(post(1, "TRCCTEST01", { BID: 1 }));
    expect(await client.next((message) => message.Type === "Ack")).toMatchObject({ AckID: 1 });
    const times = await Promise.all(closedAfterMs);
    expect(Math.max(...times)).toBeLessThan(HANDSHAKE_TIMEOUT_MS + SLACK_MS);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 100);
    // A request whose headers arrived but whose body did not is told why.
    const bodiless = sockets.filter((_, index) => index % 2 === 0 && Math.floor(index / 2) % partial.length === 3);
    expect(bodiless.length).toBeGreaterThan(0);
    expect(bodiless.every((connection) => connection.received().startsWith("HTTP/1.1 408 "))).toBe(true);
    // The logged-in WebSocket is not a half-open socket: it outlives the timeout.
    client.send(post(2, "TRCCTEST01", { BID: 2 }));
    expect(await client.next((message) => message.Type === "Ack")).toMatchObject({ AckID: 2 });
    expect(escaped).toEqual([]);
  });

  it("a socket that completes its request in time is served normally, and a keep-alive admin client works", async () => {
    const connection = await openRaw(sim.adminUrl);
    connection.stream.write("GET /admin/state HTTP/1.1\r\nHost: ");
    // The pause mid-request is the subject: half the handshake timeout must not cut a socket still sending.
    await sleep(HANDSHAKE_TIMEOUT_MS / 2);
    connection.stream.write("127.0.0.1\r\n\r\n");
    expect(await responseStatus(connection)).toBe(200);
    connection.stream.destroy();
  });
});

describe("more connections than maxConnections", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ maxConnections: 5, listeners: 2 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("the sixth connection on any listener is refused 503 with a reason while the five keep posting", async () => {
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    const clients = await Promise.all([0, 0, 0, 1, 1].map((listener) => connectRaw(sim.wsUrls[listener]!)));
    for (const client of clients) client.send(loginRequest(tokens.accessToken));
    await Promise.all(clients.map((client) => client.next((message) => message.Type === "Refresh")));
    for (const url of sim.wsUrls) {
      const refusal = await connectRaw(url).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(UpgradeRefusedError);
      expect((refusal as UpgradeRefusedError).status).toBe(503);
      expect((refusal as UpgradeRefusedError).body).toMatch(/^Too many connections: .*at most 5 at once/);
    }
    for (const [index, client] of clients.entries()) client.send(post(index + 1, "TRCCTEST01", { BID: index }));
    const acks = await Promise.all(clients.map((client) => client.next((message) => message.Type === "Ack")));
    expect(acks.every((ack) => ack.NakCode === undefined)).toBe(true);
    // A connection that ends gives its slot back.
    await clients[0]!.close();
    await expect.poll(() => sim.listeners[0]!.connections).toBe(2);
    const next = await connectRaw(sim.wsUrls[1]!);
    next.send(loginRequest(tokens.accessToken));
    expect(await next.next((message) => message.Domain === "Login")).toMatchObject({ Type: "Refresh" });
    expect(escaped).toEqual([]);
  });

  it("refused and reset upgrades do not use up slots", async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const connection = await openRaw(sim.wsUrls[0]!);
      connection.stream.write(upgradeRequest("/WebSocket", attempt % 2 === 0 ? null : "tr_json2"));
      reset(connection);
      await connection.closed;
    }
    await expect.poll(() => sim.listeners[0]!.connections).toBe(0);
    const clients = await Promise.all(Array.from({ length: 5 }, () => connectRaw(sim.wsUrls[0]!)));
    expect(clients).toHaveLength(5);
    await expect(connectRaw(sim.wsUrls[0]!)).rejects.toMatchObject({ status: 503 });
  });
});
