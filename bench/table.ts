/**
 * Turns the JSON lines of a bench run into the Markdown results table of docs/performance.md, so the table
 * is pasted from a real run rather than retyped: `npm run bench -- --quick > run.jsonl` then
 * `node --import tsx bench/table.ts run.jsonl`.
 */
import { readFileSync } from "node:fs";
import { type BenchResult, meetsGoal } from "./result.js";

/** One Markdown row per result: benchmark, metric, value and unit, goal, verdict. */
export function markdownTable(results: readonly BenchResult[]): string {
  const rows = results.map((result) => {
    const value = result.error === undefined ? `${result.value} ${result.unit}` : "—";
    const goal = result.goal ? `${result.goal.op} ${result.goal.value}` : "";
    const met = meetsGoal(result);
    const verdict =
      result.error !== undefined ? `failed: ${result.error}` : met === undefined ? "" : met ? "met" : "**missed**";
    return `| ${result.bench} | ${result.metric} | ${value} | ${goal} | ${verdict} |`;
  });
  return ["| Benchmark | Metric | Value | Goal | |", "|---|---|---:|---|---|", ...rows].join("\n");
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write("usage: table.ts RUN.jsonl\n");
  process.exitCode = 1;
} else {
  const results = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as BenchResult);
  process.stdout.write(`${markdownTable(results)}\n`);
}
