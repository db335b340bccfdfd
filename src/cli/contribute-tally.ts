/**
 * Counting of `rcc contribute` outcomes, and the summary printed at the end (one line, or one JSON object with
 * `--json`).
 */
import { exitCodeForOutcomes, type Outcome } from "./outcome.js";
import type { ProgressCounts } from "./progress.js";
import { MAX_SHOWN_CODE_LENGTH, safeText } from "./terminal-text.js";

/** The end-of-run summary (the `--json` output of `rcc contribute`). */
export interface ContributeSummary {
  rows: number;
  acked: number;
  naked: number;
  naksByCode: Record<string, number>;
  contentErrors: number;
  timeouts: number;
  /** Posts not re-sent after a reconnect because a newer acknowledged post to the RIC carried all their fields. */
  superseded: number;
  failed: number;
  invalidRows: number;
  /** Rows that passed validation (`--dry-run` only). */
  valid?: number;
  seconds: number;
  rowsPerSecond: number;
  interrupted: boolean;
}

/** Counters of one run: outcomes by kind, Naks by code, and the live progress counters. */
export class ContributeTally {
  readonly outcomes: Partial<Record<Outcome["outcome"], number>> = {};
  readonly naksByCode: Record<string, number> = {};
  readonly progress: ProgressCounts = { sent: 0, acked: 0, naked: 0, errors: 0, inFlight: 0, rows: 0 };
  /** Rows rejected before sending (unreadable, or failing local validation). */
  badRows = 0;

  /** Counts a settled contribution. */
  settle(outcome: Outcome): void {
    this.outcomes[outcome.outcome] = (this.outcomes[outcome.outcome] ?? 0) + 1;
    if (outcome.outcome === "ack") this.progress.acked += 1;
    else if (outcome.outcome === "superseded")
      return; // neither acked nor an error: a newer value stands
    else if (outcome.outcome === "nak") {
      this.progress.naked += 1;
      const code = outcome.nakCode ?? "?";
      this.naksByCode[code] = (this.naksByCode[code] ?? 0) + 1;
    } else this.progress.errors += 1;
  }

  /** Counts a row rejected before sending. */
  bad(): void {
    this.badRows += 1;
    this.progress.errors += 1;
  }

  /** The exit code the outcomes call for (worst first). */
  exitCode(): number {
    return exitCodeForOutcomes(this.outcomes, this.badRows);
  }

  /** The summary after `seconds` of work. */
  summary(seconds: number, options: { dryRun: boolean; interrupted: boolean }): ContributeSummary {
    const counts = this.outcomes;
    const rows = this.progress.rows;
    return {
      rows,
      acked: counts.ack ?? 0,
      naked: counts.nak ?? 0,
      naksByCode: this.naksByCode,
      contentErrors: counts.error ?? 0,
      timeouts: counts.timeout ?? 0,
      superseded: counts.superseded ?? 0,
      failed: counts.failed ?? 0,
      invalidRows: this.badRows + (counts.invalid ?? 0),
      ...(options.dryRun ? { valid: rows - this.badRows } : {}),
      seconds: Math.round(seconds * 1000) / 1000,
      rowsPerSecond: Math.round(rows / Math.max(seconds, 0.001)),
      interrupted: options.interrupted,
    };
  }
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
  return (
    `${summary.rows} rows: ${head}, ${summary.invalidRows} invalid, ${summary.contentErrors} content errors, ` +
    `${summary.timeouts} ack timeouts${summary.superseded ? `, ${summary.superseded} superseded` : ""}` +
    `${summary.failed ? `, ${summary.failed} failed` : ""} in ${summary.seconds} s ` +
    `(${summary.rowsPerSecond} rows/s)${summary.interrupted ? " — interrupted" : ""}`
  );
}
