/**
 * memory (benchmark 6): a burst of 1,000,000 `contribute()` calls (100,000 quick) with the default
 * in-flight (1,000) and queue (10,000) bounds, in a child process with `--expose-gc` against the simulator
 * (limit lifted). Two producers: the literal burst (every call made at once: posts beyond the queue bound
 * wait in the waiting room, so memory grows with the burst), and a producer that keeps at most
 * maxInFlight + maxQueued outstanding. Measured: baseline, peak and after-GC RSS and heap.
 */
import { type SimProcess, spawnTracked, startSimProcess } from "./children.js";
import { type Bench, type BenchResult, round } from "./result.js";

interface MemoryReport {
  mode: "burst" | "windowed";
  posts: number;
  acked: number;
  failed: number;
  elapsedMs: number;
  baseline: { rss: number; heapUsed: number };
  peak: { rss: number; heapUsed: number };
  after: { rss: number; heapUsed: number };
}

/** After the burst and a forced GC, the heap must be back within this of its baseline, MB. */
const HEAP_RETURN_TOLERANCE_MB = 5;

async function runChild(sim: SimProcess, mode: MemoryReport["mode"], posts: number): Promise<MemoryReport> {
  const input = { wsUrl: sim.wsUrls[0], credentials: sim.credentials, posts, mode };
  const child = spawnTracked(["--expose-gc", "--import", "tsx", "bench/memory-child.ts", JSON.stringify(input)]);
  try {
    return JSON.parse(await child.nextLine(600_000, `the memory child (${mode})`)) as MemoryReport;
  } finally {
    await child.stop();
  }
}

const mb = (bytes: number): number => round(bytes / 1e6);

function modeResults(report: MemoryReport): BenchResult[] {
  const { mode, baseline, peak, after, posts } = report;
  const params = {
    posts,
    acked: report.acked,
    failed: report.failed,
    elapsedMs: round(report.elapsedMs),
    postsPerS: round(report.acked / (report.elapsedMs / 1000)),
    baselineRssMB: mb(baseline.rss),
    baselineHeapMB: mb(baseline.heapUsed),
    afterRssMB: mb(after.rss),
    afterHeapMB: mb(after.heapUsed),
  };
  return [
    { bench: "memory", metric: `${mode}_peak_rss_mb`, value: mb(peak.rss), unit: "MB", params },
    {
      bench: "memory",
      metric: `${mode}_peak_heap_growth_mb`,
      value: mb(peak.heapUsed - baseline.heapUsed),
      unit: "MB",
      params,
    },
    // Only the burst holds every post at once; in the windowed mode the peak is garbage awaiting collection.
    ...(mode === "burst"
      ? [
          {
            bench: "memory",
            metric: "burst_peak_heap_bytes_per_post",
            value: round((peak.heapUsed - baseline.heapUsed) / posts),
            unit: "B",
            params,
          },
        ]
      : []),
    {
      bench: "memory",
      metric: `${mode}_heap_growth_after_gc_mb`,
      value: mb(after.heapUsed - baseline.heapUsed),
      unit: "MB",
      params,
      goal: { op: "<=", value: HEAP_RETURN_TOLERANCE_MB },
    },
    {
      bench: "memory",
      metric: `${mode}_rss_growth_after_gc_mb`,
      value: mb(after.rss - baseline.rss),
      unit: "MB",
      params,
    },
    {
      bench: "memory",
      metric: `${mode}_posts_acked`,
      value: report.acked,
      unit: "posts",
      params,
      goal: { op: "==", value: posts },
    },
  ];
}

export const memory: Bench = async ({ quick }) => {
  const posts = quick ? 100_000 : 1_000_000;
  const sim = await startSimProcess();
  try {
    const burst = await runChild(sim, "burst", posts);
    const windowed = await runChild(sim, "windowed", posts);
    return [...modeResults(burst), ...modeResults(windowed)];
  } finally {
    await sim.close();
  }
};
