/** WSS with certificate checks on by default, custom CAs, and HTTP CONNECT proxies. */
import { Agent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, test } from "vitest";
import { CertificateError } from "../../src/client/errors.js";
import { TokenManager } from "../../src/client/auth/token-manager.js";
import { type ConnectProxy, startConnectProxy } from "../helpers/connect-proxy.js";
import { cleanup, contributor, credentials, simulator } from "./client-fixtures.js";

const proxies: ConnectProxy[] = [];
const agents: Agent[] = [];
const managers: TokenManager[] = [];

afterEach(async () => {
  await cleanup();
  for (const manager of managers.splice(0)) manager.stop();
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

/** A CONNECT proxy on 127.0.0.1 recording every tunnel target, closed after the test. */
async function startProxy(): Promise<ConnectProxy> {
  const proxy = await startConnectProxy();
  proxies.push(proxy);
  return proxy;
}

/** A token manager that trusts the simulator's self-signed certificate (for tests of the WebSocket side). */
function trustingTokenManager(sim: Awaited<ReturnType<typeof simulator>>): TokenManager {
  const dispatcher = new Agent({ connect: { ca: sim.certificate } });
  agents.push(dispatcher);
  const manager = new TokenManager({ ...credentials(sim), fetch: undiciFetch as unknown as typeof fetch, dispatcher });
  managers.push(manager);
  return manager;
}

describe("TLS", () => {
  test("connects over wss:// and https:// when the simulator's certificate is given as ca", async () => {
    const sim = await simulator({ tls: true });
    expect(sim.wsUrls[0]).toMatch(/^wss:/);
    const client = contributor(sim, { tls: { ca: sim.certificate } });
    await client.connect();
    await expect(client.contribute("TRCCTEST01", { BID: 1 })).resolves.toMatchObject({ ric: "TRCCTEST01" });
  });

  test("verifies certificates by default: a self-signed server is refused at once with a CertificateError", async () => {
    const sim = await simulator({ tls: true });
    const client = contributor(sim, { auth: trustingTokenManager(sim) });
    const connecting: string[] = [];
    client.on("state", (change) => {
      if (change.to === "connecting") connecting.push(change.to);
    });
    const error = await client.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CertificateError);
    expect(error).toMatchObject({ certificateCode: "DEPTH_ZERO_SELF_SIGNED_CERT", retriable: false });
    // Not retried: one WebSocket attempt, no reconnect scheduled, and the session is over.
    expect(connecting).toHaveLength(1);
    expect(client.stats().reconnects).toBe(0);
    expect(client.state).toBe("closed");
    expect(sim.state.counters.logins).toBe(0);
  });

  test("rejectUnauthorized:false explicitly turns verification off", async () => {
    const sim = await simulator({ tls: true });
    const client = contributor(sim, { auth: trustingTokenManager(sim), tls: { rejectUnauthorized: false } });
    await client.connect();
    expect(client.state).toBe("ready");
  });
});

describe("proxy", () => {
  test("tunnels the WebSocket and the token requests through the proxy option", async () => {
    const sim = await simulator();
    const proxy = await startProxy();
    const client = contributor(sim, { proxy: proxy.url });
    await client.connect();
    await expect(client.contribute("TRCCTEST01", { BID: 1 })).resolves.toBeDefined();
    const wsTarget = new URL(sim.wsUrls[0]!).host;
    const authTarget = new URL(sim.authUrl).host;
    expect(proxy.targets).toContain(wsTarget);
    expect(proxy.targets).toContain(authTarget);
  });
});
