/**
 * A bounded latency histogram for `stats()`: constant memory and O(1) recording, so it can sit on the ack
 * hot path (≥ 100,000 acks/s). Values are bucketed in microseconds: exact below 64 µs, then 32 buckets per
 * power of two (≤ ~3 % relative error), up to ~19 hours; larger values land in the last bucket.
 */

const LINEAR_BUCKETS = 64;
const FIRST_EXPONENT = 6; // 2^6 = 64 µs, where the logarithmic part starts
const SUB_BUCKETS = 32;
const LAST_EXPONENT = 36; // 2^36 µs ≈ 19 hours
const BUCKET_COUNT = LINEAR_BUCKETS + (LAST_EXPONENT - FIRST_EXPONENT + 1) * SUB_BUCKETS;

/** Percentiles of recorded latencies, in milliseconds (0 when nothing was recorded). */
export interface LatencySummary {
  /** Number of values recorded. */
  count: number;
  p50: number;
  p90: number;
  p99: number;
  /** Exact largest value recorded, milliseconds. */
  max: number;
  /** Arithmetic mean, milliseconds. */
  mean: number;
}

/** Fixed-size log-linear histogram of durations in milliseconds. */
export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKET_COUNT);
  #count = 0;
  #sumMs = 0;
  #maxMs = 0;

  /** Records one duration, milliseconds; negative values count as 0. */
  record(durationMs: number): void {
    const ms = durationMs > 0 ? durationMs : 0;
    const index = bucketOf(Math.round(ms * 1000));
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#count += 1;
    this.#sumMs += ms;
    if (ms > this.#maxMs) this.#maxMs = ms;
  }

  /** Number of values recorded. */
  get count(): number {
    return this.#count;
  }

  /**
   * The value below which a fraction `q` (0–1) of the recordings fall, milliseconds (the upper edge of the
   * bucket holding it, never above the exact maximum).
   */
  percentile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      seen += this.#counts[index] ?? 0;
      if (seen >= rank) return Math.min(upperEdgeMicros(index) / 1000, this.#maxMs);
    }
    return this.#maxMs;
  }

  /** p50, p90, p99, max, mean and count. */
  summary(): LatencySummary {
    return {
      count: this.#count,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      max: this.#maxMs,
      mean: this.#count === 0 ? 0 : this.#sumMs / this.#count,
    };
  }

  /** Forgets every recording. */
  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sumMs = 0;
    this.#maxMs = 0;
  }
}

function bucketOf(micros: number): number {
  if (micros < LINEAR_BUCKETS) return micros;
  // Below 2^31 µs (~36 min, every sane latency) the exponent is an integer count of leading zeros.
  const exponent = micros < 2 ** 31 ? 31 - Math.clz32(micros) : Math.floor(Math.log2(micros));
  if (exponent > LAST_EXPONENT) return BUCKET_COUNT - 1;
  const sub = Math.floor((micros / 2 ** exponent - 1) * SUB_BUCKETS);
  return LINEAR_BUCKETS + (exponent - FIRST_EXPONENT) * SUB_BUCKETS + Math.min(sub, SUB_BUCKETS - 1);
}

function upperEdgeMicros(index: number): number {
  if (index < LINEAR_BUCKETS) return index;
  const offset = index - LINEAR_BUCKETS;
  const exponent = FIRST_EXPONENT + Math.floor(offset / SUB_BUCKETS);
  const sub = offset % SUB_BUCKETS;
  return 2 ** exponent * (1 + (sub + 1) / SUB_BUCKETS);
}
