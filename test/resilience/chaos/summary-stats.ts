/**
 * Percentile summaries for the chaos report (recovery times, Ack latency samples).
 */

/** Count, median, 99th percentile and maximum of a list of milliseconds, rounded to 0.1 ms. */
export interface PercentileSummary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** The nearest-rank percentile `p` (0–100) of already sorted values. */
function percentileOfSorted(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** Summarises `values` (milliseconds); percentiles are null for an empty list. */
export function summarize(values: readonly number[]): PercentileSummary {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value: number | undefined): number | null =>
    value === undefined ? null : Math.round(value * 10) / 10;
  return {
    count: sorted.length,
    p50: round(percentileOfSorted(sorted, 50)),
    p99: round(percentileOfSorted(sorted, 99)),
    max: round(sorted.at(-1)),
  };
}
