/**
 * Reading an earlier `--report` for `rcc contribute --resume`: which rows already have a final outcome (so they
 * are not sent again). A row may appear several times (a resumed run appends): its last record counts. A
 * `conflated` row is final when the row it was merged into is.
 */
import { createReadStream } from "node:fs";
import { CliError, EXIT } from "./exit-codes.js";
import { type LineParser, readLineBatches } from "./line-reader.js";
import { FINAL_OUTCOMES, OUTCOME_KINDS, type OutcomeKind } from "./outcome.js";

/** What a report says about its rows. */
export interface ResumeState {
  /** Rows whose last outcome is final: skipped by the resumed run. */
  final: Set<number>;
  /** Records read. */
  records: number;
  /** A last line cut short (no newline, not JSON), ignored: its row counts as missing. */
  truncatedLastLine: boolean;
}

const KINDS: ReadonlySet<string> = new Set(OUTCOME_KINDS);

/**
 * Reads `path` (NDJSON records with `row` and `outcome`, as `--report` writes them).
 * @throws CliError (exit 1) when the file cannot be read, or naming the first line that is not a report record.
 */
export async function readResumeReport(path: string): Promise<ResumeState> {
  const stream = createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", reject);
  });
  try {
    await opened;
  } catch (error) {
    throw new CliError(
      `cannot read the report '${path}' given to --resume (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      EXIT.usage,
    );
  }
  const lines = new ReportLines();
  for await (const _ of readLineBatches(stream, lines)) {
    // The parser keeps what it needs; the batches stay empty.
  }
  const { last, into, records, bad, followed } = lines;
  // Only the very last line may be cut short (a write the disk did not finish); anything else is not a report.
  const truncatedLastLine = bad !== undefined && !followed;
  if (bad !== undefined && !truncatedLastLine) {
    throw new CliError(
      `--resume: line ${bad} of '${path}' is not a report record (expected {"row": N, "outcome": …})`,
      EXIT.usage,
    );
  }
  const final = new Set<number>();
  for (const [row, outcome] of last) if (FINAL_OUTCOMES.has(outcome)) final.add(row);
  // A merged row stands or falls with the row it went into (chains of merges followed, loops cut).
  for (const row of into.keys()) {
    let target = into.get(row);
    for (let hops = 0; target !== undefined && hops < into.size; hops++) {
      if (final.has(target)) {
        final.add(row);
        break;
      }
      target = into.get(target);
    }
  }
  return { final, records, truncatedLastLine };
}

/** Reads report lines into the last outcome of each row (line-reader.ts hands it the lines). */
class ReportLines implements LineParser<never> {
  readonly last = new Map<number, OutcomeKind>();
  readonly into = new Map<number, number>();
  records = 0;
  /** The number of the first line that is not a record. */
  bad: number | undefined;
  /** A record followed that bad line (so it was not a cut-short last line): reading stops. */
  followed = false;

  get done(): boolean {
    return this.followed;
  }

  line(text: string, line: number): void {
    if (text.trim() === "") return;
    if (this.bad !== undefined) {
      this.followed = true;
      return;
    }
    const record = parseRecord(text);
    if (record === undefined) {
      this.bad = line;
      return;
    }
    this.records += 1;
    this.last.set(record.row, record.outcome);
    if (record.outcome === "conflated" && record.into !== undefined) this.into.set(record.row, record.into);
    else this.into.delete(record.row);
  }

  end(): void {
    // Nothing held back: every line was handled as it came.
  }
}

function parseRecord(line: string): { row: number; outcome: OutcomeKind; into?: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { row, outcome, into } = value as { row?: unknown; outcome?: unknown; into?: unknown };
  if (typeof row !== "number" || !Number.isInteger(row) || row < 1) return undefined;
  // "valid" is a dry run's: not an outcome of sending.
  if (outcome === "valid") return { row, outcome: "not-sent" };
  if (typeof outcome !== "string" || !KINDS.has(outcome)) return undefined;
  return {
    row,
    outcome: outcome as OutcomeKind,
    ...(typeof into === "number" && Number.isInteger(into) ? { into } : {}),
  };
}
