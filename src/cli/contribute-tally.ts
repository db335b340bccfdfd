/**
 * Counting of `rcc contribute` outcomes, and the summary printed at the end (one line, or one JSON object with
 * `--json`). Every row settles here exactly once, whatever its outcome (outcome.ts); the row numbers of the
 * categories a user must look at are kept (the first {@link MAX_LISTED_ROWS} of each).
 */
import {
  countNakCode,
  exitCodeForOutcomes,
  formatNakCodes,
  type Outcome,
  type OutcomeKind,
  type OutcomeTotals,
  optionalCount,
  outcomeTotals,
} from "./outcome.js";
import type { ProgressCounts } from "./progress.js";

/** Row numbers kept per category for `--json` (the report has them all). */
const MAX_LISTED_ROWS = 100;

/** Categories whose row numbers the summary lists: every outcome but a success. */
const LISTED: ReadonlySet<OutcomeKind> = new Set<OutcomeKind>([
  "nak",
  "error",
  "timeout",
  "invalid",
  "not-sent",
  "unknown",
  "failed",
]);

/** Outcomes that are neither a success nor a server's answer: counted as `errors` in the progress line. */
const ERROR_KINDS: ReadonlySet<OutcomeKind> = new Set<OutcomeKind>([...LISTED].filter((kind) => kind !== "nak"));

/** The end-of-run summary (the `--json` output of `rcc contribute`). */
export interface ContributeSummary extends OutcomeTotals {
  /** Rows read from the input (with `--resume`, skipped rows included). */
  rows: number;
  /** Rows merged into a later row to the same RIC (`--conflate`). */
  conflated: number;
  invalidRows: number;
  /** Rows skipped by `--resume` because the report already holds a final outcome for them. */
  skipped: number;
  /** Rows that passed validation (`--dry-run` only). */
  valid?: number;
  /** Row numbers by category (nak, error, timeout, invalid, not-sent, unknown, failed), the first 100 of each. */
  rowNumbers: Partial<Record<OutcomeKind, number[]>>;
  seconds: number;
  rowsPerSecond: number;
  interrupted: boolean;
}

/** Counters of one run: outcomes by kind, Naks by code, row numbers, and the live progress counters. */
export class ContributeTally {
  readonly outcomes: Partial<Record<OutcomeKind, number>> = {};
  readonly naksByCode: Record<string, number> = {};
  readonly rowNumbers: Partial<Record<OutcomeKind, number[]>> = {};
  readonly progress: ProgressCounts = {
    sent: 0,
    acked: 0,
    naked: 0,
    errors: 0,
    inFlight: 0,
    rows: 0,
    settled: 0,
  };
  /** Rows skipped by `--resume`. */
  skipped = 0;

  /**
   * Counts one row's outcome in this run (a bad row is an `invalid` outcome). A row `not-sent` (dropped by a stop
   * before it was written) is not progress: the progress line's `%` leaves it out (a stopped run does not read
   * 100 %); like the summary, its `errors` count it.
   */
  settle(row: number, outcome: Pick<Outcome, "outcome" | "nakCode">): void {
    const kind = outcome.outcome;
    this.outcomes[kind] = (this.outcomes[kind] ?? 0) + 1;
    if (LISTED.has(kind)) {
      const list = (this.rowNumbers[kind] ??= []);
      if (list.length < MAX_LISTED_ROWS) list.push(row);
    }
    if (kind !== "not-sent") this.progress.settled += 1;
    if (kind === "ack") this.progress.acked += 1;
    else if (kind === "nak") {
      this.progress.naked += 1;
      countNakCode(this.naksByCode, outcome.nakCode);
    } else if (ERROR_KINDS.has(kind)) this.progress.errors += 1;
  }

  /** Counts a row `--resume` skips (already final in the report). */
  skip(): void {
    this.skipped += 1;
    this.progress.settled += 1;
  }

  /** The exit code the outcomes call for (worst first). */
  exitCode(): number {
    return exitCodeForOutcomes(this.outcomes);
  }

  /** The summary after `seconds` of work. */
  summary(seconds: number, options: { dryRun: boolean; interrupted: boolean }): ContributeSummary {
    const counts = this.outcomes;
    const rows = this.progress.rows;
    const invalid = counts.invalid ?? 0;
    return {
      rows,
      ...outcomeTotals(counts, this.naksByCode),
      conflated: counts.conflated ?? 0,
      invalidRows: invalid,
      skipped: this.skipped,
      ...(options.dryRun ? { valid: rows - this.skipped - invalid } : {}),
      rowNumbers: this.rowNumbers,
      seconds: Math.round(seconds * 1000) / 1000,
      rowsPerSecond: rateOf(rows - this.skipped, seconds),
      interrupted: options.interrupted,
    };
  }
}

/** Rows per second, rounded to what is worth showing: 2 decimals under 1/s, 1 under 100/s, whole above. */
export function rateOf(rows: number, seconds: number): number {
  const rate = rows / Math.max(seconds, 0.001);
  if (rate < 1) return Math.round(rate * 100) / 100;
  if (rate < 100) return Math.round(rate * 10) / 10;
  return Math.round(rate);
}

/** One readable line for a summary (Nak codes come from the server: made safe to show, see terminal-text.ts). */
export function formatSummary(summary: ContributeSummary, dryRun: boolean): string {
  const naks = formatNakCodes(summary.naksByCode);
  const head = dryRun
    ? `${summary.valid ?? 0} valid`
    : `${summary.acked} acked, ${summary.naked} naked${naks ? ` (${naks})` : ""}`;
  const optional = optionalCount;
  return (
    `${summary.rows} rows: ${head}, ${summary.invalidRows} invalid, ${summary.contentErrors} content errors, ` +
    `${summary.timeouts} ack timeouts${optional(summary.superseded, "superseded")}` +
    `${optional(summary.conflated, "conflated")}${optional(summary.notSent, "not sent")}` +
    `${optional(summary.unknown, "unknown (sent, no Ack)")}${optional(summary.failed, "failed")}` +
    `${optional(summary.skipped, "skipped (already final)")} in ${summary.seconds} s ` +
    `(${summary.rowsPerSecond} rows/s)${summary.interrupted ? " — interrupted" : ""}`
  );
}
