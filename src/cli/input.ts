/**
 * Streaming readers for `rcc contribute`: CSV (header row: a RIC column, then one column per field) and NDJSON
 * (`{"ric": …, "fields": {…}}` per line). Files are never loaded whole; every bad row becomes an error entry with
 * its row number and the rest go on (issue 4).
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { readCsvRecords } from "./csv-records.js";
import type { FieldValue, Fields } from "../protocol/messages.js";
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

/** Reads CSV rows. The RIC column is the one named RIC (any case), else the first column. Empty cells are skipped; `null` blanks a field. */
export async function* readCsv(input: Readable): AsyncGenerator<InputRow> {
  let header: string[] | undefined;
  let ricIndex = 0;
  const badColumns: string[] = [];
  for await (const record of readCsvRecords(input)) {
    const row = record.line;
    if ("error" in record) {
      yield { row, error: record.error };
      if (header === undefined) return; // nothing can be read without the header
      continue;
    }
    const cells = record.cells;
    if (header === undefined) {
      header = cells.map((cell) => cell.trim());
      const found = header.findIndex((name) => RIC_COLUMNS.has(name.toLowerCase()));
      ricIndex = found < 0 ? 0 : found;
      for (const [index, name] of header.entries()) if (index !== ricIndex && !isFieldName(name)) badColumns.push(name);
      if (header.length < 2) {
        yield { row, error: "the header needs a RIC column and at least one field column" };
        return;
      }
      if (badColumns.length > 0) {
        yield {
          row,
          error: `header has column names that are not field names: ${badColumns.map((n) => `'${n}'`).join(", ")}`,
        };
        return;
      }
      continue;
    }
    const ric = (cells[ricIndex] ?? "").trim();
    if (ric === "") {
      yield { row, error: `no RIC in column '${header[ricIndex] ?? ""}'` };
      continue;
    }
    if (cells.length > header.length) {
      yield { row, ric, error: `${cells.length} cells but the header has ${header.length} columns` };
      continue;
    }
    const fields: Fields = {};
    for (const [index, name] of header.entries()) {
      if (index === ricIndex) continue;
      const cell = cells[index];
      if (cell === undefined || cell === "") continue;
      fields[name] = parseValue(cell);
    }
    if (Object.keys(fields).length === 0) {
      yield { row, ric, error: "no field values in this row" };
      continue;
    }
    yield { row, ric, fields };
  }
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

/** Reads NDJSON rows line by line. */
export async function* readNdjson(input: Readable): AsyncGenerator<InputRow> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // readline ends on the input's "end" only; a destroyed input (Ctrl+C) must end the loop below too.
  input.once("close", () => lines.close());
  let row = 0;
  for await (const line of lines) {
    row += 1;
    const parsed = parseNdjsonLine(line, row);
    if (parsed) yield parsed;
  }
}
