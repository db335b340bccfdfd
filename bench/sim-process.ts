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
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { startSimulator, type SimulatorOptions } from "../src/simulator/index.js";

const options = JSON.parse(process.argv[2] ?? "{}") as SimulatorOptions;
const sim = await startSimulator(options);
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
let closing = false;

async function shutdown(code: number): Promise<void> {
  if (closing) return;
  closing = true;
  // Bounded: a simulator that does not close within 5 s is abandoned (the process exits anyway).
  await Promise.race([sim.close(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  process.exit(code);
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const command = line.trim();
  if (command === "usage") {
    const { rss, heapUsed } = process.memoryUsage();
    const { user, system } = process.cpuUsage();
    const loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
    loopDelay.reset();
    process.stdout.write(`${JSON.stringify({ rss, heapUsed, cpuUs: user + system, loopDelayP99Ms })}\n`);
  } else if (command === "close") {
    void shutdown(0);
  }
});
// The parent closing our stdin (or dying) ends us: no orphaned simulators.
lines.on("close", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

process.stdout.write(
  `${JSON.stringify({ authUrl: sim.authUrl, wsUrls: sim.wsUrls, adminUrl: sim.adminUrl, pid: process.pid })}\n`,
);
