/**
 * Streaming readers for `rcc contribute`: CSV (header row: a RIC column, then one column per field; comma,
 * semicolon or tab detected from the header, or given), NDJSON (`{"ric": …, "fields": {…}}` per line) and JSON
 * (an array of such objects, or such objects pretty-printed over several lines). Files are never loaded whole;
 * every bad row becomes an error entry with its row number and the rest go on.
 */
import type { Readable } from "node:stream";
import { type CsvRecord, CsvRecordParser } from "./csv-records.js";
import { type JsonRecord, JsonRecordParser } from "./json-records.js";
import { type ChunkParser, flatten, type LineParser, readChunkBatches, readLineBatches } from "./line-reader.js";
import type { FieldValue, Fields } from "../index.js";
import { isFieldName, parseValue } from "./values.js";

/**
 * One input row: a contribution, or an error that names the row. Rows are numbered as lines of the file
 * (1-based; for a sequence of JSON objects, the line where the object starts), or for a JSON array as its
 * elements (1-based index).
 */
export type InputRow = { row: number; ric: string; fields: Fields } | { row: number; error: string; ric?: string };

/** Input formats: CSV, NDJSON (one object per line), JSON (an array, or objects over several lines). */
export type InputFormat = "csv" | "ndjson" | "json";

/**
 * Picks the format from a file name: `.csv` is CSV, `.ndjson` and `.jsonl` NDJSON, `.json` JSON; undefined when
 * the extension says nothing. A JSON-ish extension is only a hint: {@link sniffFormat} has the last word on which
 * JSON shape it is.
 */
export function formatFromName(name: string): InputFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".ndjson") || lower.endsWith(".jsonl")) return "ndjson";
  if (lower.endsWith(".json")) return "json";
  return undefined;
}

/**
 * Guesses the format from the first bytes (at least the first line, when there is one): `[` starts a JSON array;
 * `{` starts NDJSON when the first object ends on its line, or when the next line starts an object too (a broken
 * NDJSON line), else JSON objects pretty-printed over several lines; anything else is CSV. A byte-order mark is
 * skipped.
 */
export function sniffFormat(head: string): InputFormat {
  const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
  const start = text.trimStart();
  if (start.startsWith("[")) return "json";
  if (!start.startsWith("{")) return "csv";
  const lines = start.split(/\r\n|\n|\r/);
  if (objectEndsOnLine(lines[0] ?? "")) return "ndjson";
  // No line break yet: the object may be one long NDJSON line or the start of a pretty-printed one. The JSON
  // reader reads both (a line per object too), so it takes the doubt.
  if (lines.length === 1) return "json";
  const next = lines.slice(1).find((line) => line.trim() !== "");
  return next?.trimStart().startsWith("{") === true ? "ndjson" : "json";
}

/** Whether the object that `line` starts with closes on it (brackets balanced outside strings). */
function objectEndsOnLine(line: string): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const char of line) {
    if (inString) {
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "{" || char === "[") depth += 1;
    else if (char === "}" || char === "]") {
      depth -= 1;
      if (depth === 0) return true;
    }
  }
  return false;
}

const RIC_COLUMNS = new Set(["ric", "ric_name", "name", "symbol"]);

/**
 * Turns CSV records into rows (for {@link readLineBatches}): the first record is the header, whose RIC column is
 * the one named RIC (any case), else the first column. Empty cells are skipped; `null` blanks a field. A refused
 * header ends the reading (nothing can be read without it).
 */
class CsvRowParser implements LineParser<InputRow> {
  done = false;
  readonly #records: CsvRecordParser;
  /** The records of the line being parsed (reused: nearly every line gives one). */
  readonly #scratch: CsvRecord[] = [];
  #header: string[] | undefined;
  #ricIndex = 0;

  /** @param delimiter the character between cells; undefined = detected from the header line. */
  constructor(delimiter?: string) {
    this.#records = new CsvRecordParser(delimiter);
  }

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

/**
 * Reads CSV rows, one array per chunk of input (see CsvRowParser).
 * @param delimiter the one character between cells; undefined = `,`, `;` or tab, whichever the header line has
 * most of (csv-records.ts detectDelimiter). @default undefined
 */
export function readCsvBatches(input: Readable, delimiter?: string): AsyncGenerator<InputRow[]> {
  return readLineBatches(input, new CsvRowParser(delimiter));
}

/**
 * Reads CSV rows one by one. The RIC column is the one named RIC (any case), else the first column. Empty cells
 * are skipped; `null` blanks a field.
 * @param delimiter as for {@link readCsvBatches}. @default undefined
 */
export function readCsv(input: Readable, delimiter?: string): AsyncGenerator<InputRow> {
  return flatten(readCsvBatches(input, delimiter));
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
  return contributionRow(value, row, "line");
}

/**
 * Checks a parsed JSON value is a contribution, `{"ric": "…", "fields": {NAME: number | string | null}}`.
 * @param unit what holds one contribution, for the message: "line" (NDJSON) or "record" (JSON).
 */
function contributionRow(value: unknown, row: number, unit: "line" | "record"): InputRow {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { row, error: `each ${unit} must be an object like {"ric": "TRCCTEST01", "fields": {"BID": 1.5}}` };
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

/** Turns JSON records into rows (for {@link readChunkBatches}). */
class JsonRowParser implements ChunkParser<InputRow> {
  readonly #records = new JsonRecordParser();
  /** The records of the piece being parsed (reused). */
  readonly #scratch: JsonRecord[] = [];

  get done(): boolean {
    return this.#records.done;
  }

  push(text: string, out: InputRow[]): void {
    this.#records.push(text, this.#scratch);
    this.#flush(out);
  }

  end(out: InputRow[], complete: boolean): void {
    this.#records.end(this.#scratch, complete);
    this.#flush(out);
  }

  #flush(out: InputRow[]): void {
    for (const record of this.#scratch)
      out.push("error" in record ? record : contributionRow(record.value, record.row, "record"));
    this.#scratch.length = 0;
  }
}

/**
 * Reads JSON rows, one array per chunk of input: a JSON array of `{"ric", "fields"}` objects (rows = 1-based
 * element index), or a sequence of such objects, pretty-printed or not (rows = the line where each starts).
 * Streamed: one record is held at a time (json-records.ts).
 */
export function readJsonBatches(input: Readable): AsyncGenerator<InputRow[]> {
  return readChunkBatches(input, new JsonRowParser());
}

/** Reads JSON rows one by one (see {@link readJsonBatches}). */
export function readJson(input: Readable): AsyncGenerator<InputRow> {
  return flatten(readJsonBatches(input));
}
