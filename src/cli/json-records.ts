/**
 * A streaming reader of JSON input for `rcc contribute`: either one JSON array of records, or a sequence of JSON
 * objects (pretty-printed over several lines, one per line, or run together). It finds where each record starts
 * and ends by tracking brackets and strings, so the input is never held whole — a minified array on one line of a
 * gigabyte streams like any other — and `JSON.parse` sees one record at a time, of at most
 * {@link MAX_JSON_RECORD_CHARS}. A record that is valid JSON but not a contribution is for input.ts to judge.
 *
 * Rows: in an array, the 1-based index of the element; in a sequence of objects, the line where the object starts.
 * A record that is not valid JSON is an error for that record only, as long as the brackets still show where the
 * next one starts. When they do not (a line break inside a string, a record over the size bound), a sequence of
 * objects picks up again at the next line starting with `{` in its first column, where a pretty-printer puts every
 * top-level object; an array cannot be resynchronised and the rest of it is not read.
 */
import type { ChunkParser } from "./line-reader.js";

/** One record: its parsed JSON value, or why it cannot be read; `row` as described above. */
export type JsonRecord = { row: number; value: unknown } | { row: number; error: string };

/** Largest text of one record, in UTF-16 code units (1 MiB of ASCII): larger means a missing bracket. */
export const MAX_JSON_RECORD_CHARS = 1_048_576;

const LINE_FEED = 10;
const CARRIAGE_RETURN = 13;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const BYTE_ORDER_MARK = 0xfeff;

/**
 * What the reader is between records: before the first, in a sequence of objects, in an array, after its `]`, or
 * skipping to the next object after losing track (sequence only).
 */
type Mode = "start" | "objects" | "array" | "after-array" | "resync";

/** The bound of {@link MAX_JSON_RECORD_CHARS} for people. */
const BOUND_TEXT = `${MAX_JSON_RECORD_CHARS / 1_048_576} MiB`;

/** Parses JSON input into records (for `readChunkBatches`). */
export class JsonRecordParser implements ChunkParser<JsonRecord> {
  done = false;
  #mode: Mode = "start";
  /** Line of the character being read (1-based); a `\r\n` counts once. */
  #line = 1;
  /** The last character was `\r`: a `\n` next ends the same line. */
  #afterReturn = false;
  /** The next character is the first of its line. */
  #atLineStart = true;
  /** Nothing read yet (a byte-order mark may come). */
  #fresh = true;
  /** The rest of the current line is stray text already reported. */
  #skipLine = false;

  /** A record is being read: its text so far is in #parts. */
  #inRecord = false;
  #parts: string[] = [];
  #size = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Row of the record being read. */
  #row = 0;
  /** Line where the record being read starts (for messages). */
  #startLine = 0;

  /** Array elements started so far. */
  #index = 0;
  /** In an array: an element must come next (after `[` or `,`). */
  #expectElement = true;

