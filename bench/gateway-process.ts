/**
 * The gateway in its own process, for the gateway benchmarks (bench/gateway.ts, bench/cluster.ts): producers,
 * gateway and simulator then each have their own event loop, as in production; in cluster mode (`nats` in the
 * options) several of them join one cluster, and one can be killed outright.
 * `BENCH_GATEWAY_OPTIONS='<json>' node --import tsx bench/gateway-process.ts`; the options come through the
 * environment rather than argv because they hold the account's password (the simulator's demo one, but a
 * password all the same: argv is visible to every user of the machine).
 *
 * Protocol on the pipes (one JSON object per line):
 * - stdout, once listening: `{"url", "pid", "loadMs", "startMs"}` (`loadMs`: process start to the gateway
 *   module loaded, which includes tsx compiling the sources; `startMs`: `startGateway()` itself).
 * - stdin `usage` → stdout `{"rss": bytes, "heapUsed": bytes, "cpuUs": µs, "loopDelayP99Ms": ms}`, as
 *   bench/sim-process.ts answers it.
 * - stdin `close`, or stdin ending (the parent died) → the gateway closes and the process exits.
 */
import { serveChildProtocol } from "./child-protocol.js";
import { startGateway } from "../src/gateway/index.js";
import { createLogger } from "../src/index.js";
import type { GatewayProcessOptions } from "./gateway.js";

// The static imports above are loaded (and compiled by tsx) before this line runs.
const loadMs = process.uptime() * 1000;
const options = JSON.parse(process.env.BENCH_GATEWAY_OPTIONS ?? "{}") as GatewayProcessOptions;
const startedAt = performance.now();
const accounts = options.accounts ?? [{ name: options.account, rics: ["*"], credentials: options.credentials }];
const gateway = await startGateway({
  accounts: accounts.map((account) => ({
    name: account.name,
    rics: account.rics,
    contributor: { urls: options.wsUrls, ...account.credentials },
  })),
  // Cluster mode (bench/cluster.ts) when `nats` is given, else the single-node gateway on its outbox file.
  ...(options.nats === undefined ? { outboxPath: options.outboxPath } : { nats: options.nats }),
  apiKeys: [{ name: "bench", sha256: options.apiKeySha256 }],
  port: 0,
  shutdownTimeoutMs: 2_000,
  // Warnings and errors only by default, on stderr: the parent keeps its last few kB for its error messages
  // (bench/cluster.ts asks for "info", where the cluster's lease and term changes are logged).
  log: createLogger({ level: options.logLevel ?? "warn", name: "gateway" }),
});
const startMs = performance.now() - startedAt;
serveChildProtocol(() => gateway.close());

process.stdout.write(`${JSON.stringify({ url: gateway.url, pid: process.pid, loadMs, startMs })}\n`);
