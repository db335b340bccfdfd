/**
 * bulk (benchmark 5): `rcc contribute FILE` (compiled CLI, bin/rcc.js) of a generated CSV against
 * the simulator in its own process with the rate limit lifted; rows per second of the `rcc` process's wall
 * clock (start to exit, Node start-up and login included). Credentials go through the environment
 * (`RCC_USER`, `RCC_PASSWORD`, …, the CLI's documented layer), never the command line.
 */
import { spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { ROOT, spawnTracked, startSimProcess } from "./children.js";
import { type Bench, type BenchResult, round } from "./result.js";

/** The wall-clock limit of one `rcc contribute` run, milliseconds. */
const RUN_TIMEOUT_MS = 120_000;

/** Writes `rows` CSV rows over 100 RICs (TRCCTEST001…TRCCTEST100, accepted by the simulator's default pattern). */
async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write("RIC,BID,ASK,PRIMACT_1,DSPLY_NAME\n");
  for (let i = 0; i < rows; i++) {
    const ric = `TRCCTEST${String((i % 100) + 1).padStart(3, "0")}`;
    const line = `${ric},${(451 + (i % 97) / 100).toFixed(2)},${(451.5 + (i % 89) / 100).toFixed(2)},${100 + i},Row ${i}\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/** A failure line: the metric could not be measured (e.g. `rcc contribute` does not exist yet). */
function failed(metric: string, unit: string, error: string, params: Record<string, unknown>): BenchResult {
  return { bench: "bulk", metric, value: Number.NaN, unit, params, error, goal: { op: ">=", value: 50_000 } };
}

export const bulk: Bench = async ({ quick }) => {
  const rows = quick ? 50_000 : 100_000;
  const bin = path.join(ROOT, "bin", "rcc.js");
  const params = { rows, cli: "node bin/rcc.js contribute (compiled dist/)" };
  const probe = spawnSync(process.execPath, [bin, "contribute", "--help"], { encoding: "utf8", timeout: 15_000 });
  if (probe.status !== 0) {
    const why = (probe.stderr || probe.stdout).trim().split("\n")[0] ?? `exit ${probe.status}`;
    return [failed("rows_per_s", "rows/s", `rcc contribute is not available in the compiled CLI: ${why}`, params)];
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "rcc-bench-bulk-"));
  const sim = await startSimProcess();
  try {
    const file = path.join(dir, "prices.csv");
    await writeCsv(file, rows);
    const env = {
      ...process.env,
      RCC_USER: sim.credentials.user,
      RCC_PASSWORD: sim.credentials.password,
      RCC_CLIENT_ID: sim.credentials.clientId,
      RCC_AUTH_URL: sim.credentials.authUrl,
      RCC_URLS: sim.wsUrls.join(","),
      NO_COLOR: "1",
    };
    const start = performance.now();
    const child = spawnTracked([bin, "contribute", file], env);
    const timer = setTimeout(() => child.process.kill("SIGKILL"), RUN_TIMEOUT_MS);
    const code = await child.exited;
    clearTimeout(timer);
    const wallMs = performance.now() - start;
    const state = await sim.state();
    const acked = state.counters.acks as number;
    const runParams = { ...params, exitCode: code, wallMs: round(wallMs), simulatorAcks: acked };
    if (code !== 0) {
      return [
        failed(
          "rows_per_s",
          "rows/s",
          `rcc contribute exited ${code}: ${child.stderr.trim().split("\n").slice(-3).join(" | ")}`,
          runParams,
        ),
      ];
    }
    return [
      {
        bench: "bulk",
        metric: "rows_per_s",
        value: round(rows / (wallMs / 1000)),
        unit: "rows/s",
        params: runParams,
        goal: { op: ">=", value: 50_000 },
      },
      {
        bench: "bulk",
        metric: "rows_acked",
        value: acked,
        unit: "rows",
        params: runParams,
        goal: { op: "==", value: rows },
      },
      { bench: "bulk", metric: "wall_s", value: round(wallMs / 1000), unit: "s", params: runParams },
    ];
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
};
