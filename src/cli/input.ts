/**
 * Streaming readers for `rcc contribute`: CSV (header row: a RIC column, then one column per field) and NDJSON
 * (`{"ric": …, "fields": {…}}` per line). Files are never loaded whole; every bad row becomes an error entry with
 * its row number and the rest go on.
 */
import type { Readable } from "node:stream";
import { type CsvRecord, CsvRecordParser } from "./csv-records.js";
import { flatten, type LineParser, readLineBatches } from "./line-reader.js";
import type { FieldValue, Fields } from "../index.js";
import { isFieldName, parseValue } from "./values.js";

/** One input row: a contribution, or an error that names the row. Rows are numbered as lines of the file (1-based). */
export type InputRow = { row: number; ric: string; fields: Fields } | { row: number; error: string; ric?: string };

/** Input formats. */
export type InputFormat = "csv" | "ndjson";

/** Picks the format from a file name; undefined when the extension says nothing. */
export function formatFromName(name: string): InputFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".ndjson") || lower.endsWith(".jsonl") || lower.endsWith(".json")) return "ndjson";
  return undefined;
}

/** Guesses the format from the first bytes: `{` starts NDJSON, anything else is CSV. */
export function sniffFormat(firstChunk: string): InputFormat {
  return firstChunk.trimStart().startsWith("{") ? "ndjson" : "csv";
}

const RIC_COLUMNS = new Set(["ric", "ric_name", "name", "symbol"]);

/**
 * Turns CSV records into rows (for {@link readLineBatches}): the first record is the header, whose RIC column is
 * the one named RIC (any case), else the first column. Empty cells are skipped; `null` blanks a field. A refused
 * header ends the reading (nothing can be read without it).
 */
class CsvRowParser implements LineParser<InputRow> {
  done = false;
  readonly #records = new CsvRecordParser();
  /** The records of the line being parsed (reused: nearly every line gives one). */
  readonly #scratch: CsvRecord[] = [];
  #header: string[] | undefined;
  #ricIndex = 0;

  line(text: string, line: number, out: InputRow[]): void {
    this.#records.line(text, line, this.#scratch);
    this.#flush(out);
  }

  end(out: InputRow[]): void {
    this.#records.end(this.#scratch);
    this.#flush(out);
  }

  #flush(out: InputRow[]): void {
    const records = this.#scratch;
    for (let index = 0; index < records.length && !this.done; index++) this.#record(records[index] as CsvRecord, out);
    records.length = 0;
  }

  #record(record: CsvRecord, out: InputRow[]): void {
    const row = record.line;
    if ("error" in record) {
      out.push({ row, error: record.error });
      if (this.#header === undefined) this.done = true;
      return;
    }
    const cells = record.cells;
    const header = this.#header;
    if (header === undefined) {
      this.#readHeader(cells, row, out);
      return;
    }
    const ricIndex = this.#ricIndex;
    const ric = (cells[ricIndex] ?? "").trim();
    if (ric === "") {
      out.push({ row, error: `no RIC in column '${header[ricIndex] ?? ""}'` });
      return;
    }
    if (cells.length > header.length) {
      out.push({ row, ric, error: `${cells.length} cells but the header has ${header.length} columns` });
      return;
    }
    const fields: Fields = {};
    let count = 0;
    for (let index = 0; index < header.length; index++) {
      if (index === ricIndex) continue;
      const cell = cells[index];
      if (cell === undefined || cell === "") continue;
      fields[header[index] as string] = parseValue(cell);
      count += 1;
    }
    out.push(count === 0 ? { row, ric, error: "no field values in this row" } : { row, ric, fields });
  }

  #readHeader(cells: string[], row: number, out: InputRow[]): void {
    const header = cells.map((cell) => cell.trim());
    const found = header.findIndex((name) => RIC_COLUMNS.has(name.toLowerCase()));
    const ricIndex = found < 0 ? 0 : found;
    const badColumns = header.filter((name, index) => index !== ricIndex && !isFieldName(name));
    if (header.length < 2) {
      out.push({ row, error: "the header needs a RIC column and at least one field column" });
      this.done = true;
    } else if (badColumns.length > 0) {
      const names = badColumns.map((name) => `'${name}'`).join(", ");
      out.push({ row, error: `header has column names that are not field names: ${names}` });
      this.done = true;
    } else {
      this.#header = header;
      this.#ricIndex = ricIndex;
    }
  }
}

/** Reads CSV rows, one array per chunk of input (see CsvRowParser). */
export function readCsvBatches(input: Readable): AsyncGenerator<InputRow[]> {
  return readLineBatches(input, new CsvRowParser());
}

/** Reads CSV rows one by one. The RIC column is the one named RIC (any case), else the first column. Empty cells are skipped; `null` blanks a field. */
export function readCsv(input: Readable): AsyncGenerator<InputRow> {
  return flatten(readCsvBatches(input));
}

function isFieldValue(value: unknown): value is FieldValue {
  return value === null || typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/** Parses one NDJSON line into a row. */
export function parseNdjsonLine(line: string, row: number): InputRow | undefined {
  const text = line.trim();
  if (text === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { row, error: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { row, error: 'each line must be an object like {"ric": "TRCCTEST01", "fields": {"BID": 1.5}}' };
  }
  const { ric, fields } = value as { ric?: unknown; fields?: unknown };
  if (typeof ric !== "string" || ric.trim() === "") return { row, error: "'ric' must be a non-empty string" };
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    return { row, ric, error: "'fields' must be an object of field name → value" };
  }
  const entries = Object.entries(fields as Record<string, unknown>);
  if (entries.length === 0) return { row, ric, error: "'fields' is empty" };
  for (const [name, fieldValue] of entries) {
    if (!isFieldName(name)) return { row, ric, error: `'${name}' is not a field name` };
    if (!isFieldValue(fieldValue)) {
      return { row, ric, error: `${name} must be a number, a string or null, got ${JSON.stringify(fieldValue)}` };
    }
  }
  return { row, ric: ric.trim(), fields: fields as Fields };
}

/** Parses NDJSON lines into rows (for {@link readLineBatches}); blank lines give nothing. */
const ndjsonRows: LineParser<InputRow> = {
  done: false,
  line(text, line, out) {
    const parsed = parseNdjsonLine(text, line);
    if (parsed) out.push(parsed);
  },
  end() {},
};

/** Reads NDJSON rows, one array per chunk of input. */
export function readNdjsonBatches(input: Readable): AsyncGenerator<InputRow[]> {
  return readLineBatches(input, ndjsonRows);
}

/** Reads NDJSON rows line by line. */
export function readNdjson(input: Readable): AsyncGenerator<InputRow> {
  return flatten(readNdjsonBatches(input));
}
