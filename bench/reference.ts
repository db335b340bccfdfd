/**
 * reference (benchmark 8): the throughput and rate workloads driven by bench/reference-client.ts —
 * the tutorial's approach in TypeScript (one object per frame, every message pretty-printed to a counting
 * sink) — and our figures from the same run stated as ratios against it. Throughput is compared side by
 * side on one simulator (ours batched, the reference, ours unbatched); the rate run of the rate benchmark
 * is reused.
 */
import { Writable } from "node:stream";
import { type SimProcess, startSimProcess } from "./children.js";
import { type DriveResult, RATE_LIMIT, RATE_WARMUP_MS, contributorRate, rateResults, runRateScenario } from "./rate.js";
import { ReferenceClient, passwordGrantToken } from "./reference-client.js";
import { type Bench, type BenchResult, percentile, round } from "./result.js";
import { type ThroughputRun, measureContributorThroughput, throughputDurationMs } from "./throughput.js";
import { AckLog, BENCH_RIC, sortedLatencies } from "./workload.js";

/** Where the reference client "prints": counts bytes so the formatting and encoding cost is real. */
class CountingSink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.bytes += chunk.length;
    callback();
  }
}

/** Posts outstanding in the reference throughput run: the same bound as the Contributor's default `maxInFlight`. */
const REFERENCE_WINDOW = 1000;

interface ReferenceDrive extends DriveResult {
  acked: number;
  elapsedMs: number;
  cpuUs: number;
  printedBytes: number;
}

/**
 * Drives a reference client for `durationMs`: `paceMs` undefined keeps {@link REFERENCE_WINDOW} posts
 * outstanding (a new post on every Ack); a number sends one post, then sleeps `paceMs` (the tutorial's loop
 * with `time.sleep`). Then waits (at most 10 s) for the outstanding Acks.
 */
async function driveReference(
  sim: SimProcess,
  durationMs: number,
  paceMs: number | undefined,
): Promise<ReferenceDrive> {
  const sink = new CountingSink();
  const token = await passwordGrantToken(sim.credentials);
  const client = await ReferenceClient.connect(sim.wsUrls[0]!, token, sink);
  const sentAt: number[] = [];
  let failed = 0;
  let outstanding = 0;
  let firstError: string | undefined;
  let lastAckAt = 0;
  let drained: (() => void) | undefined;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + durationMs;
  const log = new AckLog(start, durationMs, RATE_WARMUP_MS, 65_536);
  const send = (): void => {
    const postId = client.sendPost(BENCH_RIC);
    sentAt[postId] = performance.now();
    outstanding += 1;
  };
  client.onAck = (ackId, nakCode) => {
    const now = performance.now();
    lastAckAt = now;
    outstanding -= 1;
    if (nakCode === undefined) {
      log.add(now - (sentAt[ackId] ?? now), now);
    } else {
      failed += 1;
      firstError ??= `Nak ${nakCode}`;
    }
    if (paceMs === undefined && now < end) send();
    if (outstanding === 0 && now >= end) drained?.();
  };
  try {
    if (paceMs === undefined) {
      for (let i = 0; i < REFERENCE_WINDOW; i++) send();
      await new Promise((resolve) => setTimeout(resolve, durationMs));
    } else {
      while (performance.now() < end) {
        send();
        await new Promise((resolve) => setTimeout(resolve, paceMs));
      }
    }
    if (outstanding > 0) {
      await new Promise<void>((resolve) => {
        drained = resolve;
        setTimeout(resolve, 10_000);
      });
    }
    const cpu = process.cpuUsage(cpuStart);
    return {
      acked: log.acked,
      failed: failed + outstanding,
      ackedInDuration: log.ackedInDuration,
      warmupAcks: log.warmupAcks,
      latenciesMs: log.latencies(),
      elapsedMs: lastAckAt - start,
      cpuUs: cpu.user + cpu.system,
      printedBytes: sink.bytes,
      ...(firstError === undefined ? {} : { firstError }),
    };
  } finally {
    await client.close();
  }
}

