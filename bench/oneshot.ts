/**
 * oneshot: the cost of one `rcc post` (compiled CLI, bin/rcc.js), spawn to exit, against the simulator in its
 * own process — as a ratio to bench/oneshot-minimal.mjs, a plain-JavaScript script doing the same exchange with
 * only `ws` and `node:http` (password grant, Login, one post with Ack, Login Close; goal ≤ 1.3×). A bare
 * `node -e 0` runs alongside, to separate Node's own start-up from both. The three alternate, so a busy moment
 * of the box weighs on each alike; one untimed round first warms the file cache and the simulator.
 */
import path from "node:path";
import { ROOT, type SimProcess, spawnTracked, startSimProcess } from "./children.js";
import { type Bench, type BenchResult, percentile, round } from "./result.js";

/** The RIC posted to (the simulator's demo RIC). */
const RIC = "TRCCTEST01";
/** The wall-clock limit of one child, milliseconds. */
const RUN_TIMEOUT_MS = 30_000;

/** One child's wall time (spawn to exit) and exit code. */
interface Run {
  wallMs: number;
  code: number | null;
  stderr: string;
}

/** Spawns `node ...args`, waits for it to exit and times it. */
async function timeChild(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const start = performance.now();
  const child = spawnTracked(args, env);
  const timer = setTimeout(() => child.process.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const code = await child.exited;
  const wallMs = performance.now() - start;
  clearTimeout(timer);
  return { wallMs, code, stderr: child.stderr.trim() };
}

/** The three commands of a round, with the simulator's addresses and the demo account. */
function commands(sim: SimProcess): Record<"minimal" | "rcc" | "bare", string[]> {
  const { authUrl, user, clientId } = sim.credentials;
  const wsUrl = sim.wsUrls[0] ?? "";
  return {
    minimal: ["bench/oneshot-minimal.mjs", authUrl, wsUrl, user, clientId, RIC],
    rcc: [
      path.join(ROOT, "bin", "rcc.js"),
      "post",
      "--auth-url",
      authUrl,
      "--url",
      wsUrl,
      "--user",
      user,
      "--clientid",
      clientId,
      "--ric",
      RIC,
      "--field",
      "BID=1",
    ],
    bare: ["-e", "0"],
  };
}

/** Wall times of the runs that exited 0, ascending. */
function succeeded(runs: Run[]): number[] {
  return runs
    .filter((run) => run.code === 0)
    .map((run) => run.wallMs)
    .sort((a, b) => a - b);
}

export const oneshot: Bench = async ({ quick }) => {
  const runs = quick ? 7 : 21;
  const sim = await startSimProcess();
  const times: Record<"minimal" | "rcc" | "bare", Run[]> = { minimal: [], rcc: [], bare: [] };
  const failures: string[] = [];
  let acks: number;
  try {
    // The password through the environment, as a user should pass it (never the command line).
    const env = { ...process.env, RCC_PASSWORD: sim.credentials.password, NO_COLOR: "1" };
    const command = commands(sim);
    for (const name of ["minimal", "rcc"] as const) {
      const warm = await timeChild(command[name], env);
      if (warm.code !== 0) throw new Error(`${name} warm-up run exited ${warm.code}: ${warm.stderr}`);
    }
    const acksBefore = (await sim.state()).counters.acks as number;
    for (let i = 0; i < runs; i++) {
      for (const name of ["minimal", "rcc", "bare"] as const) {
        const run = await timeChild(command[name], env);
        times[name].push(run);
        if (run.code !== 0) failures.push(`${name} run ${i + 1} exited ${run.code}: ${run.stderr.split("\n")[0]}`);
      }
    }
    acks = ((await sim.state()).counters.acks as number) - acksBefore;
  } finally {
    await sim.close();
  }
  const minimal = succeeded(times.minimal);
  const rcc = succeeded(times.rcc);
  const bare = succeeded(times.bare);
  const params = {
    runs,
    ric: RIC,
    cli: "node bin/rcc.js post (compiled dist/)",
    baseline: "bench/oneshot-minimal.mjs",
  };
  const error = rcc.length === 0 || minimal.length === 0 ? (failures[0] ?? "no successful run") : undefined;
  const figure = (metric: string, value: number, unit: string, extra: Partial<BenchResult> = {}): BenchResult => ({
    bench: "oneshot",
    metric,
    value: round(value),
    unit,
    params,
    ...(error === undefined || unit !== "ms" ? {} : { error }),
    ...extra,
  });
  const rccMedian = percentile(rcc, 50);
  const minimalMedian = percentile(minimal, 50);
  const bareMedian = percentile(bare, 50);
  return [
    figure("rcc_post_median_ms", rccMedian, "ms"),
    figure("rcc_post_p90_ms", percentile(rcc, 90), "ms"),
    figure("minimal_script_median_ms", minimalMedian, "ms"),
    figure("minimal_script_p90_ms", percentile(minimal, 90), "ms"),
    figure("node_bare_median_ms", bareMedian, "ms"),
    figure("rcc_post_over_minimal_ratio", rccMedian / minimalMedian, "ratio", {
      params: {
        ...params,
        rcc_over_bare_node_ms: round(rccMedian - bareMedian),
        minimal_over_bare_node_ms: round(minimalMedian - bareMedian),
      },
      goal: { op: "<=", value: 1.3 },
      ...(error === undefined ? {} : { error }),
    }),
    figure("failed_runs", failures.length, "runs", {
      params: failures.length === 0 ? params : { ...params, failures: failures.slice(0, 5) },
      goal: { op: "==", value: 0 },
    }),
    // Every successful post of either program is one Ack at the simulator; no more, no fewer.
    figure("posts_acked_by_simulator", acks, "posts", { goal: { op: "==", value: minimal.length + rcc.length } }),
  ];
};
