/**
 * Live progress of a bulk contribution on stderr: redrawn in place at most 10 times a second on a
 * terminal, one plain line every few seconds otherwise (CI, pipes). Testable: the stream and clock are injected.
 */
import type { Clock } from "../index.js";

/** Counters shown by the progress line. */
export interface ProgressCounts {
  /** Posts written to the socket (not merely queued). */
  sent: number;
  acked: number;
  naked: number;
  /** Rows settled in a category of the summary other than acked, naked, superseded or conflated. */
  errors: number;
  /** Posts written and awaiting their Ack. */
  inFlight: number;
  /** Rows read so far (including bad ones). */
  rows: number;
  /** Rows with their outcome (any kind, `--resume` skips included): what `%` and the ETA measure. */
  settled: number;
  /** Bytes of input read so far, when the input size is known. */
  bytesRead?: number;
  /** The input has been read to its end (`rows` is the total). */
  inputDone?: boolean;
  /** What the run waits for while not connected, e.g. `connecting to wss://… (attempt 2)`; shown first. */
  status?: string;
}

function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, "0")}m`;
  return minutes > 0 ? `${minutes}m${String(seconds).padStart(2, "0")}s` : `${seconds}s`;
}

/** The expected number of rows: exact once the input is read, else extrapolated from the bytes read. */
function expectedRows(counts: ProgressCounts, totalBytes: number | undefined): number | undefined {
  if (counts.inputDone === true) return counts.rows;
  if (totalBytes === undefined || totalBytes <= 0 || counts.bytesRead === undefined || counts.bytesRead <= 0) {
    return undefined;
  }
  return Math.max(counts.rows, Math.round((counts.rows * totalBytes) / Math.min(counts.bytesRead, totalBytes)));
}

/**
 * Renders one progress line (pure). `%` and the ETA come first (so they survive a narrow terminal) and measure
 * settled rows against the expected total; the rate is rows settled per second.
 */
export function renderProgress(counts: ProgressCounts, elapsedMs: number, totalBytes?: number): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? counts.settled / seconds : 0;
  const parts: string[] = [];
  const total = expectedRows(counts, totalBytes);
  if (total === undefined && totalBytes !== undefined && totalBytes > 0)
    parts.push("0%", "ETA ?"); // nothing read yet
  else if (total !== undefined && total > 0) {
    const fraction = Math.min(1, counts.settled / total);
    parts.push(`${Math.floor(fraction * 100)}%`);
    if (fraction >= 1) parts.push("ETA 0s");
    else if (rate > 0) parts.push(`ETA ${formatDuration(((total - counts.settled) / rate) * 1000)}`);
    else parts.push("ETA ?");
  }
  if (counts.status !== undefined) parts.push(counts.status);
  parts.push(
    `sent ${counts.sent}`,
    `acked ${counts.acked}`,
    `naked ${counts.naked}`,
    ...(counts.errors > 0 ? [`errors ${counts.errors}`] : []),
    `in flight ${counts.inFlight}`,
    `${rate >= 10 ? Math.round(rate) : Math.round(rate * 10) / 10}/s`,
    `elapsed ${formatDuration(elapsedMs)}`,
  );
  return parts.join("  ");
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  clock: Clock;
  /** Total input size in bytes, for the ETA; unknown for stdin. */
  totalBytes?: number;
  /** Minimum time between redraws on a terminal, ms. @default 100 */
  ttyIntervalMs?: number;
  /** Time between plain lines when not a terminal, ms. @default 5000 */
  lineIntervalMs?: number;
}

/** Throttled writer of progress lines. Call {@link update} as often as you like. */
export class Progress {
  readonly #options: ProgressOptions;
  readonly #startMs: number;
  #lastDrawMs = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#startMs = options.clock.monotonic();
  }

  /** Whether the stream is a terminal (redraw in place). */
  get interactive(): boolean {
    return this.#options.stream.isTTY === true;
  }

  /** Draws when enough time has passed since the last draw. */
  update(counts: ProgressCounts): void {
    const now = this.#options.clock.monotonic();
    const interval = this.interactive ? (this.#options.ttyIntervalMs ?? 100) : (this.#options.lineIntervalMs ?? 5000);
    if (now - this.#lastDrawMs < interval) return;
    this.#lastDrawMs = now;
    this.#draw(counts, now);
  }

  /** Draws a last time and ends the line. */
  finish(counts: ProgressCounts): void {
    const now = this.#options.clock.monotonic();
    if (this.interactive || this.#drawn) this.#draw(counts, now);
    if (this.interactive && this.#drawn) this.#options.stream.write("\n");
  }

  #draw(counts: ProgressCounts, now: number): void {
    const line = renderProgress(counts, now - this.#startMs, this.#options.totalBytes);
    if (this.interactive) {
      // A pseudo-terminal without a size reports 0 columns: fall back to a usual width.
      const columns = this.#options.stream.columns;
      const width = columns !== undefined && columns > 0 ? columns : 120;
      this.#options.stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}`);
    } else {
      this.#options.stream.write(`progress: ${line}\n`);
    }
    this.#drawn = true;
  }
}
