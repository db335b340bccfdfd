/** startup: median wall time of `rcc --version` from compiled JavaScript (issue 5, benchmark 7; goal < 300 ms). */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Bench, percentile, round } from "./result.js";

export const startup: Bench = ({ quick }) => {
  const bin = fileURLToPath(new URL("../bin/rcc.js", import.meta.url));
  const runs = quick ? 7 : 21;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, [bin, "--version"], { encoding: "utf8" });
    const elapsed = performance.now() - start;
    if (result.status !== 0) throw new Error(`rcc --version failed: ${result.stderr}`);
    times.push(elapsed);
  }
  // Baseline: a bare `node -e 0` on the same machine, to separate Node's own start-up from ours.
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    bare.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  bare.sort((a, b) => a - b);
  const median = percentile(times, 50);
  const nodeMedian = percentile(bare, 50);
  return [
    {
      bench: "startup",
      metric: "rcc_version_median_ms",
      value: round(median),
      unit: "ms",
      params: { runs },
      goal: { op: "<=", value: 300 },
    },
    { bench: "startup", metric: "node_bare_median_ms", value: round(nodeMedian), unit: "ms", params: { runs } },
    {
      bench: "startup",
      metric: "rcc_over_bare_node_ratio",
      value: round(median / nodeMedian),
      unit: "ratio",
      params: { runs },
    },
  ];
};
