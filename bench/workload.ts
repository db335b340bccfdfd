/**
 * The workload shared by the end-to-end benchmarks: the tutorial's post (BID, ASK, DSPLY_NAME, PRIMACT_1,
 * SEC_ACT_1 counting up, docs/protocol.md §2.8) sent through a {@link Contributor}, with the producer keeping
 * a bounded number of posts outstanding so the benchmark measures the library, not an ever-growing backlog.
 */
import type { Ack } from "../src/client/posting/post-entry.js";
import { Contributor } from "../src/client/contributor.js";
import type { ContributorOptions } from "../src/client/options.js";
import type { SimProcess } from "./children.js";

/** The RIC every benchmark posts to (the simulator's default RIC pattern accepts it). */
export const BENCH_RIC = "TRCCTEST01";

/** The tutorial's fields for post number `i`. */
export function tutorialFields(i: number): {
  BID: number;
  ASK: number;
  DSPLY_NAME: string;
  PRIMACT_1: number;
  SEC_ACT_1: number;
} {
  return {
    BID: 451.55,
    ASK: 451.57,
    DSPLY_NAME: "Hello RCC",
    PRIMACT_1: 100 + (i % 1_000_000),
    SEC_ACT_1: 20 + (i % 1_000_000),
  };
}

/** A contributor connected to the simulator process, logged in and ready. */
export async function connectContributor(
  sim: SimProcess,
  overrides: Partial<ContributorOptions> = {},
): Promise<Contributor> {
  const client = new Contributor({ ...sim.credentials, urls: sim.wsUrls, drainTimeoutMs: 10_000, ...overrides });
  await client.connect();
  return client;
}

/** What a {@link pump} run measured. */
export interface PumpResult {
  acked: number;
  /** Posts rejected, plus posts still unsettled when the settle wait gave up. */
  failed: number;
  /** First submit to last settlement, milliseconds. */
  elapsedMs: number;
  /** Process CPU time (user + system) over the run, microseconds. */
  cpuUs: number;
  /** Send→Ack latencies of acked posts, milliseconds (`Ack.latencyMs`), in arrival order (empty when not recorded). */
  latenciesMs: Float64Array;
  /** Acks that arrived in [start, start + durationMs). */
  ackedInDuration: number;
  /** How many of the first `latenciesMs` arrived within `warmupMs` of the start (the rest are steady state). */
  warmupAcks: number;
  /** The first error seen, if any post failed. */
  firstError?: string;
}

/** Options of {@link pump}. */
export interface PumpOptions {
  /** Submit new posts for this long, milliseconds; then wait for the rest to settle. */
  durationMs: number;
  /** Posts outstanding (submitted, not settled) at most. */
  window: number;
  /** Posts submitted per synchronous step (one turn of the event loop). @default 500 */
  step?: number;
  /** Give up waiting for the last settlements after this long, milliseconds. @default 30_000 */
  settleTimeoutMs?: number;
  /** Stop submitting after this many posts. @default Infinity */
  maxPosts?: number;
  /** Keep every latency (the memory benchmark turns it off: the array would be measured too). @default true */
  recordLatencies?: boolean;
  /** Acks arriving this long after the start count as warm-up in {@link PumpResult.warmupAcks}, ms. @default 0 */
  warmupMs?: number;
}

/**
 * Submits posts through `submit` for `durationMs`, keeping at most `window` outstanding, and waits for
 * every one to settle. Bounded in time: the settle wait stops after `settleTimeoutMs`.
 */
