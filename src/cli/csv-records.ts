/**
 * A small streaming CSV reader (RFC 4180: commas, quoted cells with doubled quotes, quoted cells spanning lines)
 * for `rcc contribute`. Unlike csv-parse, which holds back the last record of every chunk until more input
 * arrives, it hands each record over as soon as its line ends — a row piped in from a live producer is sent at
 * once, not when the next row comes. A malformed record is an error for that record only; reading goes on.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** One record: its cells (trimmed outside quotes) or why it cannot be read; `line` is its first line (1-based). */
export type CsvRecord = { line: number; cells: string[] } | { line: number; error: string };

/** Lines a quoted cell may span before the record is given up as a stray quote. */
export const MAX_RECORD_LINES = 50;

/** Outcome of splitting one record's text: cells, an error, or "the quote is still open: add the next line". */
export type SplitResult = { cells: string[] } | { error: string } | { open: true };

function isBlank(char: string | undefined): boolean {
  return char === " " || char === "\t";
}

/** Splits the text of one record (lines joined with "\n") into cells. Pure. */
export function splitCsvRecord(text: string): SplitResult {
  if (!text.includes('"')) return { cells: text.split(",").map((cell) => cell.trim()) };
  const cells: string[] = [];
  let index = 0;
  for (;;) {
    let start = index;
    while (isBlank(text[start])) start++;
    if (text[start] !== '"') {
      const comma = text.indexOf(",", index);
      const raw = comma < 0 ? text.slice(index) : text.slice(index, comma);
      if (raw.includes('"')) {
        return {
          error: `cell ${cells.length + 1} has a quote inside an unquoted value (quote the whole cell, double inner quotes)`,
        };
      }
      cells.push(raw.trim());
      if (comma < 0) return { cells };
      index = comma + 1;
      continue;
    }
    let value = "";
    let position = start + 1;
    for (;;) {
      const quote = text.indexOf('"', position);
      if (quote < 0) return { open: true };
      value += text.slice(position, quote);
      if (text[quote + 1] === '"') {
        value += '"';
        position = quote + 2;
        continue;
      }
      position = quote + 1;
      break;
    }
    while (isBlank(text[position])) position++;
    cells.push(value);
    if (position >= text.length) return { cells };
    if (text[position] !== ",") return { error: `cell ${cells.length} has text after its closing quote` };
    index = position + 1;
  }
}

interface Line {
  line: number;
  text: string;
}

/**
 * Turns lines into records; keeps the lines of a record whose quoted cell is still open. A quote that never closes
 * (a stray quote) is an error for its own line only: the lines held behind it are read again as records of their
 * own — after MAX_RECORD_LINES lines mid-file, or at the end of the input — so no row after it is lost.
 */
class RecordAssembler {
  /** Lines to (re)process, oldest first. */
  readonly #queue: Line[] = [];
  #record: Line[] = [];

  /** Adds a line and returns the records it completes. */
  *push(line: Line): Generator<CsvRecord> {
    this.#queue.push(line);
    yield* this.#drain();
  }

  /**
   * Ends the input. A quoted cell still open is a stray quote: one error on its first line, then its other lines
   * are read again — which may hold another stray quote, hence the loop.
   */
  *end(): Generator<CsvRecord> {
    for (;;) {
      const first = this.#record[0];
      if (first === undefined) return;
      yield {
        line: first.line,
        error: `unterminated quoted field starting at line ${first.line} (no closing quote before the end of the input)`,
      };
      this.#giveUpRecord();
      yield* this.#drain();
    }
  }

  /** Processes the queued lines into records, holding the lines of a record left open. */
  *#drain(): Generator<CsvRecord> {
    while (this.#queue.length > 0) {
      const next = this.#queue.shift() as Line;
      if (this.#record.length === 0 && next.text.trim() === "") continue;
      this.#record.push(next);
      const first = this.#record[0] as Line;
      const result = splitCsvRecord(this.#record.map((entry) => entry.text).join("\n"));
      if ("open" in result) {
        if (this.#record.length < MAX_RECORD_LINES) continue;
        yield { line: first.line, error: `a quoted cell is not closed within ${MAX_RECORD_LINES} lines` };
        this.#giveUpRecord();
        continue;
      }
      this.#record = [];
      yield "error" in result ? { line: first.line, error: result.error } : { line: first.line, cells: result.cells };
    }
  }

  /** Drops the open record's first line (the stray quote's) and queues the rest to be read again, ahead of any other. */
  #giveUpRecord(): void {
    this.#queue.unshift(...this.#record.slice(1));
    this.#record = [];
  }
}

/**
 * Reads CSV records from `input` line by line. Blank lines are skipped; a byte-order mark is dropped. Ends when
 * the input ends or is destroyed.
 */
export async function* readCsvRecords(input: Readable): AsyncGenerator<CsvRecord> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // readline ends on the input's "end" only; a destroyed input (Ctrl+C) must end the loop below too.
  input.once("close", () => lines.close());
  const assembler = new RecordAssembler();
  let line = 0;
  for await (const raw of lines) {
    line += 1;
    const text = line === 1 && raw.startsWith("\uFEFF") ? raw.slice(1) : raw;
    yield* assembler.push({ line, text });
  }
  yield* assembler.end();
}