  /** Reads the next piece of text, pushing the records it completes. */
  push(text: string, out: JsonRecord[]): void {
    // Nothing to do when done: the loop below does not start.
    if (text === "") return;
    let index = 0;
    if (this.#fresh) {
      this.#fresh = false;
      if (text.charCodeAt(0) === BYTE_ORDER_MARK) index = 1;
    }
    /** Where the current record's text starts in `text`. */
    let segment = this.#inRecord ? index : -1;
    const length = text.length;
    for (; index < length && !this.done; index++) {
      const code = text.charCodeAt(index);
      if (code === LINE_FEED || code === CARRIAGE_RETURN) {
        const sameBreak = code === LINE_FEED && this.#afterReturn;
        this.#afterReturn = code === CARRIAGE_RETURN;
        if (!sameBreak) this.#line += 1;
        this.#atLineStart = true;
        this.#skipLine = false;
        if (this.#inRecord && this.#inString) {
          this.#lostTrack("a line break inside a string (a quote is missing?)", out);
          segment = -1;
        }
        continue;
      }
      this.#afterReturn = false;
      const atLineStart = this.#atLineStart;
      this.#atLineStart = false;
      if (this.#inRecord) {
        if (this.#scanRecord(code, text, segment, index, out)) segment = -1;
        continue;
      }
      if (this.#skipLine || code === SPACE || code === TAB) continue;
      if (this.#between(code, atLineStart, out)) segment = index;
    }
    if (segment >= 0 && this.#inRecord) this.#append(text.slice(segment), out);
  }

  /** The input ended: a record still open is an error; so is an array without its `]`. */
  end(out: JsonRecord[], complete: boolean): void {
    if (!complete || this.done) return;
    if (this.#inRecord) {
      if (this.#mode === "array" && this.#depth === 0 && !this.#inString) {
        this.#finish(out);
      } else {
        const what = this.#mode === "array" ? `element ${this.#row}` : `the object starting at line ${this.#startLine}`;
        out.push({ row: this.#row, error: `${what} is not closed before the end of the input` });
        this.#reset();
      }
    }
    if (this.#mode === "array") {
      out.push({ row: this.#index + 1, error: "the array has no closing ']' (is the input cut short?)" });
    }
  }

  /**
   * One character of a record. Returns true when the record ended with it (or was given up), so the caller stops
   * collecting its text.
   */
  #scanRecord(code: number, text: string, segment: number, index: number, out: JsonRecord[]): boolean {
    if (this.#inString) {
      if (this.#escaped) this.#escaped = false;
      else if (code === BACKSLASH) this.#escaped = true;
      else if (code === QUOTE) this.#inString = false;
      return false;
    }
    if (code === QUOTE) {
      this.#inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      this.#depth += 1;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      if (this.#depth === 0 && this.#mode === "array" && code === CLOSE_BRACKET) {
        // The array's own `]` ends its last element.
        return this.#endRecord(text, segment, index, out, "after-array");
      }
      if (this.#depth > 0) this.#depth -= 1;
      if (this.#depth === 0 && this.#mode !== "array") return this.#endRecord(text, segment, index + 1, out);
    } else if (code === COMMA && this.#depth === 0 && this.#mode === "array") {
      this.#expectElement = true;
      return this.#endRecord(text, segment, index, out);
    }
    return false;
  }

  /** Ends the record with the text of this piece up to `end`, then parses it; `next` is the mode after it. */
  #endRecord(text: string, segment: number, end: number, out: JsonRecord[], next?: Mode): boolean {
    if (segment >= 0) this.#append(text.slice(segment, end), out);
    if (this.#inRecord) this.#finish(out);
    if (next !== undefined && !this.done) this.#mode = next;
    return true;
  }

  /**
   * One character between records (not blank). Returns true when it starts a record (the caller then collects
   * the record's text from it).
   */
  #between(code: number, atLineStart: boolean, out: JsonRecord[]): boolean {
    switch (this.#mode) {
      case "start":
        if (code === OPEN_BRACKET) {
          this.#mode = "array";
          return false;
        }
        this.#mode = "objects";
        return this.#between(code, atLineStart, out);
      case "resync":
        if (code !== OPEN_BRACE || !atLineStart) return false;
        this.#mode = "objects";
        return this.#startRecord(this.#line);
      case "objects":
        if (code === OPEN_BRACE) return this.#startRecord(this.#line);
        out.push({ row: this.#line, error: `not valid JSON: expected '{' to start an object, got '${charAt(code)}'` });
        this.#skipLine = true;
        return false;
      case "after-array":
        out.push({
          row: this.#index + 1,
          error: `text after the array's closing ']' (line ${this.#line}); the rest of the input is not read`,
        });
        this.done = true;
        return false;
      case "array":
        if (code === CLOSE_BRACKET) {
          // A trailing comma before `]` is forgiven; `[,` or `,,` is an element missing.
          this.#mode = "after-array";
          return false;
        }
        if (code === COMMA) {
          if (this.#expectElement) {
            this.#index += 1;
            out.push({ row: this.#index, error: "an empty element (two commas, or a comma after '[')" });
          }
          this.#expectElement = true;
          return false;
        }
        this.#expectElement = false;
        this.#index += 1;
        // The element's first character is scanned as part of it (it may open a bracket or a string).
        this.#startRecord(this.#index);
        this.#scanFirst(code);
        return true;
    }
  }

  /** Starts a record at row `row` whose first character is `{` (a sequence) or scanned by #scanFirst (an array). */
  #startRecord(row: number): boolean {
    this.#inRecord = true;
    this.#row = row;
    this.#startLine = this.#line;
    this.#depth = this.#mode === "objects" ? 1 : 0;
    this.#inString = false;
    this.#escaped = false;
    return true;
  }

  /** The first character of an array element. */
  #scanFirst(code: number): void {
    if (code === QUOTE) this.#inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) this.#depth = 1;
  }

  /** Adds text to the record, giving it up when it passes the size bound. */
  #append(text: string, out: JsonRecord[]): void {
    this.#size += text.length;
    this.#parts.push(text);
    if (this.#size > MAX_JSON_RECORD_CHARS) {
      this.#lostTrack(`longer than ${BOUND_TEXT} of text (a missing closing bracket?)`, out);
    }
  }

  /** Parses the finished record. */
  #finish(out: JsonRecord[]): void {
    const text = this.#parts.join("");
    const row = this.#row;
    this.#reset();
    try {
      out.push({ row, value: JSON.parse(text) as unknown });
    } catch (error) {
      out.push({ row, error: `not valid JSON: ${(error as Error).message}` });
    }
  }

  /** The record being read cannot be ended where its brackets say: an error, then resync or stop. */
  #lostTrack(reason: string, out: JsonRecord[]): void {
    const row = this.#row;
    if (this.#mode === "array") {
      out.push({ row, error: `element ${row} is not valid JSON: ${reason}; the rest of the array is not read` });
      this.done = true;
    } else {
      out.push({
        row,
        error: `the object starting at line ${this.#startLine} is not valid JSON: ${reason}; reading on at the next line starting with '{'`,
      });
      this.#mode = "resync";
    }
    this.#reset();
  }

  #reset(): void {
    this.#inRecord = false;
    this.#parts = [];
    this.#size = 0;
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
  }
}

/** A character for an error message: printable ASCII as is, anything else as U+XXXX. */
function charAt(code: number): string {
  return code > 32 && code < 127 ? String.fromCharCode(code) : `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}
