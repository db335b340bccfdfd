/**
 * A small streaming CSV reader (RFC 4180: quoted cells with doubled quotes, quoted cells spanning lines; cells
 * separated by commas, or by the delimiter given or detected from the header line) for `rcc contribute`. Unlike
 * csv-parse, which holds back the last record of every chunk until more input arrives, it hands each record over
 * as soon as its line ends — a row piped in from a live producer is sent at once, not when the next row comes. A
 * malformed record is an error for that record only; reading goes on.
 */
import type { Readable } from "node:stream";
import { flatten, type LineParser, readLineBatches } from "./line-reader.js";

/** One record: its cells (trimmed outside quotes) or why it cannot be read; `line` is its first line (1-based). */
export type CsvRecord = { line: number; cells: string[] } | { line: number; error: string };

/** Lines a quoted cell may span before the record is given up as a stray quote. */
export const MAX_RECORD_LINES = 50;

/** Outcome of splitting one record's text: cells, an error, or "the quote is still open: add the next line". */
export type SplitResult = { cells: string[] } | { error: string } | { open: true };

/** The delimiters {@link detectDelimiter} chooses from, in the order that breaks ties. */
const DETECTED_DELIMITERS = [",", ";", "\t"] as const;

/** Whether `char` is blank around a cell: a space or a tab, unless it is the delimiter (a tab-separated file). */
function isBlank(char: string | undefined, delimiter: string): boolean {
  return (char === " " || char === "\t") && char !== delimiter;
}

/**
 * The delimiter of a CSV file from its header line: whichever of `,`, `;` and tab occurs most often outside
 * quotes; a tie goes to the earlier in {@link DETECTED_DELIMITERS}, and a line with none of them gives `,`. Pure.
 */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (DETECTED_DELIMITERS as readonly string[]).includes(char))
      counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  let best: string = ",";
  for (const candidate of DETECTED_DELIMITERS)
    if ((counts.get(candidate) ?? 0) > (counts.get(best) ?? 0)) best = candidate;
  return best;
}

/** Splits a record without quotes: its cells, trimmed. */
function splitUnquoted(text: string, delimiter: string): string[] {
  const cells = text.split(delimiter);
  for (let index = 0; index < cells.length; index++) cells[index] = (cells[index] as string).trim();
  return cells;
}

/**
 * Splits the text of one record (lines joined with "\n") into cells. Pure.
 * @param delimiter the one character between cells. @default ","
 */
