/**
 * The counts of one `rcc demo` run and the summary it ends with: one line (`3 posts: 3 acked, 0 naked, 0 content
 * errors, 0 ack timeouts in 2.1 s (latency min 0.85 ms, avg 1.02 ms, max 1.40 ms)`), or one JSON object with
 * `--json`. Pure: the run feeds it outcomes and prints what it returns.
 */
import { formatLatency, latencyForJson } from "./latency.js";
import {
  countNakCode,
  exitCodeForOutcomes,
  formatNakCodes,
  optionalCount,
  type Outcome,
  type OutcomeKind,
  type OutcomeTotals,
  outcomeTotals,
} from "./outcome.js";

/** The demo's summary (its `--json` form, with `"event":"summary"`). */
export interface DemoSummary extends OutcomeTotals {
  /** Posts settled, whatever their outcome. */
  posts: number;
  invalid: number;
  /** Time of the run, seconds (three decimals). */
  seconds: number;
  /** Ack latencies, milliseconds (latency.ts); only when at least one post was acked. */
  latencyMs?: { min: number; avg: number; max: number };
  /** Ended by Ctrl+C (or SIGTERM) rather than by `--count`. */
  interrupted: boolean;
}

/** Counts the outcomes of a demo run and the latencies of its Acks. */
export class DemoTally {
  readonly #counts: Partial<Record<OutcomeKind, number>> = {};
  readonly #naksByCode: Record<string, number> = {};
  #latencySum = 0;
  #latencyMin = Number.POSITIVE_INFINITY;
  #latencyMax = 0;

  /** Counts one settled post. */
  add(outcome: Pick<Outcome, "outcome" | "nakCode" | "latencyMs">): void {
    this.#counts[outcome.outcome] = (this.#counts[outcome.outcome] ?? 0) + 1;
    if (outcome.outcome === "nak") countNakCode(this.#naksByCode, outcome.nakCode);
    if (outcome.outcome === "ack" && outcome.latencyMs !== undefined) {
      this.#latencySum += outcome.latencyMs;
      this.#latencyMin = Math.min(this.#latencyMin, outcome.latencyMs);
      this.#latencyMax = Math.max(this.#latencyMax, outcome.latencyMs);
    }
  }

  /** The exit code the outcomes call for (worst first; outcome.ts). */
  exitCode(): number {
    return exitCodeForOutcomes(this.#counts);
  }

  /** The summary after `seconds` of running. */
  summary(seconds: number, interrupted: boolean): DemoSummary {
    const counts = this.#counts;
    const acked = counts.ack ?? 0;
    const posts = Object.values(counts).reduce((sum, count) => sum + count, 0);
    const latencies = acked > 0 && Number.isFinite(this.#latencyMin);
    return {
      posts,
      ...outcomeTotals(counts, this.#naksByCode),
      invalid: counts.invalid ?? 0,
      seconds: Math.round(seconds * 1000) / 1000,
      ...(latencies
        ? {
            latencyMs: {
              min: latencyForJson(this.#latencyMin),
              avg: latencyForJson(this.#latencySum / acked),
              max: latencyForJson(this.#latencyMax),
            },
          }
        : {}),
      interrupted,
    };
  }
}

/** The summary as one line for people; the categories that did not happen (beyond the first four) are left out. */
export function formatDemoSummary(summary: DemoSummary): string {
  const naks = formatNakCodes(summary.naksByCode);
  const optional = optionalCount;
  const latency =
    summary.latencyMs === undefined
      ? ""
      : ` (latency min ${formatLatency(summary.latencyMs.min)}, avg ${formatLatency(summary.latencyMs.avg)}, max ${formatLatency(summary.latencyMs.max)})`;
  return (
    `${summary.posts} post${summary.posts === 1 ? "" : "s"}: ${summary.acked} acked, ${summary.naked} naked` +
    `${naks ? ` (${naks})` : ""}, ${summary.contentErrors} content errors, ${summary.timeouts} ack timeouts` +
    `${optional(summary.superseded, "superseded")}${optional(summary.invalid, "invalid")}` +
    `${optional(summary.notSent, "not sent")}${optional(summary.unknown, "unknown (sent, no Ack)")}` +
    `${optional(summary.failed, "failed")} in ${summary.seconds} s${latency}` +
    (summary.interrupted ? " — interrupted" : "")
  );
}
