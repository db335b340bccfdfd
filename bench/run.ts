/**
 * `npm run bench [-- --quick] [-- --only name,name | -- name …]`: runs the benchmarks in order, prints one JSON line per
 * result on stdout and a short table on stderr. Nothing here is part of `npm test`.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { bulk } from "./bulk.js";
import { killAllChildren } from "./children.js";
import { cluster } from "./cluster.js";
import { codec } from "./codec.js";
import { type Bench, type BenchResult, meetsGoal } from "./result.js";
import { fanIn } from "./fan-in.js";
import { gateway } from "./gateway.js";
import { memory } from "./memory.js";
import { oneshot } from "./oneshot.js";
import { rate } from "./rate.js";
import { reference } from "./reference.js";
import { startup } from "./startup.js";
import { throughput } from "./throughput.js";
import { wire } from "./wire.js";

/** In the order of docs/performance.md; `--only` picks a subset (the order stays this one). */
const BENCHES: Record<string, Bench> = {
  codec,
  throughput,
  rate,
  "fan-in": fanIn,
  bulk,
  memory,
  startup,
  reference,
  gateway,
  wire,
  oneshot,
  cluster,
};

/** Linux CPU pressure (share of time some task waited for a CPU, last 10 s): other load skews every figure. */
function cpuPressure(): string {
  try {
    const match = /some avg10=([\d.]+)/.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    return match ? `, CPU pressure ${match[1]} %` : "";
  } catch {
    return "";
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const onlyIndex = args.indexOf("--only");
  // Names may also be given bare (`npm run bench -- cluster`), as `--only` takes them.
  const named = args.filter(
    (arg, index) => !arg.startsWith("--") && (onlyIndex < 0 || index !== onlyIndex + 1) && arg !== "",
  );
  const listed = [...(onlyIndex >= 0 ? (args[onlyIndex + 1] ?? "").split(",") : []), ...named];
  const only = listed.length > 0 ? listed : Object.keys(BENCHES);
  const unknown = only.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(BENCHES).join(", ")}\n`);
    process.exitCode = 1;
    return;
  }
  const load = os
    .loadavg()
    .map((average) => average.toFixed(2))
    .join(" ");
  process.stderr.write(
    `# ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}${quick ? ", quick" : ""}, load average ${load}${cpuPressure()}\n`,
  );
  const all: BenchResult[] = [];
  for (const name of Object.keys(BENCHES).filter((known) => only.includes(known))) {
    const bench = BENCHES[name];
    if (!bench) continue;
    const started = performance.now();
    try {
      const results = await bench({ quick });
      for (const result of results) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        all.push(result);
      }
    } catch (error) {
      process.stderr.write(`benchmark ${name} failed: ${(error as Error).stack ?? String(error)}\n`);
      // Still one JSON line, so a consumer sees the failure instead of a missing benchmark.
      const failure: BenchResult = {
        bench: name,
        metric: "failed",
        value: Number.NaN,
        unit: "",
        params: {},
        error: (error as Error).message,
      };
      process.stdout.write(`${JSON.stringify(failure)}\n`);
      all.push(failure);
      process.exitCode = 1;
    } finally {
      killAllChildren();
    }
    process.stderr.write(`# ${name} took ${((performance.now() - started) / 1000).toFixed(1)} s${cpuPressure()}\n`);
  }
  const rows = all.map((result) => {
    const met = meetsGoal(result);
    const goal = result.goal ? `${result.goal.op} ${result.goal.value}` : "";
    const verdict =
      result.error !== undefined ? `FAILED: ${result.error}` : met === undefined ? "" : met ? "met" : "MISSED";
    return `${`${result.bench}.${result.metric}`.padEnd(52)} ${String(result.value).padStart(14)} ${result.unit.padEnd(8)} ${goal.padEnd(12)} ${verdict}`;
  });
  process.stderr.write(`\n${rows.join("\n")}\n`);
}

// Ctrl+C: kill the simulator and client children before leaving.
process.once("SIGINT", () => {
  killAllChildren();
  process.exit(130);
});

await main();
