/** Shared shape and output of benchmark results: one JSON line per metric on stdout. */

/** One measured figure. */
export interface BenchResult {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  params: Record<string, unknown>;
  /** The goal, when docs/performance.md sets one, in the same unit. */
  goal?: { op: ">=" | "<=" | "=="; value: number };
  /** Set when the figure could not be measured (`value` is then NaN, printed as null). */
  error?: string;
}

/** Whether a result meets its goal (undefined when it has none). */
export function meetsGoal(result: BenchResult): boolean | undefined {
  if (!result.goal) return undefined;
  if (result.error !== undefined) return false;
  const { op, value } = result.goal;
  if (op === ">=") return result.value >= value;
  if (op === "<=") return result.value <= value;
  return result.value === value;
}

/** Context passed to every benchmark. */
interface BenchContext {
  /** Reduced sizes so that the whole quick run takes under two minutes. */
  quick: boolean;
}

/** A benchmark module's entry. */
export type Bench = (context: BenchContext) => Promise<BenchResult[]> | BenchResult[];

/** Percentile of a sorted array (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Rounds to a few significant digits for printing. */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** Math.max(0, digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}
