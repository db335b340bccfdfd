/**
 * Property tests of `rcc contribute`'s input readers (src/cli/input.ts): CSV and NDJSON files mixing good
 * rows with malformed ones. Every malformed row gives an error naming its row (line) number, every good row comes
 * through with its exact values, in order, and the readers never throw. A stray opening quote is the one input
 * that can swallow later lines (a quoted CSV cell may span lines, RFC 4180): its rule is tested on its own (its
 * end-of-input case in test/unit/cli-input.test.ts and cli-csv-records.test.ts).
 */
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type InputRow, readCsv, readNdjson } from "../../src/cli/input.js";
import { MAX_RECORD_LINES } from "../../src/cli/csv-records.js";

/** What a line must produce: a row with these values, an error matching the pattern, or nothing (blank). */
type Expected = { ric: string; fields: Record<string, unknown> } | { error: RegExp } | { any: true } | null;
interface Line {
  text: string;
  expected: Expected;
}

async function readAll(reader: (input: Readable) => AsyncGenerator<InputRow>, text: string): Promise<InputRow[]> {
  const rows: InputRow[] = [];
  // Small chunks: rows must not depend on where the input happens to be cut.
  const chunks = text.match(/[\s\S]{1,7}/g) ?? [];
  for await (const row of reader(Readable.from(chunks))) rows.push(row);
  return rows;
}

function expectRows(rows: InputRow[], lines: Line[], firstLine: number): void {
  const expectedRows = lines.flatMap((line, index) =>
    line.expected === null ? [] : [{ row: firstLine + index, line }],
  );
  expect(rows.map((row) => row.row)).toEqual(expectedRows.map((entry) => entry.row));
  for (const [index, { line }] of expectedRows.entries()) {
    const row = rows[index]!;
    const expected = line.expected!;
    if ("any" in expected) continue;
    if ("error" in expected) {
      expect("error" in row, `${line.text} → ${JSON.stringify(row)}`).toBe(true);
      if ("error" in row) expect(row.error).toMatch(expected.error);
    } else {
      expect(row, line.text).toEqual({ row: row.row, ric: expected.ric, fields: expected.fields });
    }
  }
}

const ric = fc.stringMatching(/^[A-Z][A-Z0-9.]{0,11}$/);
const price = fc.integer({ min: -1_000_000, max: 1_000_000 }).map((cents) => cents / 100);
const name = fc
  .stringMatching(/^[A-Za-z][A-Za-z ,]{0,10}[A-Za-z]$/)
  .filter((text) => !["null", "Inf", "NaN"].includes(text));
const blank = fc.constantFrom("", "   ", "\t");
/** Any line text without quotes or line breaks. */
const garbage = fc.string({ unit: "grapheme", maxLength: 40 }).filter((text) => !/["\r\n\u2028\u2029]/.test(text));

const csvLine: fc.Arbitrary<Line> = fc.oneof(
  fc.record({ ric, bid: price, name }).map(({ ric, bid, name }) => ({
    text: `${ric},${bid},"${name}"`,
    expected: { ric, fields: { BID: bid, DSPLY_NAME: name } },
  })),
  price.map((bid) => ({ text: `,${bid},x`, expected: { error: /^no RIC in column 'RIC'$/ } })),
  ric.map((ric) => ({ text: `${ric},1,x,extra`, expected: { error: /^4 cells but the header has 3 columns$/ } })),
  ric.map((ric) => ({ text: `${ric},,`, expected: { error: /^no field values in this row$/ } })),
  ric.map((ric) => ({ text: `${ric},1"2,x`, expected: { error: /quote inside an unquoted value/ } })),
  ric.map((ric) => ({ text: `${ric},"1"x,y`, expected: { error: /text after its closing quote/ } })),
  blank.map((text) => ({ text, expected: null })),
  garbage.map((text) => ({ text, expected: text.trim() === "" ? null : { any: true as const } })),
);

const ndjsonLine: fc.Arbitrary<Line> = fc.oneof(
  fc.record({ ric, bid: price, name }).map(({ ric, bid, name }) => ({
    text: JSON.stringify({ ric, fields: { BID: bid, DSPLY_NAME: name } }),
    expected: { ric, fields: { BID: bid, DSPLY_NAME: name } },
  })),
  garbage
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return text.trim() !== "";
      }
    })
    .map((text) => ({ text, expected: { error: /^not valid JSON: / } })),
  fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.array(fc.integer()), fc.constant(null)).map((value) => ({
    text: JSON.stringify(value),
    expected: { error: /^each line must be an object/ },
  })),
  price.map((bid) => ({ text: JSON.stringify({ fields: { BID: bid } }), expected: { error: /^'ric' must be/ } })),
  ric.map((ric) => ({
    text: JSON.stringify({ ric, fields: [1] }),
    expected: { error: /^'fields' must be an object/ },
  })),
  ric.map((ric) => ({ text: JSON.stringify({ ric, fields: {} }), expected: { error: /^'fields' is empty$/ } })),
  ric.map((ric) => ({
    text: JSON.stringify({ ric, fields: { "bad name": 1 } }),
    expected: { error: /is not a field name$/ },
  })),
  fc.record({ ric, value: fc.oneof(fc.boolean(), fc.array(fc.integer()), fc.object()) }).map(({ ric, value }) => ({
    text: JSON.stringify({ ric, fields: { BID: value } }),
    expected: { error: /^BID must be a number, a string or null/ },
  })),
  blank.map((text) => ({ text, expected: null })),
);

describe("contribute input readers under malformed rows", () => {
  it("CSV: each malformed row gives an error with its line number and every other row comes through", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(csvLine, { maxLength: 60 }), fc.boolean(), async (lines, crlf) => {
        const newline = crlf ? "\r\n" : "\n";
        const text = ["RIC,BID,DSPLY_NAME", ...lines.map((line) => line.text)].join(newline) + newline;
        expectRows(await readAll(readCsv, text), lines, 2);
      }),
      { numRuns: 300 },
    );
  });

  it("NDJSON: each malformed line gives an error with its line number and every other line comes through", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(ndjsonLine, { maxLength: 60 }), async (lines) => {
        const text = lines.map((line) => line.text).join("\n") + "\n";
        expectRows(await readAll(readNdjson, text), lines, 1);
      }),
      { numRuns: 300 },
    );
  });

  it(`CSV: a stray opening quote is an error for its row, and the ${MAX_RECORD_LINES}+ unquoted rows after it are read again`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ ric, bid: price }), { minLength: MAX_RECORD_LINES, maxLength: 80 }),
        async (good) => {
          const lines: Line[] = [
            { text: 'TRCCTEST01,"1.5,x', expected: { error: /^a quoted cell is not closed within \d+ lines$/ } },
            ...good.map(({ ric, bid }) => ({
              text: `${ric},${bid},plain`,
              expected: { ric, fields: { BID: bid, DSPLY_NAME: "plain" } },
            })),
          ];
          const text = ["RIC,BID,DSPLY_NAME", ...lines.map((line) => line.text)].join("\n") + "\n";
          expectRows(await readAll(readCsv, text), lines, 2);
        },
      ),
      { numRuns: 30 },
    );
  });
});