export async function pump(submit: (i: number) => Promise<Ack>, options: PumpOptions): Promise<PumpResult> {
  const {
    durationMs,
    window,
    step = 500,
    settleTimeoutMs = 30_000,
    maxPosts = Number.POSITIVE_INFINITY,
    recordLatencies = true,
    warmupMs = 0,
  } = options;
  let failed = 0;
  let settled = 0;
  let firstError: string | undefined;
  let target = 0;
  let wake: (() => void) | undefined;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + durationMs;
  const log = new AckLog(start, durationMs, warmupMs, Math.max(1024, Math.ceil(window * 4)), recordLatencies);
  let lastSettleAt = start;
  const onSettled = (): void => {
    settled += 1;
    lastSettleAt = performance.now();
    if (wake !== undefined && settled >= target) {
      const resolve = wake;
      wake = undefined;
      resolve();
    }
  };
  const onAck = (ack: Ack): void => {
    log.add(ack.latencyMs, performance.now());
    onSettled();
  };
  const onFail = (error: unknown): void => {
    failed += 1;
    firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    onSettled();
  };
  const waitFor = (count: number, timeoutMs: number): Promise<void> =>
    settled >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          target = count;
          const timer = setTimeout(() => {
            wake = undefined;
            resolve();
          }, timeoutMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });

  let submitted = 0;
  while (performance.now() < end && submitted < maxPosts) {
    const room = settled + window - submitted;
    if (room <= 0) {
      // Wake when a quarter of the window has settled, or at the end of the duration at the latest.
      await waitFor(submitted - window + Math.ceil(window / 4), Math.max(1, Math.min(60_000, end - performance.now())));
      continue;
    }
    const batch = Math.min(room, step, maxPosts - submitted);
    for (let k = 0; k < batch; k++) submit(submitted++).then(onAck, onFail);
    // Let the event loop run (flush, acks) between steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await waitFor(submitted, settleTimeoutMs);
  const cpu = process.cpuUsage(cpuStart);
  return {
    acked: log.acked,
    // Posts still unsettled when the settle wait gave up count as failed.
    failed: failed + (submitted - settled),
    elapsedMs: lastSettleAt - start,
    cpuUs: cpu.user + cpu.system,
    latenciesMs: log.latencies(),
    ackedInDuration: log.ackedInDuration,
    warmupAcks: log.warmupAcks,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/**
 * The Acks of one run: how many, how many arrived within the run's duration and within its warm-up, and (unless
 * turned off) each one's latency in arrival order, in a Float64Array that doubles when full.
 */
export class AckLog {
  acked = 0;
  /** Acks that arrived before `start + durationMs`. */
  ackedInDuration = 0;
  /** Acks that arrived before `start + warmupMs` (the first `warmupAcks` latencies). */
  warmupAcks = 0;
  #latencies: Float64Array;
  readonly #end: number;
  readonly #warmupEnd: number;
  readonly #record: boolean;

  /** @param startMs `performance.now()` at the start; durations in milliseconds. */
  constructor(startMs: number, durationMs: number, warmupMs: number, capacity: number, record = true) {
    this.#end = startMs + durationMs;
    this.#warmupEnd = startMs + warmupMs;
    this.#record = record;
    this.#latencies = new Float64Array(record ? capacity : 0);
  }

  /** Counts an Ack that arrived at `nowMs` (`performance.now()`) after `latencyMs`. */
  add(latencyMs: number, nowMs: number): void {
    if (this.#record) {
      if (this.acked === this.#latencies.length) {
        const grown = new Float64Array(Math.max(1024, this.#latencies.length * 2));
        grown.set(this.#latencies);
        this.#latencies = grown;
      }
      this.#latencies[this.acked] = latencyMs;
    }
    this.acked += 1;
    if (nowMs < this.#end) this.ackedInDuration += 1;
    if (nowMs < this.#warmupEnd) this.warmupAcks = this.acked;
  }

  /** The recorded latencies, milliseconds, in arrival order (empty when not recorded). */
  latencies(): Float64Array {
    return this.#latencies.slice(0, this.#record ? this.acked : 0);
  }
}

/** Sorted copy of latencies, for percentiles. */
export function sortedLatencies(latencies: Float64Array): number[] {
  return Array.from(latencies).sort((a, b) => a - b);
}
