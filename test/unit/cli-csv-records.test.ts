import { PassThrough, Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CsvRecord, MAX_RECORD_LINES, readCsvRecords, splitCsvRecord } from "../../src/cli/csv-records.js";
import { checkKnownFields } from "../../src/protocol/field-check.js";

async function collect(records: AsyncIterable<CsvRecord>): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

describe("splitting one CSV record", () => {
  it("splits on commas and trims unquoted cells", () => {
    expect(splitCsvRecord(" TRCCTEST01 , 1.5,,x ")).toEqual({ cells: ["TRCCTEST01", "1.5", "", "x"] });
  });

  it("keeps commas, doubled quotes and spaces inside quoted cells", () => {
    expect(splitCsvRecord('A,"Hello, ""RCC"" ", "x"')).toEqual({ cells: ["A", 'Hello, "RCC" ', "x"] });
  });

  it("asks for the next line while a quoted cell is open, and rejects stray quotes", () => {
    expect(splitCsvRecord('A,"two\nlines')).toEqual({ open: true });
    expect(splitCsvRecord('A,"two\nlines"')).toEqual({ cells: ["A", "two\nlines"] });
    expect(splitCsvRecord('A,b"c')).toMatchObject({ error: expect.stringContaining("cell 2") });
    expect(splitCsvRecord('A,"b"c')).toMatchObject({ error: expect.stringContaining("after its closing quote") });
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const result = splitCsvRecord(text);
        expect("cells" in result || "error" in result || "open" in result).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("reading CSV records from a stream", () => {
  it("numbers records by their first line, skips blank lines and drops a byte-order mark", async () => {
    const records = await collect(readCsvRecords(Readable.from(['\uFEFFRIC,BID\r\n\nA,"1\n2"\nB,3\n'])));
    expect(records).toEqual([
      { line: 1, cells: ["RIC", "BID"] },
      { line: 3, cells: ["A", "1\n2"] },
      { line: 5, cells: ["B", "3"] },
    ]);
  });

  it("hands a record over as soon as its line ends, without waiting for more input", async () => {
    const input = new PassThrough();
    const records = readCsvRecords(input);
    input.write("RIC,BID\nA,1\n");
    expect((await records.next()).value).toEqual({ line: 1, cells: ["RIC", "BID"] });
    expect((await records.next()).value).toEqual({ line: 2, cells: ["A", "1"] });
    input.end();
    expect((await records.next()).done).toBe(true);
  });

  it("gives up a stray quote after MAX_RECORD_LINES lines and reads the following lines as records", async () => {
    const lines = ['A,"never closed', ...Array.from({ length: MAX_RECORD_LINES }, (_, index) => `R${index},${index}`)];
    const records = await collect(readCsvRecords(Readable.from([`${lines.join("\n")}\n`])));
    expect(records[0]).toEqual({ line: 1, error: `a quoted cell is not closed within ${MAX_RECORD_LINES} lines` });
    expect(records.slice(1)).toHaveLength(MAX_RECORD_LINES);
    expect(records[1]).toEqual({ line: 2, cells: ["R0", "0"] });
  });

  it("reports a quoted cell still open at the end of the input on the line where it starts", async () => {
    const records = await collect(readCsvRecords(Readable.from(['RIC,BID\nA,"1\n'])));
    expect(records.at(-1)).toEqual({
      line: 2,
      error: "unterminated quoted field starting at line 2 (no closing quote before the end of the input)",
    });
  });

  it("reads the lines after a stray quote near the end of the input again as records of their own", async () => {
    const records = await collect(readCsvRecords(Readable.from(['RIC,BID\nA,"1\n\nB,2\nC,3\n'])));
    expect(records).toEqual([
      { line: 1, cells: ["RIC", "BID"] },
      { line: 2, error: "unterminated quoted field starting at line 2 (no closing quote before the end of the input)" },
      { line: 4, cells: ["B", "2"] },
      { line: 5, cells: ["C", "3"] },
    ]);
  });

  it("reads or reports every line after a stray quote at any distance from the end of the input", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: MAX_RECORD_LINES + 5 }), async (after) => {
        const lines = ['A,"stray', ...Array.from({ length: after }, (_, index) => `R${index},${index}`)];
        const records = await collect(readCsvRecords(Readable.from([`${lines.join("\n")}\n`])));
        expect(records.map((record) => record.line)).toEqual(lines.map((_, index) => index + 1));
        expect(records[0]).toHaveProperty("error");
        expect(records.slice(1).every((record) => "cells" in record)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe("local checks of well-known fields", () => {
  it("names the field and value when a numeric field is not a number", () => {
    expect(checkKnownFields({ BID: "abc" })).toBe("BID must be a number, got 'abc'");
    expect(checkKnownFields({ DSPLY_NAME: "x", PRIMACT_1: "12a" })).toBe("PRIMACT_1 must be a number, got '12a'");
  });

  it("accepts numbers, blanks, Real specials, text fields and fields it does not know", () => {
    expect(checkKnownFields({ BID: 1.5, ASK: null, TRDPRC_1: "Inf", DSPLY_NAME: "1", MY_FIELD: "x" })).toBeUndefined();
  });
});
