/**
 * The chunk-at-a-time readers of `rcc contribute` (src/cli/line-reader.ts, readCsvBatches / readNdjsonBatches):
 * rows must not depend on where the input is cut — inside a line, inside a UTF-8 character, between `\r` and `\n`,
 * inside the byte-order mark — and a chunk's rows come over as one array.
 */
import { PassThrough, Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCsvRecordBatches } from "../../src/cli/csv-records.js";
import { type InputRow, readCsvBatches, readNdjsonBatches } from "../../src/cli/input.js";
import { type LineParser, LineSplitter, readLineBatches } from "../../src/cli/line-reader.js";

async function collect<T>(batches: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

/** Every way of cutting `bytes` in two, plus a cut into 1-byte chunks. */
function cuts(bytes: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let at = 0; at <= bytes.length; at++) ways.push([bytes.subarray(0, at), bytes.subarray(at)]);
  ways.push(Array.from(bytes, (byte) => Buffer.from([byte])));
  return ways;
}

/** A parser that records each line with its number. */
function lineRecorder(): LineParser<string> {
  return {
    done: false,
    line: (text, line, out) => out.push(`${line}:${text}`),
    end: () => {},
  };
}

const CSV = Buffer.from(
  '\uFEFFRIC,BID,DSPLY_NAME\r\nTRCCTEST01,1.5,Zürich €\r\n\r\nTRCCTEST02,2,"a\r\nb"\rTRCCTEST03,x,"日本"\nTRCCTEST04,4,last',
  "utf8",
);
const CSV_ROWS: InputRow[] = [
  { row: 2, ric: "TRCCTEST01", fields: { BID: 1.5, DSPLY_NAME: "Zürich €" } },
  { row: 4, ric: "TRCCTEST02", fields: { BID: 2, DSPLY_NAME: "a\nb" } },
  { row: 6, ric: "TRCCTEST03", fields: { BID: "x", DSPLY_NAME: "日本" } },
  { row: 7, ric: "TRCCTEST04", fields: { BID: 4, DSPLY_NAME: "last" } },
];

describe("batch readers of contribute input", () => {
  it("read the same CSV rows, numbered by line, wherever the bytes are cut (BOM, CRLF and UTF-8 included)", async () => {
    for (const chunks of cuts(CSV)) {
      const batches = await collect(readCsvBatches(Readable.from(chunks)));
      expect(batches.flat(), `cut into ${chunks.map((chunk) => chunk.length).join("+")} bytes`).toEqual(CSV_ROWS);
      expect(batches.every((batch) => batch.length > 0)).toBe(true);
    }
  });

  it("read the same NDJSON rows wherever the bytes are cut", async () => {
    const text = '{"ric":"TRCCTEST01","fields":{"DSPLY_NAME":"Grüße"}}\r\n\r\n{"ric":"TRCCTEST02","fields":{"BID":2}}';
    for (const chunks of cuts(Buffer.from(text, "utf8"))) {
      const rows = (await collect(readNdjsonBatches(Readable.from(chunks)))).flat();
      expect(rows).toEqual([
        { row: 1, ric: "TRCCTEST01", fields: { DSPLY_NAME: "Grüße" } },
        { row: 3, ric: "TRCCTEST02", fields: { BID: 2 } },
      ]);
    }
  });

  it("count a CRLF cut between two chunks as one line break, not an extra blank line", async () => {
    const batches = await collect(
      readCsvBatches(Readable.from(["RIC,BID\r", "\nTRCCTEST01,1\r", "\n", "TRCCTEST02,2\r\n"])),
    );
    expect(batches.flat()).toEqual([
      { row: 2, ric: "TRCCTEST01", fields: { BID: 1 } },
      { row: 3, ric: "TRCCTEST02", fields: { BID: 2 } },
    ]);
  });

  it("drop a byte-order mark cut inside its three bytes", async () => {
    const bytes = Buffer.from("\uFEFFRIC,BID\nTRCCTEST01,1\n", "utf8");
    for (const at of [1, 2]) {
      const records = (
        await collect(readCsvRecordBatches(Readable.from([bytes.subarray(0, at), bytes.subarray(at)])))
      ).flat();
      expect(records).toEqual([
        { line: 1, cells: ["RIC", "BID"] },
        { line: 2, cells: ["TRCCTEST01", "1"] },
      ]);
    }
  });

  it("hand all the rows of one chunk over as one array, and a row as soon as its chunk arrives", async () => {
    const input = new PassThrough();
    const batches = readCsvBatches(input);
    input.write("RIC,BID\nTRCCTEST01,1\nTRCCTEST02,2\nTRCCTEST03,3\n");
    expect((await batches.next()).value).toHaveLength(3);
    input.write("TRCCTEST04,4\n");
    expect((await batches.next()).value).toEqual([{ row: 5, ric: "TRCCTEST04", fields: { BID: 4 } }]);
    input.end();
    expect((await batches.next()).done).toBe(true);
  });

  it("stop at a refused header, reading none of the rows after it even in the same chunk, and pause the input", async () => {
    const input = new PassThrough();
    input.end("RIC\nTRCCTEST01\nTRCCTEST02\n");
    const batches = await collect(readCsvBatches(input));
    expect(batches).toEqual([[{ row: 1, error: "the header needs a RIC column and at least one field column" }]]);
    expect(input.isPaused()).toBe(true);
    expect(input.destroyed).toBe(false);
  });

  it("end quietly on a destroyed input, without making a row of the line it cut", async () => {
    const input = new PassThrough();
    const batches = readCsvBatches(input);
    input.write("RIC,BID\nTRCCTEST01,1\nTRCCTEST02,45");
    expect((await batches.next()).value).toEqual([{ row: 2, ric: "TRCCTEST01", fields: { BID: 1 } }]);
    const next = batches.next();
    input.destroy();
    expect((await next).done).toBe(true);
  });

  it("pass on an error of the input stream", async () => {
    const input = new Readable({
      read() {
        this.destroy(Object.assign(new Error("disk on fire"), { code: "EIO" }));
      },
    });
    await expect(collect(readNdjsonBatches(input))).rejects.toThrow("disk on fire");
  });

  it("split lines exactly as readline does (\\n, \\r\\n, lone \\r) for any text cut into any chunks", () => {
    const piece = fc.constantFrom("a", "b,c", "\n", "\r", "\r\n", "", " ", "é");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(40), { maxLength: 6 }), (pieces, cutAt) => {
        const text = pieces.join("");
        const ends = [...new Set(cutAt.map((at) => Math.min(at, text.length)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const end of [...ends, text.length]) {
          chunks.push(text.slice(from, end));
          from = end;
        }
        const splitter = new LineSplitter();
        const parser = lineRecorder();
        const out: string[] = [];
        for (const chunk of chunks) splitter.push(chunk, parser, out);
        splitter.end(parser, out);
        const expected = text.split(/\r\n|\n|\r/);
        if (expected.at(-1) === "") expected.pop();
        expect(out).toEqual(expected.map((line, index) => `${index + 1}:${line}`));
      }),
      { numRuns: 500 },
    );
  });

  it("read a last line that has no line break", async () => {
    const batches = await collect(readLineBatches(Readable.from(["one\ntw", "o"]), lineRecorder()));
    expect(batches.flat()).toEqual(["1:one", "2:two"]);
  });
});
