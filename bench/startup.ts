/**
 * startup: median wall time of `rcc --version` from compiled JavaScript (benchmark 7; goal < 300 ms), and the
 * import time of each package entry (dist/index.js = `rcc-contrib`, dist/simulator/index.js =
 * `rcc-contrib/simulator`, dist/internal.js = the CLI's internal entry, dist/gateway/index.js =
 * `rcc-contrib/gateway`) over a bare Node start (client entry goal ≤ 40 ms).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Bench, type BenchResult, percentile, round } from "./result.js";

/** The compiled entries, by the metric name they get. */
const ENTRIES = {
  client: "../dist/index.js",
  simulator: "../dist/simulator/index.js",
  internal: "../dist/internal.js",
  gateway: "../dist/gateway/index.js",
} as const;

/** Goals over bare Node, milliseconds (docs/performance.md). */
const ENTRY_GOALS_MS: Partial<Record<keyof typeof ENTRIES, number>> = { client: 40 };

/** Runs `node ...args` to completion and returns its wall time, milliseconds. */
function timeNode(args: string[], what: string): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: "utf8" });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${what} failed: ${result.stderr}`);
  return elapsed;
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export const startup: Bench = ({ quick }) => {
  const bin = fileURLToPath(new URL("../bin/rcc.js", import.meta.url));
  const runs = quick ? 7 : 21;
  const rcc: number[] = [];
  // Baseline: a bare `node -e 0` on the same machine, to separate Node's own start-up from ours.
  const bare: number[] = [];
  const entries = Object.fromEntries(Object.keys(ENTRIES).map((name) => [name, [] as number[]])) as Record<
    keyof typeof ENTRIES,
    number[]
  >;
  // Interleaved, so that a busy moment of the box weighs on every figure alike rather than on one.
  for (let i = 0; i < runs; i++) {
    rcc.push(timeNode([bin, "--version"], "rcc --version"));
    bare.push(timeNode(["-e", "0"], "node -e 0"));
    for (const [name, path] of Object.entries(ENTRIES) as [keyof typeof ENTRIES, string][]) {
      const url = pathToFileURL(fileURLToPath(new URL(path, import.meta.url))).href;
      entries[name].push(
        timeNode(["--input-type=module", "-e", `await import(${JSON.stringify(url)})`], `importing ${path}`),
      );
    }
  }
  const rccMedian = median(rcc);
  const nodeMedian = median(bare);
  const results: BenchResult[] = [
    {
      bench: "startup",
      metric: "rcc_version_median_ms",
      value: round(rccMedian),
      unit: "ms",
      params: { runs },
      goal: { op: "<=", value: 300 },
    },
    { bench: "startup", metric: "node_bare_median_ms", value: round(nodeMedian), unit: "ms", params: { runs } },
    {
      bench: "startup",
      metric: "rcc_over_bare_node_ratio",
      value: round(rccMedian / nodeMedian),
      unit: "ratio",
      params: { runs },
    },
  ];
  for (const [name, times] of Object.entries(entries) as [keyof typeof ENTRIES, number[]][]) {
    const goal = ENTRY_GOALS_MS[name];
    const entryMedian = median(times);
    results.push({
      bench: "startup",
      metric: `${name}_entry_import_over_bare_node_ms`,
      value: round(entryMedian - nodeMedian),
      unit: "ms",
      params: { runs, entry: ENTRIES[name].slice(3), median_ms: round(entryMedian) },
      ...(goal === undefined ? {} : { goal: { op: "<=" as const, value: goal } }),
    });
  }
  return results;
};
