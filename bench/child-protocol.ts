/**
 * The stdin protocol of the benchmarks' server children (bench/sim-process.ts, bench/gateway-process.ts): `usage`
 * answers one JSON line `{"rss", "heapUsed", "cpuUs", "loopDelayP99Ms"}` (memory in bytes, CPU time since the
 * start in µs, the p99 of the event-loop delay since the previous `usage` in ms); `close`, stdin ending (the
 * parent died) or SIGTERM closes the server and exits.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";

/**
 * Serves the protocol for a running server.
 * @param close closes the server; waited for at most 5 s before the process exits anyway.
 */
export function serveChildProtocol(close: () => Promise<void>): void {
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  let closing = false;
  const shutdown = async (code: number): Promise<void> => {
    if (closing) return;
    closing = true;
    await Promise.race([close(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    process.exit(code);
  };
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
  // The parent closing our stdin (or dying) ends us: no orphaned servers (or outbox locks).
  lines.on("close", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
}
