/**
 * A TCP proxy in front of a WebSocket listener that delays the client's bytes now and then: every `periodMs` it
 * holds everything the client sends for `holdMs`, then lets it through at once — a link whose latency varies by
 * `holdMs`, so messages sent a little more than a second apart can arrive within one second.
 */
import { type Server, type Socket, connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";

/** A running proxy; `url` replaces the listener's URL. */
export interface JitterProxy {
  url: string;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 in front of `wsUrl` (a `ws://127.0.0.1:port/WebSocket` URL). */
export async function startJitterProxy(wsUrl: string, holdMs: number, periodMs = 250): Promise<JitterProxy> {
  const upstreamPort = Number(new URL(wsUrl).port);
  let holding = false;
  const links = new Set<{ upstream: Socket; downstream: Socket; held: Buffer[] }>();
  const gate = setInterval(() => {
    holding = true;
    setTimeout(() => {
      holding = false;
      for (const link of links) for (const chunk of link.held.splice(0)) link.upstream.write(chunk);
    }, holdMs);
  }, periodMs);
  const server: Server = createServer((downstream) => {
    const upstream = connect(upstreamPort, "127.0.0.1");
    const link = { upstream, downstream, held: [] as Buffer[] };
    links.add(link);
    downstream.on("data", (chunk: Buffer) => {
      if (!holding && link.held.length === 0) upstream.write(chunk);
      else link.held.push(chunk);
    });
    upstream.on("data", (chunk: Buffer) => downstream.write(chunk));
    const end = (): void => {
      links.delete(link);
      upstream.destroy();
      downstream.destroy();
    };
    for (const socket of [upstream, downstream]) socket.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/WebSocket`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(gate);
        for (const link of links) {
          link.upstream.destroy();
          link.downstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
