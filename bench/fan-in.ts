/**
 * fan-in (benchmark 4 in docs/performance.md): 100 and 1,000 concurrently logged-in connections, each posting 10 msg/s,
 * against the simulator in its own process. The load comes from lean raw clients (bench/lean-client.ts)
 * that share one access token, so the figures are the simulator's, not a thousand token managers'.
 * Measured: aggregate acked posts/s, send→Ack latency, connections held, simulator RSS and CPU.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startSimProcess } from "./children.js";
import { LatencyLog, LeanClient } from "./lean-client.js";
import { passwordGrantToken } from "./reference-client.js";
import { type Bench, type BenchResult, percentile, round } from "./result.js";
import { BENCH_RIC } from "./workload.js";

/** Each connection's posting interval: 10 msg/s. */
const POST_INTERVAL_MS = 100;
/** Connections opened at once while logging in. */
const CONNECT_CONCURRENCY = 50;

async function connectAll(url: string, token: string, count: number, log: LatencyLog): Promise<LeanClient[]> {
  const clients: LeanClient[] = [];
  for (let first = 0; first < count; first += CONNECT_CONCURRENCY) {
    const size = Math.min(CONNECT_CONCURRENCY, count - first);
    const settled = await Promise.allSettled(
      Array.from({ length: size }, () => LeanClient.connect(url, token, log, BENCH_RIC)),
    );
    for (const result of settled) {
      if (result.status === "fulfilled") clients.push(result.value);
    }
    const refused = settled.find((result) => result.status === "rejected");
    if (refused !== undefined) {
      for (const client of clients) client.terminate();
      throw new Error(`connection ${clients.length + 1} of ${count} failed: ${String(refused.reason)}`);
    }
  }
  return clients;
}

/** Posts for `durationMs`, each client every {@link POST_INTERVAL_MS}, phases spread evenly. */
async function runLoad(clients: LeanClient[], durationMs: number): Promise<void> {
  const start = performance.now();
  for (const [index, client] of clients.entries())
    client.nextAtMs = start + (index / clients.length) * POST_INTERVAL_MS;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      for (const client of clients) {
        if (now < client.nextAtMs || !client.open) continue;
        client.post(now);
        // Keep the schedule; after a stall, skip missed slots instead of bursting to catch up.
        client.nextAtMs = Math.max(client.nextAtMs + POST_INTERVAL_MS, now);
      }
      if (now - start >= durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
}

async function waitForAcks(clients: LeanClient[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (clients.some((client) => client.outstanding > 0) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface FanInRun {
  connections: number;
  held: number;
  loginAllMs: number;
  postsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  naks: number;
  rssBaseline: number;
  rssLoaded: number;
  simCpuPercent: number;
  benchCpuPercent: number;
  benchLoopDelayP99Ms: number;
  simLoopDelayP99Ms: number;
  durationMs: number;
}

async function runLevel(connections: number, durationMs: number): Promise<FanInRun> {
  const sim = await startSimProcess({ maxMessagesPerSecond: 1000 });
  let clients: LeanClient[] = [];
  try {
    const rssBaseline = (await sim.usage()).rss;
    const token = await passwordGrantToken(sim.credentials);
    const log = new LatencyLog();
    const loginStart = performance.now();
    clients = await connectAll(sim.wsUrls[0]!, token, connections, log);
    const loginAllMs = performance.now() - loginStart;
    await runLoad(clients, Math.min(1000, durationMs / 3)); // warm-up
    await waitForAcks(clients, 2000);
    log.count = 0;
    log.naks = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const cpuBefore = (await sim.usage()).cpuUs;
    const benchCpuBefore = process.cpuUsage();
    await runLoad(clients, durationMs);
    const benchCpu = process.cpuUsage(benchCpuBefore);
    await waitForAcks(clients, 5000);
    loopDelay.disable();
    const after = await sim.usage();
    const state = await sim.state();
    const held = (state.connections as { state: string }[]).filter(
      (connection) => connection.state === "logged-in",
    ).length;
    const sorted = log.sorted();
    return {
      connections,
      held,
      loginAllMs,
      postsPerSecond: log.count / (durationMs / 1000),
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      naks: log.naks,
      rssBaseline,
      rssLoaded: after.rss,
      simCpuPercent: (100 * (after.cpuUs - cpuBefore)) / (durationMs * 1000),
      benchCpuPercent: (100 * (benchCpu.user + benchCpu.system)) / (durationMs * 1000),
      benchLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      simLoopDelayP99Ms: after.loopDelayP99Ms,
      durationMs,
    };
  } finally {
    for (const client of clients) client.terminate();
    await sim.close();
  }
}

function levelResults(run: FanInRun, goals: boolean): BenchResult[] {
  const n = run.connections;
  const params = {
    connections: n,
    msgsPerSecondEach: 1000 / POST_INTERVAL_MS,
    durationMs: run.durationMs,
    loginAllMs: round(run.loginAllMs),
    simulatorCpuPercent: round(run.simCpuPercent, 3),
    loadClientsCpuPercent: round(run.benchCpuPercent, 3),
    benchEventLoopDelayP99Ms: round(run.benchLoopDelayP99Ms, 3),
    simulatorEventLoopDelayP99Ms: round(run.simLoopDelayP99Ms, 3),
  };
  return [
    {
      bench: "fan-in",
      metric: `connections_held_${n}`,
      value: run.held,
      unit: "conns",
      params,
      ...(goals ? { goal: { op: ">=" as const, value: n } } : {}),
    },
    { bench: "fan-in", metric: `acked_posts_per_s_${n}`, value: round(run.postsPerSecond), unit: "posts/s", params },
    { bench: "fan-in", metric: `ack_latency_p50_ms_${n}`, value: round(run.p50Ms, 3), unit: "ms", params },
    {
      bench: "fan-in",
      metric: `ack_latency_p99_ms_${n}`,
      value: round(run.p99Ms, 3),
      unit: "ms",
      params,
      ...(goals ? { goal: { op: "<=" as const, value: 10 } } : {}),
    },
    { bench: "fan-in", metric: `naks_${n}`, value: run.naks, unit: "posts", params, goal: { op: "==", value: 0 } },
    {
      bench: "fan-in",
      metric: `simulator_rss_mb_${n}`,
      value: round(run.rssLoaded / 1e6),
      unit: "MB",
      params: { ...params, baselineMB: round(run.rssBaseline / 1e6) },
    },
    {
      bench: "fan-in",
      metric: `simulator_rss_kb_per_connection_${n}`,
      value: round((run.rssLoaded - run.rssBaseline) / 1e3 / n),
      unit: "kB",
      params,
    },
  ];
}

export const fanIn: Bench = async ({ quick }) => {
  const durationMs = quick ? 2000 : 10_000;
  const small = await runLevel(100, durationMs);
  const large = await runLevel(1000, durationMs);
  return [...levelResults(small, false), ...levelResults(large, true)];
};
