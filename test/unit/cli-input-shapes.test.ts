/**
 * The input shapes of `rcc contribute` beyond CSV and NDJSON (src/cli/json-records.ts, input.ts, input-source.ts):
 * a JSON array (rows = element index), JSON objects pretty-printed over several lines (rows = the line each
 * starts on), the sniffing that tells them from NDJSON and CSV, and CSV with another delimiter (detected from the
 * header line, or given and checked by openInput).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { detectDelimiter, readCsvRecords, splitCsvRecord } from "../../src/cli/csv-records.js";
import { CliError } from "../../src/cli/exit-codes.js";
import { formatFromName, type InputRow, readCsv, readJson, sniffFormat } from "../../src/cli/input.js";
import { openInput, parseDelimiter } from "../../src/cli/input-source.js";
import { MAX_JSON_RECORD_CHARS } from "../../src/cli/json-records.js";

const dir = mkdtempSync(join(tmpdir(), "rcc-input-shapes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function json(text: string | string[]): Promise<InputRow[]> {
  return collect(readJson(Readable.from(Array.isArray(text) ? text : [text])));
}

/** Every way of cutting `text` in two, plus one character per chunk. */
function cuts(text: string): string[][] {
  const ways: string[][] = [];
  for (let at = 0; at <= text.length; at++) ways.push([text.slice(0, at), text.slice(at)].filter((p) => p !== ""));
  ways.push(Array.from(text));
  return ways;
}

const ARRAY = `[
  {"ric": "TRCCTEST01", "fields": {"BID": 1.5, "DSPLY_NAME": "a, [b] {c} \\"d\\""}},
  {"ric": "TRCCTEST02", "fields": {"ASK": null}},
  7,
  {"ric": "TRCCTEST03", "fields": {"BID": {"nested": [1]}}},
  {"ric": "TRCCTEST04", "fields": {"BID": 4}}
]
`;

const PRETTY = `{
  "ric": "TRCCTEST01",
  "fields": {
    "BID": 1.5,
    "DSPLY_NAME": "}{ ]["
  }
}
{
  "ric": "TRCCTEST02",
  "fields": { "ASK": 2 }
}
`;

describe("a JSON array of contributions", () => {
  it("gives one row per element, numbered by its 1-based index, and judges each element on its own", async () => {
    expect(await json(ARRAY)).toEqual([
      { row: 1, ric: "TRCCTEST01", fields: { BID: 1.5, DSPLY_NAME: 'a, [b] {c} "d"' } },
      { row: 2, ric: "TRCCTEST02", fields: { ASK: null } },
      { row: 3, error: expect.stringContaining("each record must be an object") as string },
      { row: 4, ric: "TRCCTEST03", error: 'BID must be a number, a string or null, got {"nested":[1]}' },
      { row: 5, ric: "TRCCTEST04", fields: { BID: 4 } },
    ]);
  });

  it("reads the same rows wherever the input is cut (inside strings, escapes and brackets)", async () => {
    const expected = await json(ARRAY);
    for (const chunks of cuts(ARRAY)) expect(await json(chunks)).toEqual(expected);
  });

  it("reads a minified array on one line, an empty array, and forgives a trailing comma", async () => {
    const rows = await json('[{"ric":"A","fields":{"BID":1}},{"ric":"B","fields":{"BID":2}},]');
    expect(rows.map((row) => [row.row, "ric" in row ? row.ric : undefined])).toEqual([
      [1, "A"],
      [2, "B"],
    ]);
    expect(await json("[ ]\n")).toEqual([]);
  });

  it("reports an element that is not JSON and goes on with the next one", async () => {
    const rows = await json('[{"ric": TRCCTEST01}, {"ric":"B","fields":{"BID":2}}]');
    expect(rows[0]).toMatchObject({ row: 1, error: expect.stringMatching(/^not valid JSON: /) as string });
    expect(rows[1]).toEqual({ row: 2, ric: "B", fields: { BID: 2 } });
  });

  it("says so when the array is cut short, after an empty element, or followed by more text", async () => {
    expect(await json('[{"ric":"A","fields":{"BID":1}},')).toEqual([
      { row: 1, ric: "A", fields: { BID: 1 } },
      { row: 2, error: "the array has no closing ']' (is the input cut short?)" },
    ]);
    expect((await json('[{"ric":"A","fields":{"BID":1')).at(0)).toEqual({
      row: 1,
      error: "element 1 is not closed before the end of the input",
    });
    expect((await json('[{"ric":"A","fields":{"BID":1}},,{"ric":"B","fields":{"BID":2}}]')).map((r) => r.row)).toEqual([
      1, 2, 3,
    ]);
    expect(await json('[{"ric":"A","fields":{"BID":1}}]\n{"ric":"B"}')).toEqual([
      { row: 1, ric: "A", fields: { BID: 1 } },
      { row: 2, error: "text after the array's closing ']' (line 2); the rest of the input is not read" },
    ]);
  });

  it("gives up on an element longer than the size bound and reads no further", async () => {
    const huge = "x".repeat(MAX_JSON_RECORD_CHARS);
    const rows = await json(['[{"ric":"A","fields":{"BID":1}},', `{"ric":"B","fields":{"DSPLY_NAME":"${huge}`, '"}}]']);
    expect(rows).toEqual([
      { row: 1, ric: "A", fields: { BID: 1 } },
      {
        row: 2,
        error:
          "element 2 is not valid JSON: longer than 1 MiB of text (a missing closing bracket?); the rest of the array is not read",
      },
    ]);
  });
});

