/**
 * `npm run bench [-- --quick] [-- --only name,name]`: runs the benchmarks in order, prints one JSON line per
 * result on stdout and a short table on stderr. Nothing here is part of `npm test`.
 */
import os from "node:os";
import { codec } from "./codec.js";
import { type Bench, type BenchResult, meetsGoal } from "./result.js";
import { startup } from "./startup.js";

const BENCHES: Record<string, Bench> = { codec, startup };

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const onlyIndex = args.indexOf("--only");
  const only = onlyIndex >= 0 ? (args[onlyIndex + 1] ?? "").split(",") : Object.keys(BENCHES);
  const unknown = only.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(BENCHES).join(", ")}\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(
    `# ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}${quick ? ", quick" : ""}\n`,
  );
  const all: BenchResult[] = [];
  for (const name of only) {
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
      process.exitCode = 1;
    }
    process.stderr.write(`# ${name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const rows = all.map((result) => {
    const met = meetsGoal(result);
    const goal = result.goal ? `${result.goal.op} ${result.goal.value}` : "";
    return `${`${result.bench}.${result.metric}`.padEnd(52)} ${String(result.value).padStart(14)} ${result.unit.padEnd(8)} ${goal.padEnd(12)} ${met === undefined ? "" : met ? "met" : "MISSED"}`;
  });
  process.stderr.write(`\n${rows.join("\n")}\n`);
}

await main();
