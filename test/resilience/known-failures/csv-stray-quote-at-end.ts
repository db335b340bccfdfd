/**
 * KNOWN FAILURE (CLI input, src/cli/csv-records.ts `RecordAssembler.end`): a stray opening quote fewer than
 * MAX_RECORD_LINES (50) lines before the end of a CSV file swallows every row after it. Mid-file, the reader gives
 * up on the quote after 50 lines and reads those lines again as rows of their own; at the end of the input it
 * reports one error for the quote's row and drops the held lines, so their contributions are neither sent nor
 * reported as errors (issue 6: "malformed rows give row-level errors and the rest proceed").
 *
 * Related, inherent to CSV (RFC 4180 lets a quoted cell span lines): a stray quote followed by a row that holds a
 * quoted cell merges both rows into one error reported on the first row only (`TRCCTEST02` below).
 *
 * Kept out of `npm test` (issue 6 rule); run it with
 *   node --import tsx test/resilience/known-failures/csv-stray-quote-at-end.ts
 * Exit code 1 while rows after the stray quote are lost, 0 once each is read or reported.
 */
import { Readable } from "node:stream";
import { type InputRow, readCsv } from "../../../src/cli/input.js";

async function rowsOf(text: string): Promise<InputRow[]> {
  const rows: InputRow[] = [];
  for await (const row of readCsv(Readable.from([text]))) rows.push(row);
  return rows;
}

const atEnd = await rowsOf('RIC,BID\nTRCCTEST01,"1.5\nTRCCTEST02,2\nTRCCTEST03,3\n');
const merged = await rowsOf('RIC,BID,DSPLY_NAME\nTRCCTEST01,"1.5,x\nTRCCTEST02,2,"y"\nTRCCTEST03,3,z\n');
process.stdout.write(`stray quote near the end → ${JSON.stringify(atEnd)}\n`);
process.stdout.write(`stray quote before a quoted cell → ${JSON.stringify(merged)}\n`);
const reported = new Set(atEnd.map((row) => row.row));
if (!reported.has(3) || !reported.has(4)) {
  process.stdout.write("FAIL: rows 3 and 4 after the stray quote were neither read nor reported\n");
  process.exitCode = 1;
} else {
  process.stdout.write("PASS\n");
}
