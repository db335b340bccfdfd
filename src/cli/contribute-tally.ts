/**
 * Counting of `rcc contribute` outcomes, and the summary printed at the end (one line, or one JSON object with
 * `--json`). Every row settles here exactly once, whatever its outcome (outcome.ts); the row numbers of the
 * categories a user must look at are kept (the first {@link MAX_LISTED_ROWS} of each).
 */
import { exitCodeForOutcomes, type Outcome, type OutcomeKind } from "./outcome.js";
import type { ProgressCounts } from "./progress.js";
import { MAX_SHOWN_CODE_LENGTH, safeText } from "./terminal-text.js";

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
export interface ContributeSummary {
  /** Rows read from the input (with `--resume`, skipped rows included). */
  rows: number;
  acked: number;
  naked: number;
  naksByCode: Record<string, number>;
  contentErrors: number;
  timeouts: number;
  /** Posts not re-sent after a reconnect because a newer acknowledged post to the RIC carried all their fields. */
  superseded: number;
  /** Rows merged into a later row to the same RIC (`--conflate`). */
  conflated: number;
  failed: number;
  invalidRows: number;
  /** Rows never written to a connection (stopped, or the session ended first). */
  notSent: number;
  /** Rows written whose Ack never came because the session ended: the server may have applied them. */
  unknown: number;
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

  /** Counts one row's final outcome in this run (a bad row is an `invalid` outcome). */
  settle(row: number, outcome: Pick<Outcome, "outcome" | "nakCode">): void {
    const kind = outcome.outcome;
    this.outcomes[kind] = (this.outcomes[kind] ?? 0) + 1;
    this.progress.settled += 1;
    if (LISTED.has(kind)) {
      const list = (this.rowNumbers[kind] ??= []);
      if (list.length < MAX_LISTED_ROWS) list.push(row);
    }
    if (kind === "ack") this.progress.acked += 1;
    else if (kind === "nak") {
      this.progress.naked += 1;
      const code = outcome.nakCode ?? "?";
      // Own properties only: a code word such as "constructor" must not read Object.prototype's.
      this.naksByCode[code] = (Object.hasOwn(this.naksByCode, code) ? (this.naksByCode[code] ?? 0) : 0) + 1;
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
      acked: counts.ack ?? 0,
      naked: counts.nak ?? 0,
      naksByCode: this.naksByCode,
      contentErrors: counts.error ?? 0,
      timeouts: counts.timeout ?? 0,
      superseded: counts.superseded ?? 0,
      conflated: counts.conflated ?? 0,
      failed: counts.failed ?? 0,
      invalidRows: invalid,
      notSent: counts["not-sent"] ?? 0,
      unknown: counts.unknown ?? 0,
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

/** Nak codes listed in the summary line at most: a server inventing a code per Nak must not make it endless. */
const MAX_SHOWN_NAK_CODES = 10;

/** One readable line for a summary (Nak codes come from the server: made safe to show, see terminal-text.ts). */
export function formatSummary(summary: ContributeSummary, dryRun: boolean): string {
  const codes = Object.entries(summary.naksByCode);
  const naks =
    codes
      .slice(0, MAX_SHOWN_NAK_CODES)
      .map(([code, n]) => `${safeText(code, MAX_SHOWN_CODE_LENGTH)} ${n}`)
      .join(", ") + (codes.length > MAX_SHOWN_NAK_CODES ? `, ${codes.length - MAX_SHOWN_NAK_CODES} other codes` : "");
  const head = dryRun
    ? `${summary.valid ?? 0} valid`
    : `${summary.acked} acked, ${summary.naked} naked${naks ? ` (${naks})` : ""}`;
  const optional = (count: number, what: string): string => (count > 0 ? `, ${count} ${what}` : "");
  return (
    `${summary.rows} rows: ${head}, ${summary.invalidRows} invalid, ${summary.contentErrors} content errors, ` +
    `${summary.timeouts} ack timeouts${optional(summary.superseded, "superseded")}` +
    `${optional(summary.conflated, "conflated")}${optional(summary.notSent, "not sent")}` +
    `${optional(summary.unknown, "unknown (sent, no Ack)")}${optional(summary.failed, "failed")}` +
    `${optional(summary.skipped, "skipped (already final)")} in ${summary.seconds} s ` +
    `(${summary.rowsPerSecond} rows/s)${summary.interrupted ? " — interrupted" : ""}`
  );
}
