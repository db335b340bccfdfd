/**
 * Secrets and exposure: the client verifies TLS certificates unless told which CA to trust; the simulator
 * binds 127.0.0.1 unless told otherwise; its admin API (and dashboard event stream) demand the bearer token when one
 * is set; and `rcc simulate --host 0.0.0.0` without an admin token refuses to start before binding anything.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { Contributor } from "../../src/client/contributor.js";
import type { ContributorOptions } from "../../src/client/options.js";
import { TokenManager } from "../../src/client/auth/token-manager.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { runCli, stopAllCli } from "../helpers/cli.js";

const running: RunningSimulator[] = [];
const contributors: Contributor[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(contributors.splice(0).map((client) => client.close()));
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await Promise.all(running.splice(0).map((sim) => sim.close()));
  await stopAllCli();
});

async function simulator(options: Parameters<typeof startSimulator>[0] = {}): Promise<RunningSimulator> {
  const sim = await startSimulator(options);
  running.push(sim);
  return sim;
}

function credentials(sim: RunningSimulator) {
  const account = sim.accounts[0]!;
  return { authUrl: sim.authUrl, user: account.user, password: account.password, clientId: account.clientId };
}

/** Two quick attempts, then give up: enough to see why the connection fails. */
const GIVE_UP_FAST = { backoff: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 } } as const;

/** The messages and codes of an error and its causes, for matching. */
function chain(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    parts.push(`${current.message} ${typeof code === "string" ? code : ""}`);
  }
  return parts.join(" | ");
}

const CERTIFICATE_PROBLEM = /self[- ]signed|SELF_SIGNED|unable to verify|UNABLE_TO_VERIFY|certificate/i;

/** Addresses listening on `port` according to /proc/net/tcp{,6}; undefined where /proc is not available. */
function listeningAddresses(port: number): string[] | undefined {
  const addresses: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local === undefined || state !== "0A") continue;
      const [hexAddress = "", hexPort = ""] = local.split(":");
      if (Number.parseInt(hexPort, 16) !== port) continue;
      addresses.push(
        hexAddress.length === 8
          ? (hexAddress.match(/../g) ?? [])
              .reverse()
              .map((byte) => Number.parseInt(byte, 16))
              .join(".")
          : `ipv6:${hexAddress}`,
      );
    }
  }
  return addresses;
}

describe("TLS", () => {
  /** Where the client meets the certificate, how it is set up to get there, and what the simulator saw by then. */
  const REFUSALS: {
    where: string;
    options: (sim: RunningSimulator) => ContributorOptions;
    expectCounters: (counters: RunningSimulator["state"]["counters"]) => void;
  }[] = [
    {
      where: "on the token endpoint",
      options: (sim) => ({
        ...credentials(sim),
        urls: sim.wsUrls,
        retry: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 },
        ...GIVE_UP_FAST,
      }),
      expectCounters(counters) {
        expect(counters.tokensIssued).toBe(0);
        expect(counters.logins).toBe(0);
      },
    },
    {
      where: "on the WebSocket",
      options(sim) {
        // Tokens over a connection that trusts the simulator, so only the WebSocket's TLS is left to refuse.
        const dispatcher = new Agent({ connect: { ca: sim.certificate } });
        cleanups.push(() => dispatcher.close());
        const auth = new TokenManager({
          ...credentials(sim),
          fetch: undiciFetch as unknown as typeof globalThis.fetch,
          dispatcher,
        });
        cleanups.push(() => Promise.resolve(auth.stop()));
        return { auth, urls: sim.wsUrls, ...GIVE_UP_FAST };
      },
      expectCounters(counters) {
        expect(counters.tokensIssued).toBeGreaterThan(0);
        expect(counters.connections).toBe(0);
      },
    },
  ];

  for (const { where, options, expectCounters } of REFUSALS) {
    it(`the client refuses the simulator's self-signed certificate by default, ${where}`, async () => {
      const sim = await simulator({ tls: true });
      const client = new Contributor(options(sim));
      contributors.push(client);
      const failure = await client.connect().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect(chain(failure)).toMatch(CERTIFICATE_PROBLEM);
      expectCounters(sim.state.counters);
    });
  }

  it("the client accepts the certificate when given it as `tls.ca`, for both the token endpoint and the WebSocket", async () => {
    const sim = await simulator({ tls: true });
    expect(sim.authUrl).toMatch(/^https:/);
    expect(sim.wsUrls[0]).toMatch(/^wss:/);
    const client = new Contributor({ ...credentials(sim), urls: sim.wsUrls, tls: { ca: sim.certificate! } });
    contributors.push(client);
    await client.connect();
    const ack = await client.contribute("TRCCTEST01", { BID: 1.25 });
    expect(ack.ric).toBe("TRCCTEST01");
    expect(sim.state.rics.get("TRCCTEST01")?.fields.BID).toBe(1.25);
  });
});

describe("exposure", () => {
  it("the simulator listens on 127.0.0.1 only, unless told otherwise", async () => {
    const sim = await simulator({ listeners: 2 });
    expect(sim.config.host).toBe("127.0.0.1");
    const urls = [sim.authUrl, ...sim.wsUrls];
    for (const url of urls) {
      const { hostname, port } = new URL(url);
      expect(hostname).toBe("127.0.0.1");
      const addresses = listeningAddresses(Number(port));
      // Where /proc is available, the kernel's own listing of the listening sockets is the proof.
      if (addresses !== undefined) expect(addresses, url).toEqual(["127.0.0.1"]);
    }
  });

  it("with an admin token, the admin API and the dashboard's event stream refuse requests without it", async () => {
    const adminToken = "admin-token-of-this-test";
    const sim = await simulator({ adminToken });
    const base = sim.adminUrl;
    for (const authorization of [
      undefined,
      "Bearer wrong",
      `Basic ${adminToken}`,
      adminToken,
      `Bearer ${adminToken}x`,
    ]) {
      const headers: Record<string, string> = authorization === undefined ? {} : { Authorization: authorization };
      const state = await fetch(`${base}/state`, { headers });
      expect(state.status, String(authorization)).toBe(401);
      expect(await state.json()).toMatchObject({ error: "unauthorized" });
      const fault = await fetch(`${base}/faults`, { method: "POST", headers, body: '{"type":"system-busy"}' });
      expect(fault.status).toBe(401);
      await fault.body?.cancel();
    }
    expect(sim.faults.list()).toEqual([]);
    const events = await fetch(`${sim.dashboardUrl}dashboard/events`);
    expect(events.status).toBe(401);
    await events.body?.cancel();
    const allowed = await fetch(`${base}/state`, { headers: { Authorization: `Bearer ${adminToken}` } });
    expect(allowed.status).toBe(200);
    await allowed.body?.cancel();
  });

  it("`rcc simulate --host 0.0.0.0` without an admin token exits 1 before binding anything", async () => {
    // Hold a port on 127.0.0.1: binding 0.0.0.0 on it would fail with EADDRINUSE, so a refusal that names the admin
    // token (and not the port) shows the command stopped before binding.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const port = (holder.address() as AddressInfo).port;
    const started = Date.now();
    const result = await runCli(
      ["simulate", "--host", "0.0.0.0", "--http-port", String(port), "--ws-port", String(port)],
      {
        timeoutMs: 15_000,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--admin-token/);
    expect(result.stderr).not.toMatch(/EADDRINUSE|could not start/);
    expect(result.stdout).toBe("");
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
