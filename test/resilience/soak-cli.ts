/**
 * `npm run soak -- --minutes N --seed S [--contributions C] [--time-scale F] [--rate-margin-ms M]`: a long chaos
 * soak (see chaos-harness.ts); `--rate-margin-ms` sets the contributor's `rateWindowMarginMs` (default: the
 * library's). Progress goes to stderr every ten seconds; the result is ONE JSON line on stdout (the
 * report plus the date and the machine). Exit code 0 when every check passed, 1 when one failed, 2 on bad
 * usage. Replay a failure with the same seed.
 */
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { runChaos } from "./chaos-harness.js";

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`soak: --${name} must be a positive number, got '${raw}'\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string" },
      seed: { type: "string" },
      contributions: { type: "string" },
      "time-scale": { type: "string" },
      "rate-margin-ms": { type: "string" },
    },
  });
  const minutes = positive("minutes", values.minutes, 5);
  const seed = Math.floor(positive("seed", values.seed, 1));
  const contributions = Math.floor(positive("contributions", values.contributions, 100_000));
  const timeScale = positive("time-scale", values["time-scale"], 1);
  const marginRaw = values["rate-margin-ms"];
  const rateWindowMarginMs = marginRaw === undefined ? undefined : positive("rate-margin-ms", marginRaw, 5);
  const startedAt = new Date().toISOString();
  process.stderr.write(`soak: seed ${seed}, at least ${minutes} min and ${contributions} contributions\n`);
  const report = await runChaos({
    seed,
    contributions,
    minDurationMs: minutes * 60_000,
    timeScale,
    ...(rateWindowMarginMs === undefined ? {} : { client: { rateWindowMarginMs } }),
    onProgress: (line) => process.stderr.write(`soak: ${line}\n`),
  });
  const cpu = cpus();
  const summary = {
    startedAt,
    machine: {
      cpu: cpu[0]?.model ?? "unknown",
      cores: cpu.length,
      memoryGb: Math.round(totalmem() / 1_073_741_824),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    minutes,
    rateWindowMarginMs: rateWindowMarginMs ?? "library default",
    passed: report.violations.length === 0,
    ...report,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exitCode = summary.passed ? 0 : 1;
}

await main();