export function splitCsvRecord(text: string, delimiter = ","): SplitResult {
  if (!text.includes('"')) return { cells: splitUnquoted(text, delimiter) };
  const cells: string[] = [];
  let index = 0;
  for (;;) {
    let start = index;
    while (isBlank(text[start], delimiter)) start++;
    if (text[start] !== '"') {
      const next = text.indexOf(delimiter, index);
      const raw = next < 0 ? text.slice(index) : text.slice(index, next);
      if (raw.includes('"')) {
        return {
          error: `cell ${cells.length + 1} has a quote inside an unquoted value (quote the whole cell, double inner quotes)`,
        };
      }
      cells.push(raw.trim());
      if (next < 0) return { cells };
      index = next + 1;
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
    while (isBlank(text[position], delimiter)) position++;
    cells.push(value);
    if (position >= text.length) return { cells };
    if (text[position] !== delimiter) return { error: `cell ${cells.length} has text after its closing quote` };
    index = position + 1;
  }
}

/**
 * Turns lines into records; keeps the lines of a record whose quoted cell is still open. A quote that never closes
 * (a stray quote) is an error for its own line only: the lines held behind it are read again as records of their
 * own — after MAX_RECORD_LINES lines mid-file, or at the end of the input — so no row after it is lost. A line
 * that starts no open record (nearly all of them) is split at once, without being queued or joined.
 */
class RecordAssembler {
  /** The character between cells. */
  readonly #delimiter: string;
  /** Lines to read again after a stray quote was given up, oldest first (empty between calls). */
  readonly #queue: Line[] = [];
  /** The lines of the record whose quoted cell is still open. */
  #record: Line[] = [];
  /** Their texts joined with "\n". */
  #text = "";

  constructor(delimiter: string) {
    this.#delimiter = delimiter;
  }

  /** Adds line number `line`, pushing the records it completes to `out`. */
  push(line: number, text: string, out: CsvRecord[]): void {
    this.#take(line, text, out);
    this.#drain(out);
  }

  /**
   * Ends the input. A quoted cell still open is a stray quote: one error on its first line, then its other lines
   * are read again — which may hold another stray quote, hence the loop.
   */
  end(out: CsvRecord[]): void {
    for (;;) {
      const first = this.#record[0];
      if (first === undefined) return;
      out.push({
        line: first.line,
        error: `unterminated quoted field starting at line ${first.line} (no closing quote before the end of the input)`,
      });
      this.#giveUpRecord();
      this.#drain(out);
    }
  }

  /** Processes the lines queued by a given-up record. */
  #drain(out: CsvRecord[]): void {
    while (this.#queue.length > 0) {
      const next = this.#queue.shift() as Line;
      this.#take(next.line, next.text, out);
    }
  }

  /** Adds one line to the open record (or starts one) and pushes the record when it is complete. */
  #take(line: number, text: string, out: CsvRecord[]): void {
    const held = this.#record.length;
    if (held === 0) {
      if (isBlankLine(text)) return;
      // The common record: one line, no quotes — split at once, nothing held or joined.
      if (!text.includes('"')) {
        out.push({ line, cells: splitUnquoted(text, this.#delimiter) });
        return;
      }
    }
    this.#record.push({ line, text });
    this.#text = held === 0 ? text : `${this.#text}\n${text}`;
    const first = this.#record[0] as Line;
    const result = splitCsvRecord(this.#text, this.#delimiter);
    if ("open" in result) {
      if (this.#record.length < MAX_RECORD_LINES) return;
      out.push({ line: first.line, error: `a quoted cell is not closed within ${MAX_RECORD_LINES} lines` });
      this.#giveUpRecord();
      return;
    }
    this.#record.length = 0;
    this.#text = "";
    out.push("error" in result ? { line: first.line, error: result.error } : { line: first.line, cells: result.cells });
  }

  /** Drops the open record's first line (the stray quote's) and queues the rest to be read again, ahead of any other. */
  #giveUpRecord(): void {
    const rest = this.#record.slice(1);
    this.#record.length = 0;
    this.#text = "";
    this.#queue.unshift(...rest);
  }
}

/** Whether a line holds only whitespace (the test of `text.trim() === ""`, without making a string). */
function isBlankLine(text: string): boolean {
  if (text === "") return true;
  const first = text.charCodeAt(0);
  // A line starting with a printable ASCII character (every RIC does) is not blank.
  if (first > 32 && first < 127) return false;
  return text.trim() === "";
}

interface Line {
  line: number;
  text: string;
}

/**
 * Parses lines into CSV records (for {@link readLineBatches}): drops a byte-order mark on line 1, skips blank
 * lines, numbers each record by its first line.
 */
export class CsvRecordParser implements LineParser<CsvRecord> {
  readonly done = false;
  /** Made on the first line that is not blank, once the delimiter is known. */
  #assembler: RecordAssembler | undefined;
  readonly #delimiter: string | undefined;

  /**
   * @param delimiter the one character between cells; undefined = {@link detectDelimiter} on the first line that
   * is not blank (the header). @default undefined
   */
  constructor(delimiter?: string) {
    this.#delimiter = delimiter;
  }

  /** Pushes the records `text` (line number `line`) completes. */
  line(text: string, line: number, out: CsvRecord[]): void {
    const content = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (this.#assembler === undefined) {
      if (isBlankLine(content)) return;
      this.#assembler = new RecordAssembler(this.#delimiter ?? detectDelimiter(content));
    }
    this.#assembler.push(line, content, out);
  }

  /** Pushes the records still held (stray quotes become errors, the lines behind them records). */
  end(out: CsvRecord[]): void {
    this.#assembler?.end(out);
  }
}

/**
 * Reads CSV records from `input`, one array per chunk of input. Blank lines are skipped; a byte-order mark is
 * dropped. Ends when the input ends or is destroyed.
 * @param delimiter the one character between cells; undefined = detected from the header line. @default undefined
 */
export function readCsvRecordBatches(input: Readable, delimiter?: string): AsyncGenerator<CsvRecord[]> {
  return readLineBatches(input, new CsvRecordParser(delimiter));
}

/** Reads CSV records from `input` one by one (see {@link readCsvRecordBatches}). */
export function readCsvRecords(input: Readable, delimiter?: string): AsyncGenerator<CsvRecord> {
  return flatten(readCsvRecordBatches(input, delimiter));
}
