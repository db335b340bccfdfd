/**
 * rate (benchmark 3 in docs/performance.md): the simulator advertises and enforces `TRCE:MaxMessagesPerSecond` = 1,000
 * (docs/protocol.md §3.3, §3.4); a saturated Contributor posts for 20 s (5 s quick). Measured: the achieved
 * rate as a fraction of the limit, the largest count in any sliding one-second window and the messages over
 * the limit as the simulator counted them (`GET /admin/state`), and send→Ack latency.
 */
import { type SimProcess, startSimProcess } from "./children.js";
import { memo } from "./memo.js";
import { type Bench, type BenchResult, percentile, round } from "./result.js";
import { BENCH_RIC, connectContributor, pump, sortedLatencies, tutorialFields } from "./workload.js";

/** The advertised limit of this benchmark, messages per second. */
export const RATE_LIMIT = 1000;

/**
 * The first second of a run is warm-up for the steady-state latency: Acks arriving in it are left out of
 * `ack_latency_*_after_warmup` (JIT compilation of the cold code paths makes the first ~50 posts take ~5 ms,
 * which alone is 1 % of a quick run). The all-posts figures are reported too.
 */
export const RATE_WARMUP_MS = 1000;

/** What a driver measured while posting for `durationMs`. */
export interface DriveResult {
  /** Acks received within the duration. */
  ackedInDuration: number;
  /** Send→Ack latencies, milliseconds. */
  latenciesMs: Float64Array;
  /** Posts that failed (Nak, error, timeout). */
  failed: number;
  /** How many of the first `latenciesMs` arrived within {@link RATE_WARMUP_MS} of the start. */
  warmupAcks: number;
  /** Most posts written in one WebSocket frame after {@link RATE_WARMUP_MS} (when the driver can see its frames). */
  maxPostsPerFrameAfterWarmup?: number;
  firstError?: string;
}

/** One rate scenario as measured by the client and by the simulator. */
export interface RateRun {
  durationMs: number;
  achievedPerSecond: number;
  fractionOfLimit: number;
  maxMessagesInWindow: number;
  messagesOverLimit: number;
  naks: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Percentiles of the Acks after the first {@link RATE_WARMUP_MS}. */
  steadyP50Ms: number;
  steadyP99Ms: number;
  steadyMaxMs: number;
  maxPostsPerFrameAfterWarmup?: number;
  firstError?: string;
}

/** Runs `drive` against a fresh simulator limited to {@link RATE_LIMIT} and reads the simulator's verdict. */
export async function runRateScenario(
  quick: boolean,
  drive: (sim: SimProcess, durationMs: number) => Promise<DriveResult>,
): Promise<RateRun> {
  const durationMs = quick ? 5_000 : 20_000;
  const sim = await startSimProcess({ maxMessagesPerSecond: RATE_LIMIT });
  try {
    const result = await drive(sim, durationMs);
    const state = await sim.state();
    const naks = Object.values(state.counters.naks as Record<string, number>).reduce((sum, count) => sum + count, 0);
    const sorted = sortedLatencies(result.latenciesMs);
    const steady = sortedLatencies(result.latenciesMs.subarray(result.warmupAcks));
    const achievedPerSecond = result.ackedInDuration / (durationMs / 1000);
    return {
      durationMs,
      achievedPerSecond,
      fractionOfLimit: achievedPerSecond / RATE_LIMIT,
      maxMessagesInWindow: state.maxMessagesInWindow as number,
      messagesOverLimit: state.messagesOverLimit as number,
      naks,
      failed: result.failed,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? Number.NaN,
      steadyP50Ms: percentile(steady, 50),
      steadyP99Ms: percentile(steady, 99),
      steadyMaxMs: steady.at(-1) ?? Number.NaN,
      ...(result.maxPostsPerFrameAfterWarmup === undefined
        ? {}
        : { maxPostsPerFrameAfterWarmup: result.maxPostsPerFrameAfterWarmup }),
      ...(result.firstError === undefined ? {} : { firstError: result.firstError }),
    };
  } finally {
    await sim.close();
  }
}

