/**
 * A minimal HTTP CONNECT proxy on 127.0.0.1 for tests: records every tunnel target (`host:port`) and connects
 * each tunnel to 127.0.0.1 on the target's port, whatever its host, so tests can use host names that are
 * never resolved (e.g. `rcc-sim.invalid`) — the only way to make a client use an environment proxy, which
 * loopback hosts bypass — and no traffic ever leaves this machine.
 */
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect as netConnect, type Socket } from "node:net";

/** A running test proxy. */
export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`, for HTTPS_PROXY / HTTP_PROXY or a `proxy` option. */
  url: string;
  /** The `host:port` of every CONNECT request, in order. */
  targets: string[];
  /** Closes the listener and every tunnel. */
  close(): Promise<void>;
}

/** Starts a {@link ConnectProxy} on an ephemeral port of 127.0.0.1. */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    targets.push(target);
    const port = Number(target.slice(target.lastIndexOf(":") + 1));
    const upstream = netConnect(port, "127.0.0.1", () => {
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
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    targets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
