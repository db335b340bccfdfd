/**
 * Latencies as the CLI shows them, by one rule wherever they appear (post and demo outcome lines, the demo's
 * summary, `--json` and `--report` lines): on the terminal, milliseconds with two decimals (`0.85 ms`, `12.30 ms`:
 * the same width from line to line, finer than a person reads); in JSON, milliseconds as a number with at most
 * three decimals (microseconds: finer than the clock that measured it is worth, and no float noise such as
 * `0.30000000000000004`).
 */

/** A latency for JSON output: milliseconds, at most three decimals. @param ms milliseconds. */
export function latencyForJson(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A latency for people: `12.30 ms` (two decimals). @param ms milliseconds. */
export function formatLatency(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}
