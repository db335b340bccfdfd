/**
 * The simulator in its own process, for the benchmarks that must not share a CPU's event loop with the
 * client: `node --import tsx bench/sim-process.ts '<json options>'`.
 *
 * Protocol on the pipes (one JSON object per line):
 * - stdout, once ready: `{"authUrl", "wsUrls", "adminUrl", "pid"}` (no credentials: the parent chose them).
 * - stdin `usage` → stdout `{"rss": bytes, "heapUsed": bytes, "cpuUs": µs, "loopDelayP99Ms": ms}` (the
 *   simulator process's own memory, its CPU time since it started, and the p99 of its event-loop delay
 *   since the previous `usage`).
 * - stdin `close`, or stdin ending (the parent died) → the simulator closes and the process exits.
 */
import { serveChildProtocol } from "./child-protocol.js";
import { startSimulator, type SimulatorOptions } from "../src/simulator/index.js";

const options = JSON.parse(process.argv[2] ?? "{}") as SimulatorOptions;
const sim = await startSimulator(options);
serveChildProtocol(() => sim.close());

process.stdout.write(
  `${JSON.stringify({ authUrl: sim.authUrl, wsUrls: sim.wsUrls, adminUrl: sim.adminUrl, pid: process.pid })}\n`,
);
