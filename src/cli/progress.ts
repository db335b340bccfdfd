/**
 * Live progress of a bulk contribution on stderr: redrawn in place at most 10 times a second on a
 * terminal, one plain line every few seconds otherwise (CI, pipes). Testable: the stream and clock are injected.
 */
import type { Clock } from "../index.js";

/** Counters shown by the progress line. */
export interface ProgressCounts {
  sent: number;
  acked: number;
  naked: number;
  errors: number;
  inFlight: number;
  /** Rows read so far (including bad ones). */
  rows: number;
  /** Bytes of input read so far, when the input size is known. */
  bytesRead?: number;
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

function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return minutes > 0 ? `${minutes}m${String(seconds).padStart(2, "0")}s` : `${seconds}s`;
}

/** Renders one progress line (pure). */
export function renderProgress(counts: ProgressCounts, elapsedMs: number, totalBytes?: number): string {
  const rate = elapsedMs > 0 ? Math.round((counts.acked + counts.naked) / (elapsedMs / 1000)) : 0;
  const parts = [
    `sent ${counts.sent}`,
    `acked ${counts.acked}`,
    `naked ${counts.naked}`,
    ...(counts.errors > 0 ? [`errors ${counts.errors}`] : []),
    `in flight ${counts.inFlight}`,
    `${rate}/s`,
    `elapsed ${formatDuration(elapsedMs)}`,
  ];
  if (totalBytes !== undefined && totalBytes > 0 && counts.bytesRead !== undefined && counts.bytesRead > 0) {
    const fraction = Math.min(1, counts.bytesRead / totalBytes);
    const eta = fraction >= 1 ? 0 : (elapsedMs / fraction) * (1 - fraction);
    parts.push(`${Math.floor(fraction * 100)}%`, `ETA ${formatDuration(eta)}`);
  }
  return parts.join("  ");
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
