/** WSS with certificate checks on by default, custom CAs, and HTTP CONNECT proxies (issue 3). */
import { createServer, type Server } from "node:http";
import { type Socket, connect as netConnect } from "node:net";
import type { AddressInfo } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, test } from "vitest";
import type { ReconnectInfo } from "../../src/client/session-state.js";
import { TokenManager } from "../../src/client/token-manager.js";
import { cleanup, contributor, credentials, simulator, waitFor } from "./client-fixtures.js";

const proxies: { server: Server; sockets: Set<Socket> }[] = [];
const agents: Agent[] = [];
const managers: TokenManager[] = [];

afterEach(async () => {
  await cleanup();
  for (const manager of managers.splice(0)) manager.stop();
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
  await Promise.all(
    proxies.splice(0).map(
      ({ server, sockets }) =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    ),
  );
});

/** A minimal HTTP CONNECT proxy on 127.0.0.1 recording every tunnel target. */
async function startProxy(): Promise<{ url: string; targets: string[] }> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req, client: Socket, head: Buffer) => {
    targets.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = netConnect(Number(port), host ?? "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxies.push({ server, sockets });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets };
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

  test("verifies certificates by default: a self-signed server is refused and the session keeps retrying", async () => {
    const sim = await simulator({ tls: true });
    const client = contributor(sim, { auth: trustingTokenManager(sim) });
    const seen: ReconnectInfo[] = [];
    client.on("reconnecting", (info) => seen.push(info));
    const connecting = client.connect().catch((error: unknown) => error);
    await waitFor(() => seen.length >= 2, 3000, "two refused attempts");
    expect(seen[0]!.cause.message).toMatch(/certificate/i);
    expect(client.state).not.toBe("ready");
    expect(sim.state.counters.logins).toBe(0);
    await client.close();
    expect(await connecting).toBeInstanceOf(Error);
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
