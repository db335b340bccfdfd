/**
 * throughput (benchmark 2 in docs/performance.md): one Contributor connection to the simulator running in a separate
 * process, rate limit lifted; acked posts per second with batching on (the default: every post submitted
 * in one turn of the event loop shares frames of up to 61,440 bytes) and off (`maxFrameBytes` so small
 * that each frame holds one post); client CPU per post; both as a fraction of the codec round trip.
 */
import { buildPost } from "../src/protocol/messages.js";
import { startSimProcess, type SimProcess } from "./children.js";
import { codecFigures } from "./codec.js";
import { type Bench, type BenchResult, percentile, round } from "./result.js";
import { BENCH_RIC, connectContributor, pump, sortedLatencies, tutorialFields } from "./workload.js";

/** Bytes the pipeline reserves for a PostID plus the frame's brackets (src/client/batcher.ts). */
const FRAME_RESERVE_BYTES = 18;

/** `maxFrameBytes` that fits exactly one tutorial post per frame (the smallest the pipeline accepts is 256). */
function oneFramePerPostBytes(): number {
  const single = Buffer.byteLength(JSON.stringify(buildPost({ ric: BENCH_RIC, fields: tutorialFields(0), postId: 1 })));
  const maxFrameBytes = Math.max(256, single - 1 + FRAME_RESERVE_BYTES);
  // Two posts (with the shortest PostIDs) plus brackets and comma must not fit: one post per frame.
  if (2 * single + 3 <= maxFrameBytes) throw new Error(`a ${maxFrameBytes}-byte frame would hold two posts`);
  return maxFrameBytes;
}

/** One measured mode of the workload. */
export interface ThroughputRun {
  batching: boolean;
  maxInFlight: number;
  durationMs: number;
  window: number;
  maxFrameBytes: number;
  postsPerSecond: number;
  cpuUsPerPost: number;
  /** The simulator process's CPU time per acked post, microseconds. */
  simCpuUsPerPost: number;
  acked: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

/** Measures one mode on an already running simulator (the reference benchmark interleaves it with its own). */
export async function measureContributorThroughput(
  sim: SimProcess,
  batching: boolean,
  durationMs: number,
  maxInFlight = 1000,
): Promise<ThroughputRun> {
  const maxFrameBytes = batching ? 61_440 : oneFramePerPostBytes();
  const client = await connectContributor(sim, { maxFrameBytes, maxInFlight });
  try {
    // Outstanding posts: the in-flight bound plus the default queue bound, so the queue never empties and no
    // caller ever waits for room.
    const window = maxInFlight + 10_000;
    const submit = (i: number) => client.contribute(BENCH_RIC, tutorialFields(i));
    await pump(submit, { durationMs: Math.min(500, durationMs / 4), window }); // warm-up (JIT, buffers)
    const simBefore = await sim.usage();
    const result = await pump(submit, { durationMs, window });
    const simAfter = await sim.usage();
    const sorted = sortedLatencies(result.latenciesMs);
    return {
      batching,
      maxInFlight,
      durationMs,
      window,
      maxFrameBytes,
      postsPerSecond: result.acked / (result.elapsedMs / 1000),
      cpuUsPerPost: result.cpuUs / Math.max(1, result.acked),
      simCpuUsPerPost: (simAfter.cpuUs - simBefore.cpuUs) / Math.max(1, result.acked),
      acked: result.acked,
      failed: result.failed,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      ...(result.firstError === undefined ? {} : { firstError: result.firstError }),
    };
  } finally {
    await client.close();
  }
}

/** Measuring time of each mode, milliseconds (after a warm-up of a quarter of it, at most 500 ms). */
export function throughputDurationMs(quick: boolean): number {
  return quick ? 1500 : 6000;
}

/** Every mode against one simulator process. */
async function contributorThroughput(
  quick: boolean,
): Promise<{ batched: ThroughputRun; unbatched: ThroughputRun; wideWindow: ThroughputRun }> {
  const durationMs = throughputDurationMs(quick);
  const sim = await startSimProcess();
  try {
    const batched = await measureContributorThroughput(sim, true, durationMs);
    const unbatched = await measureContributorThroughput(sim, false, durationMs);
    // The default in-flight bound (1,000) makes the link a ping-pong; a wider one shows the pipelined ceiling.
    const wideWindow = await measureContributorThroughput(sim, true, durationMs, 10_000);
    return { batched, unbatched, wideWindow };
  } finally {
    await sim.close();
  }
}

function failures(run: ThroughputRun): BenchResult[] {
  if (run.failed === 0) return [];
  const mode = `${run.batching ? "batched" : "unbatched"}_inflight_${run.maxInFlight}`;
  return [
    {
      bench: "throughput",
      metric: `failed_posts_${mode}`,
      value: run.failed,
      unit: "posts",
      params: { firstError: run.firstError },
      goal: { op: "==", value: 0 },
    },
  ];
}

export const throughput: Bench = async ({ quick }) => {
  const codecRun = await codecFigures(quick);
  const { batched, unbatched, wideWindow } = await contributorThroughput(quick);
  const params = (run: ThroughputRun) => ({
    durationMs: run.durationMs,
    maxInFlight: run.maxInFlight,
    outstanding: run.window,
    maxFrameBytes: run.maxFrameBytes,
    acked: run.acked,
    ackP50Ms: round(run.p50Ms, 3),
    ackP99Ms: round(run.p99Ms, 3),
  });
  return [
    {
      bench: "throughput",
      metric: "acked_posts_per_s_batched",
      value: round(batched.postsPerSecond),
      unit: "posts/s",
      params: params(batched),
      goal: { op: ">=", value: 100_000 },
    },
    {
      bench: "throughput",
      metric: "acked_posts_per_s_batched_inflight_10k",
      value: round(wideWindow.postsPerSecond),
      unit: "posts/s",
      params: params(wideWindow),
      goal: { op: ">=", value: 100_000 },
    },
    {
      bench: "throughput",
      metric: "acked_posts_per_s_unbatched",
      value: round(unbatched.postsPerSecond),
      unit: "posts/s",
      params: params(unbatched),
    },
    {
      bench: "throughput",
      metric: "client_cpu_us_per_post_batched",
      value: round(batched.cpuUsPerPost),
      unit: "µs",
      params: params(batched),
    },
    {
      bench: "throughput",
      metric: "client_cpu_us_per_post_unbatched",
      value: round(unbatched.cpuUsPerPost),
      unit: "µs",
      params: params(unbatched),
    },
    {
      bench: "throughput",
      metric: "simulator_cpu_us_per_post_batched",
      value: round(batched.simCpuUsPerPost),
      unit: "µs",
      params: params(batched),
    },
    {
      bench: "throughput",
      metric: "simulator_cpu_us_per_post_unbatched",
      value: round(unbatched.simCpuUsPerPost),
      unit: "µs",
      params: params(unbatched),
    },
    {
      bench: "throughput",
      metric: "batched_fraction_of_codec",
      value: round(batched.postsPerSecond / codecRun.roundTripBatched, 3),
      unit: "ratio",
      params: { codecRoundTripBatchedOpsPerS: round(codecRun.roundTripBatched) },
    },
    {
      bench: "throughput",
      metric: "unbatched_fraction_of_codec",
      value: round(unbatched.postsPerSecond / codecRun.roundTrip, 3),
      unit: "ratio",
      params: { codecRoundTripOpsPerS: round(codecRun.roundTrip) },
    },
    ...failures(batched),
    ...failures(unbatched),
    ...failures(wideWindow),
  ];
};