/**
 * The reference client's throughput, with ours measured right before and after it on the same simulator
 * process: the machine is shared, so only figures taken side by side make a fair ratio.
 */
async function sideBySide(
  quick: boolean,
): Promise<{ tput: ReferenceDrive; ours: { batched: ThroughputRun; unbatched: ThroughputRun } }> {
  const sim = await startSimProcess();
  try {
    const durationMs = throughputDurationMs(quick); // as in the throughput benchmark, warm-up included
    const batched = await measureContributorThroughput(sim, true, durationMs);
    await driveReference(sim, Math.min(500, durationMs / 4), undefined); // warm-up, as for the Contributor
    const tput = await driveReference(sim, durationMs, undefined);
    const unbatched = await measureContributorThroughput(sim, false, durationMs);
    return { tput, ours: { batched, unbatched } };
  } finally {
    await sim.close();
  }
}

export const reference: Bench = async ({ quick }) => {
  const { tput, ours } = await sideBySide(quick);
  const ourRate = await contributorRate(quick);
  // The tutorial's loop: post, then sleep 1/limit seconds.
  const refRate = await runRateScenario(quick, (sim, durationMs) => driveReference(sim, durationMs, 1000 / RATE_LIMIT));

  const perSecond = tput.acked / (tput.elapsedMs / 1000);
  const cpuPerPost = tput.cpuUs / Math.max(1, tput.acked);
  const sorted = sortedLatencies(tput.latenciesMs);
  const params = {
    client: "bench/reference-client.ts (TypeScript)",
    outstanding: REFERENCE_WINDOW,
    acked: tput.acked,
    printedMB: round(tput.printedBytes / 1e6, 3),
    ackP50Ms: round(percentile(sorted, 50), 3),
    ackP99Ms: round(percentile(sorted, 99), 3),
  };
  const lines: BenchResult[] = [
    { bench: "reference", metric: "acked_posts_per_s", value: round(perSecond), unit: "posts/s", params },
    { bench: "reference", metric: "client_cpu_us_per_post", value: round(cpuPerPost), unit: "µs", params },
    {
      bench: "reference",
      metric: "ours_batched_over_reference_posts_per_s",
      value: round(ours.batched.postsPerSecond / perSecond, 3),
      unit: "ratio",
      params: { ours: round(ours.batched.postsPerSecond), reference: round(perSecond) },
    },
    {
      bench: "reference",
      metric: "ours_unbatched_over_reference_posts_per_s",
      value: round(ours.unbatched.postsPerSecond / perSecond, 3),
      unit: "ratio",
      params: { ours: round(ours.unbatched.postsPerSecond), reference: round(perSecond) },
    },
    {
      bench: "reference",
      metric: "reference_over_ours_batched_cpu_per_post",
      value: round(cpuPerPost / ours.batched.cpuUsPerPost, 3),
      unit: "ratio",
      params: { oursUs: round(ours.batched.cpuUsPerPost), referenceUs: round(cpuPerPost) },
    },
    {
      bench: "reference",
      metric: "reference_over_ours_unbatched_cpu_per_post",
      value: round(cpuPerPost / ours.unbatched.cpuUsPerPost, 3),
      unit: "ratio",
      params: { oursUs: round(ours.unbatched.cpuUsPerPost), referenceUs: round(cpuPerPost) },
    },
    ...rateResults("reference", refRate, false).map((line) => ({ ...line, metric: `rate_${line.metric}` })),
    {
      bench: "reference",
      metric: "ours_over_reference_rate_fraction",
      value: round(ourRate.fractionOfLimit / refRate.fractionOfLimit, 3),
      unit: "ratio",
      params: { ours: round(ourRate.fractionOfLimit, 4), reference: round(refRate.fractionOfLimit, 4) },
    },
  ];
  if (tput.failed > 0) {
    lines.push({
      bench: "reference",
      metric: "failed_posts",
      value: tput.failed,
      unit: "posts",
      params: { firstError: tput.firstError },
    });
  }
  return lines;
};
