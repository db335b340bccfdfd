/**
 * A TCP forwarder on 127.0.0.1 for partition tests: everything it accepts is piped to a target port until
 * {@link TcpProxy.cut}, which stops moving bytes both ways without closing anything — to both ends the link
 * looks alive but silent, as across a network partition — until {@link TcpProxy.heal}.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/** A running forwarder. */
export interface TcpProxy {
  port: number;
  /** `nats://127.0.0.1:PORT` (for NATS targets). */
  url: string;
  /** Stops forwarding (both ways; new connections are accepted and left silent). */
  cut(): void;
  /** Forwards again; bytes held meanwhile are dropped, as a partition drops them. */
  heal(): void;
  close(): Promise<void>;
}

/** Starts a forwarder to `127.0.0.1:targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let cut = false;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on("data", (chunk: Buffer) => {
        if (!cut) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    cut: () => {
      cut = true;
    },
    heal: () => {
      cut = false;
    },
    close: async () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