describe("JSON objects over several lines", () => {
  it("gives one row per object, numbered by the line it starts on", async () => {
    expect(await json(PRETTY)).toEqual([
      { row: 1, ric: "TRCCTEST01", fields: { BID: 1.5, DSPLY_NAME: "}{ ][" } },
      { row: 8, ric: "TRCCTEST02", fields: { ASK: 2 } },
    ]);
  });

  it("counts CRLF and lone CR line breaks as readline does, wherever the input is cut", async () => {
    const text = `\uFEFF${PRETTY.replaceAll("\n", "\r\n").replace("\r\n{", "\r{")}`;
    const expected = [
      { row: 1, ric: "TRCCTEST01", fields: { BID: 1.5, DSPLY_NAME: "}{ ][" } },
      { row: 8, ric: "TRCCTEST02", fields: { ASK: 2 } },
    ];
    for (const chunks of cuts(text)) expect(await json(chunks)).toEqual(expected);
  });

  it("reads one object per line and objects run together too", async () => {
    expect(
      await json('{"ric":"A","fields":{"BID":1}}{"ric":"B","fields":{"BID":2}}\n\n{"ric":"C","fields":{"BID":3}}'),
    ).toEqual([
      { row: 1, ric: "A", fields: { BID: 1 } },
      { row: 1, ric: "B", fields: { BID: 2 } },
      { row: 3, ric: "C", fields: { BID: 3 } },
    ]);
  });

  it("reports stray text by line and a broken object by its first line, then reads on at the next '{' in column 1", async () => {
    const text = 'oops\n{\n  "ric": "A,\n  "fields": {"BID": 1}\n}\n{\n  "ric": "B",\n  "fields": {"BID": 2}\n}\n';
    expect(await json(text)).toEqual([
      { row: 1, error: "not valid JSON: expected '{' to start an object, got 'o'" },
      {
        row: 2,
        error:
          "the object starting at line 2 is not valid JSON: a line break inside a string (a quote is missing?); reading on at the next line starting with '{'",
      },
      { row: 6, ric: "B", fields: { BID: 2 } },
    ]);
    expect(await json('{\n  "ric": "A"\n')).toEqual([
      { row: 1, error: "the object starting at line 1 is not closed before the end of the input" },
    ]);
  });

  it("never throws on arbitrary text and gives every row a number and either fields or an error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 120 }), async (text) => {
        for (const row of await json(text)) {
          expect(row.row).toBeGreaterThanOrEqual(1);
          expect("fields" in row || "error" in row).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("format sniffing", () => {
  it("tells a JSON array, pretty-printed objects, NDJSON and CSV apart from the first lines", () => {
    expect(sniffFormat('  [{"ric": "A"}]')).toBe("json");
    expect(sniffFormat('{\n  "ric": "A",\n  "fields": {}\n}\n')).toBe("json");
    expect(sniffFormat('{ "ric": "A",\n  "fields": {} }\n')).toBe("json");
    expect(sniffFormat('{"ric":"A","fields":{"BID":1}}\n{"ric":"B"')).toBe("ndjson");
    // A broken NDJSON line followed by another object stays NDJSON (its errors stay on their lines).
    expect(sniffFormat('{"ric":"A","fields":{"BID":1}\n{"ric":"B","fields":{"BID":2}}\n')).toBe("ndjson");
    expect(sniffFormat("\uFEFF[1]")).toBe("json");
    expect(sniffFormat("RIC;BID\nA;1\n")).toBe("csv");
  });

  it("takes the extension as a hint: .json is JSON, .ndjson and .jsonl NDJSON, .csv CSV", () => {
    expect(formatFromName("prices.JSON")).toBe("json");
    expect(formatFromName("prices.jsonl")).toBe("ndjson");
    expect(formatFromName("prices.csv")).toBe("csv");
    expect(formatFromName("prices")).toBeUndefined();
  });
});

describe("CSV delimiters", () => {
  it("detects comma, semicolon or tab from the header line, ignoring quoted ones", () => {
    expect(detectDelimiter("RIC;BID;ASK")).toBe(";");
    expect(detectDelimiter("RIC\tBID\tASK")).toBe("\t");
    expect(detectDelimiter("RIC,BID")).toBe(",");
    expect(detectDelimiter('"A;B;C",BID')).toBe(",");
    expect(detectDelimiter("RIC")).toBe(",");
    expect(detectDelimiter("RIC;BID,ASK")).toBe(",");
  });

  it("splits on the delimiter, keeping empty cells when blanks are the delimiter (tab)", () => {
    expect(splitCsvRecord('A;"x;y";;3', ";")).toEqual({ cells: ["A", "x;y", "", "3"] });
    expect(splitCsvRecord('A\t\t"q"\t', "\t")).toEqual({ cells: ["A", "", "q", ""] });
    expect(splitCsvRecord('A;"x"y', ";")).toMatchObject({ error: expect.stringContaining("after its closing quote") });
  });

  it("reads a semicolon file with the delimiter found on its header, after a BOM and blank lines", async () => {
    const rows = await collect(readCsv(Readable.from(["\uFEFF\n", 'RIC;BID;DSPLY_NAME\nTRCCTEST01;1.5;"a;b"\n'])));
    expect(rows).toEqual([{ row: 3, ric: "TRCCTEST01", fields: { BID: 1.5, DSPLY_NAME: "a;b" } }]);
    const records = await collect(readCsvRecords(Readable.from(["A|B\n1|2\n"]), "|"));
    expect(records).toEqual([
      { line: 1, cells: ["A", "B"] },
      { line: 2, cells: ["1", "2"] },
    ]);
  });
});

describe("openInput", () => {
  function write(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  async function rows(file: string, options: Parameters<typeof openInput>[1] = {}): Promise<InputRow[]> {
    const input = await openInput(file, options);
    return (await collect(input.batches)).flat();
  }

  it("reads .json arrays and pretty-printed .json objects, and NDJSON in a .json file line by line", async () => {
    expect((await rows(write("array.json", ARRAY))).map((row) => row.row)).toEqual([1, 2, 3, 4, 5]);
    expect((await rows(write("pretty.json", PRETTY))).map((row) => row.row)).toEqual([1, 8]);
    const ndjson = '{"ric":"A","fields":{"BID":1}}\nnot json\n{"ric":"B","fields":{"BID":2}}\n';
    expect((await rows(write("lines.json", ndjson))).map((row) => [row.row, "error" in row])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    expect((await rows(write("pretty.txt", PRETTY))).map((row) => row.row)).toEqual([1, 8]);
  });

  it("uses a given delimiter, which also makes a file without an extension CSV", async () => {
    const file = write("pipes", "RIC|BID\nTRCCTEST01|2.5\n");
    expect(await rows(file, { delimiter: "|" })).toEqual([{ row: 2, ric: "TRCCTEST01", fields: { BID: 2.5 } }]);
    const tabs = write("tabs.csv", "RIC\tBID\nTRCCTEST01\t3\n");
    expect(await rows(tabs, { delimiter: "\\t" })).toEqual([{ row: 2, ric: "TRCCTEST01", fields: { BID: 3 } }]);
    expect(await rows(tabs, { delimiter: "tab" })).toEqual([{ row: 2, ric: "TRCCTEST01", fields: { BID: 3 } }]);
  });

  it("refuses a delimiter that is not one character, a quote or a line break, or one given for JSON", async () => {
    const file = write("any.csv", "RIC,BID\n");
    const refusal = async (options: Parameters<typeof openInput>[1], message: string) => {
      const error = await openInput(file, options).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(1);
      expect((error as CliError).message).toBe(message);
    };
    await refusal({ delimiter: ";;" }, '--delimiter must be one character (\\t or tab for a tab), got ";;"');
    await refusal({ delimiter: "" }, '--delimiter must be one character (\\t or tab for a tab), got ""');
    await refusal({ delimiter: '"' }, "--delimiter cannot be '\"': quotes enclose CSV cells");
    await refusal({ delimiter: "\n" }, "--delimiter cannot be a line break: line breaks end CSV records");
    await refusal({ delimiter: ";", format: "json" }, "--delimiter is for CSV input, not --format json");
    const jsonFile = write("x.json", "[]");
    const error = await openInput(jsonFile, { delimiter: ";" }).catch((caught: unknown) => caught);
    expect((error as CliError).message).toMatch(/is JSON by its extension; add --format csv to read it as CSV$/);
    expect(parseDelimiter("€")).toBe("€");
  });
});