/** The Contributor saturating the limit: the queue is kept fed (a quarter second's worth beyond the limit). */
export function contributorRate(quick: boolean): Promise<RateRun> {
  return memo("rate", () =>
    runRateScenario(quick, async (sim, durationMs) => {
      // The frames written, seen through the trace hook: how many posts each carries once warmed up.
      const frames = { warmFromMs: Number.POSITIVE_INFINITY, maxPosts: 0 };
      const client = await connectContributor(sim, {
        traceFrames: (direction, text) => {
          if (direction !== "sent" || performance.now() < frames.warmFromMs) return;
          frames.maxPosts = Math.max(frames.maxPosts, text.split('"Type":"Post"').length - 1);
        },
      });
      try {
        frames.warmFromMs = performance.now() + RATE_WARMUP_MS;
        const result = await pump((i) => client.contribute(BENCH_RIC, tutorialFields(i)), {
          durationMs,
          window: Math.ceil(RATE_LIMIT * 1.25),
          warmupMs: RATE_WARMUP_MS,
        });
        return { ...result, maxPostsPerFrameAfterWarmup: frames.maxPosts };
      } finally {
        await client.close();
      }
    }),
  );
}

/** The rate benchmark's result lines for one run (the reference benchmark reuses it with its own name). */
export function rateResults(bench: string, run: RateRun, withGoals: boolean): BenchResult[] {
  const params = { limit: RATE_LIMIT, durationMs: run.durationMs, achievedPerSecond: round(run.achievedPerSecond) };
  const goal = <T>(value: T): { goal: T } | Record<string, never> => (withGoals ? { goal: value } : {});
  const lines: BenchResult[] = [
    {
      bench,
      metric: "achieved_fraction_of_limit",
      value: round(run.fractionOfLimit, 4),
      unit: "ratio",
      params,
      ...goal({ op: ">=" as const, value: 0.99 }),
    },
    {
      bench,
      metric: "max_messages_in_any_1s_window",
      value: run.maxMessagesInWindow,
      unit: "msgs",
      params,
      ...goal({ op: "<=" as const, value: RATE_LIMIT }),
    },
    {
      bench,
      metric: "messages_over_limit",
      value: run.messagesOverLimit,
      unit: "msgs",
      params,
      ...goal({ op: "==" as const, value: 0 }),
    },
    { bench, metric: "naks", value: run.naks, unit: "posts", params, ...goal({ op: "==" as const, value: 0 }) },
    { bench, metric: "ack_latency_p50_ms", value: round(run.p50Ms, 3), unit: "ms", params },
    { bench, metric: "ack_latency_p99_ms", value: round(run.p99Ms, 3), unit: "ms", params },
    { bench, metric: "ack_latency_max_ms", value: round(run.maxMs, 3), unit: "ms", params },
    { bench, metric: "ack_latency_p50_ms_after_warmup", value: round(run.steadyP50Ms, 3), unit: "ms", params },
    {
      bench,
      metric: "ack_latency_p99_ms_after_warmup",
      value: round(run.steadyP99Ms, 3),
      unit: "ms",
      params: { ...params, warmupMs: RATE_WARMUP_MS },
      ...goal({ op: "<=" as const, value: 1 }),
    },
    { bench, metric: "ack_latency_max_ms_after_warmup", value: round(run.steadyMaxMs, 3), unit: "ms", params },
    ...(run.maxPostsPerFrameAfterWarmup === undefined
      ? []
      : [
          {
            bench,
            metric: "max_posts_per_frame_after_warmup",
            value: run.maxPostsPerFrameAfterWarmup,
            unit: "posts",
            params: { ...params, warmupMs: RATE_WARMUP_MS },
          },
        ]),
  ];
  if (run.failed > run.naks) {
    lines.push({
      bench,
      metric: "failed_posts",
      value: run.failed,
      unit: "posts",
      params: { ...params, firstError: run.firstError },
    });
  }
  return lines;
}

export const rate: Bench = async ({ quick }) => rateResults("rate", await contributorRate(quick), true);
