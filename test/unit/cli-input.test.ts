import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatFromName,
  type InputRow,
  parseNdjsonLine,
  readCsv,
  readNdjson,
  sniffFormat,
} from "../../src/cli/input.js";

async function collect(rows: AsyncIterable<InputRow>): Promise<InputRow[]> {
  const out: InputRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

describe("CSV input", () => {
  it("maps the RIC column and one field per column, numbering rows as file lines", async () => {
    const rows = await collect(
      readCsv(Readable.from(["RIC,BID,ASK,DSPLY_NAME\n", "TRCCTEST01,1.5,1.6,Hello\nTRCCTEST02,2,,null\n"])),
    );
    expect(rows).toEqual([
      { row: 2, ric: "TRCCTEST01", fields: { BID: 1.5, ASK: 1.6, DSPLY_NAME: "Hello" } },
      { row: 3, ric: "TRCCTEST02", fields: { BID: 2, DSPLY_NAME: null } },
    ]);
  });

  it("finds the RIC column anywhere in the header", async () => {
    const rows = await collect(readCsv(Readable.from(["BID,ric\n1,TRCCTEST01\n"])));
    expect(rows).toEqual([{ row: 2, ric: "TRCCTEST01", fields: { BID: 1 } }]);
  });

  it("reports bad rows with their row number and goes on with the rest", async () => {
    const rows = await collect(readCsv(Readable.from(["RIC,BID\n,1\nTRCCTEST01,1,2\nTRCCTEST02,\nTRCCTEST03,3\n"])));
    expect(rows).toEqual([
      { row: 2, error: "no RIC in column 'RIC'" },
      { row: 3, ric: "TRCCTEST01", error: "3 cells but the header has 2 columns" },
      { row: 4, ric: "TRCCTEST02", error: "no field values in this row" },
      { row: 5, ric: "TRCCTEST03", fields: { BID: 3 } },
    ]);
  });

  it("reports a stray quote near the end of the file on its row and still reads every row after it", async () => {
    const rows = await collect(readCsv(Readable.from(['RIC,BID\nTRCCTEST01,"1.5\nTRCCTEST02,2\nTRCCTEST03,3\n'])));
    expect(rows).toEqual([
      { row: 2, error: "unterminated quoted field starting at line 2 (no closing quote before the end of the input)" },
      { row: 3, ric: "TRCCTEST02", fields: { BID: 2 } },
      { row: 4, ric: "TRCCTEST03", fields: { BID: 3 } },
    ]);
  });

  it("merges a stray quote with a later row holding a quoted cell into one error (RFC 4180 ambiguity)", async () => {
    const text = 'RIC,BID,DSPLY_NAME\nTRCCTEST01,"1.5,x\nTRCCTEST02,2,"y"\nTRCCTEST03,3,z\n';
    const rows = await collect(readCsv(Readable.from([text])));
    expect(rows).toEqual([
      { row: 2, error: "cell 2 has text after its closing quote" },
      { row: 4, ric: "TRCCTEST03", fields: { BID: 3, DSPLY_NAME: "z" } },
    ]);
  });

  it("refuses a header whose columns are not field names", async () => {
    const rows = await collect(readCsv(Readable.from(["RIC,BID PRICE\nTRCCTEST01,1\n"])));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ row: 1, error: expect.stringContaining("'BID PRICE'") });
  });

  it("gives every row of a random file either fields or a row-level error, never throwing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 30 }), { maxLength: 20 }), async (lines) => {
        const rows = await collect(readCsv(Readable.from([`RIC,BID\n${lines.join("\n")}\n`])));
        for (const row of rows) {
          expect(row.row).toBeGreaterThanOrEqual(1);
          expect("fields" in row || "error" in row).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("NDJSON input", () => {
  it("reads one contribution per line and skips blank lines", async () => {
    const text =
      '{"ric":"TRCCTEST01","fields":{"BID":1.5,"DSPLY_NAME":null}}\n\n{"ric":"TRCCTEST02","fields":{"ASK":2}}\n';
    expect(await collect(readNdjson(Readable.from([text])))).toEqual([
      { row: 1, ric: "TRCCTEST01", fields: { BID: 1.5, DSPLY_NAME: null } },
      { row: 3, ric: "TRCCTEST02", fields: { ASK: 2 } },
    ]);
  });

  it("explains each kind of bad line", () => {
    expect(parseNdjsonLine("{", 7)).toMatchObject({ row: 7, error: expect.stringContaining("not valid JSON") });
    expect(parseNdjsonLine("[1]", 1)).toMatchObject({ error: expect.stringContaining("must be an object") });
    expect(parseNdjsonLine('{"fields":{"BID":1}}', 1)).toMatchObject({ error: "'ric' must be a non-empty string" });
    expect(parseNdjsonLine('{"ric":"A","fields":{}}', 1)).toMatchObject({ ric: "A", error: "'fields' is empty" });
    expect(parseNdjsonLine('{"ric":"A","fields":{"BID":{"x":1}}}', 1)).toMatchObject({
      error: 'BID must be a number, a string or null, got {"x":1}',
    });
  });

  it("never throws on arbitrary lines", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        const row = parseNdjsonLine(line, 1);
        if (row) expect("fields" in row || "error" in row).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("format detection", () => {
  it("uses the extension, else the first character", () => {
    expect(formatFromName("prices.CSV")).toBe("csv");
    expect(formatFromName("prices.ndjson")).toBe("ndjson");
    expect(formatFromName("prices.txt")).toBeUndefined();
    expect(sniffFormat('  {"ric":1}')).toBe("ndjson");
    expect(sniffFormat("RIC,BID")).toBe("csv");
  });
});
