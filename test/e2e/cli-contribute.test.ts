/**
 * `rcc contribute` end to end against the simulator: CSV and NDJSON from a file or stdin, bad rows reported
 * with their row numbers while the rest proceed, the `--report` file (one NDJSON outcome per input row), the
 * summary (`--json`), non-terminal progress lines, `--dry-run` without any connection, and exit codes 2 and 5.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { closedPort, runCli, simEnv, simFlags, tempFiles, useSharedSimulator } from "../helpers/cli.js";

const shared = useSharedSimulator();
const files = tempFiles();
afterAll(() => files.remove());

const CSV = [
  "RIC,BID,ASK,DSPLY_NAME",
  "TRCCTEST01,451.55,451.57,Hello RCC", // row 2: ack
  "TRCCTEST02,abc,1,x", // row 3: non-numeric BID (local)
  ",1,2,y", // row 4: no RIC
  "NOT.A.RIC,1,2,z", // row 5: Nak SymbolUnknown
  "TRCCTEST03,1,2,3,4", // row 6: too many cells
  "TRCCTEST04,1.5,null,quoted", // row 7: ack, ASK blanked
].join("\n");

const NDJSON = [
  '{"ric":"TRCCTEST05","fields":{"BID":1}}', // row 1: ack
  "not json", // row 2
  '{"ric":"TRCCTEST06","fields":{"BID":"abc"}}', // row 3: non-numeric BID (local)
  "", // row 4: blank line, skipped
  '{"ric":"NOT.A.RIC","fields":{"BID":2}}', // row 5: Nak
  '{"ric":"TRCCTEST08"}', // row 6: no fields
].join("\n");

function readReport(path: string): Record<string, unknown>[] {
  const lines = readFileSync(path, "utf8").trim().split("\n");
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>).sort((a, b) => Number(a.row) - Number(b.row));
}

describe("rcc contribute", () => {
  it("reports bad CSV rows by row number on stderr, sends the rest, writes one report line per row, exits 2", async () => {
    const input = files.write("prices.csv", CSV);
    const report = `${files.dir}/csv-report.ndjson`;
    const result = await runCli(["contribute", input, ...simFlags(shared.sim), "--report", report], {
      env: simEnv(shared.sim),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("rcc: row 3 (TRCCTEST02): BID must be a number, got 'abc'\n");
    expect(result.stderr).toContain("rcc: row 4: no RIC in column 'RIC'\n");
    expect(result.stderr).toContain("rcc: row 6 (TRCCTEST03): 5 cells but the header has 4 columns\n");
    expect(result.stdout).toMatch(/^6 rows: 2 acked, 1 naked \(SymbolUnknown 1\), 3 invalid, 0 content errors/);
    const rows = readReport(report);
    expect(rows.map((row) => [row.row, row.ric, row.outcome])).toEqual([
      [2, "TRCCTEST01", "ack"],
      [3, "TRCCTEST02", "invalid"],
      [4, undefined, "invalid"],
      [5, "NOT.A.RIC", "nak"],
      [6, "TRCCTEST03", "invalid"],
      [7, "TRCCTEST04", "ack"],
    ]);
    expect(rows[3]).toMatchObject({ nakCode: "SymbolUnknown", text: "Symbol unknown" });
    expect(rows[1]).toMatchObject({ text: "BID must be a number, got 'abc'" });
    expect(shared.sim.state.contributions("TRCCTEST04").at(-1)?.fields).toEqual({
      BID: 1.5,
      ASK: null,
      DSPLY_NAME: "quoted",
    });
    expect(shared.sim.state.contributions("TRCCTEST02")).toEqual([]);
  });

  it("reads NDJSON from stdin, reports bad rows by line number and prints a JSON summary with --json", async () => {
    const report = `${files.dir}/ndjson-report.ndjson`;
    const result = await runCli(["contribute", "-", ...simFlags(shared.sim), "--json", "--report", report], {
      env: simEnv(shared.sim),
      input: NDJSON,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^rcc: row 2: not valid JSON/m);
    expect(result.stderr).toContain("rcc: row 3 (TRCCTEST06): BID must be a number, got 'abc'\n");
    expect(result.stderr).toContain("rcc: row 6 (TRCCTEST08): 'fields' must be an object");
    expect(JSON.parse(result.stdout)).toMatchObject({
      rows: 5,
      acked: 1,
      naked: 1,
      naksByCode: { SymbolUnknown: 1 },
      invalidRows: 3,
      interrupted: false,
    });
    const rows = readReport(report);
    expect(rows.map((row) => [row.row, row.outcome])).toEqual([
      [1, "ack"],
      [2, "invalid"],
      [3, "invalid"],
      [5, "nak"],
      [6, "invalid"],
    ]);
    expect(rows[0]).toMatchObject({ ric: "TRCCTEST05", postId: expect.any(Number) });
  });

  it("exits 0 when every row is acked and prints plain 'progress:' lines when stderr is not a terminal", async () => {
    const lines = ["RIC,BID,ASK"];
    for (let row = 0; row < 50; row++) lines.push(`TRCCTEST${String(row % 9)},${100 + row},${101 + row}`);
    const input = files.write("good.csv", lines.join("\n"));
    // Slow Acks make the run outlast the first progress tick, so there is a line to see.
    shared.sim.faults.add({ type: "delay-acks", ms: 300 });
    const result = await runCli(["contribute", input, ...simFlags(shared.sim)], { env: simEnv(shared.sim) });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^50 rows: 50 acked, 0 naked, 0 invalid, 0 content errors, 0 ack timeouts in /);
    const progress = result.stderr.split("\n").filter((line) => line.startsWith("progress: "));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)).toMatch(
      /^progress: 100% {2}ETA 0s {2}sent 50 {2}acked 50 {2}naked 0 {2}in flight 0 {2}[\d.]+\/s {2}elapsed \d+s$/,
    );
    expect(result.stderr).not.toContain("\x1b[");
    expect(result.stderr).not.toContain("\r");
  });

  it("validates with --dry-run without connecting: a closed port and no credentials still succeed", async () => {
    const port = await closedPort();
    const input = files.write("dry.csv", "RIC,BID\nTRCCTEST01,1\nTRCCTEST02,2\n");
    const result = await runCli([
      "contribute",
      input,
      "--dry-run",
      "--url",
      `ws://127.0.0.1:${port}/WebSocket`,
      "--json",
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 2, valid: 2, invalidRows: 0, acked: 0 });
  });

  it("exits 1 from --dry-run when a row is bad, naming the row", async () => {
    const input = files.write("dry-bad.csv", "RIC,BID\nTRCCTEST01,1\nTRCCTEST02,x1\n");
    const result = await runCli(["contribute", input, "--dry-run"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("rcc: row 3 (TRCCTEST02): BID must be a number, got 'x1'\n");
    expect(result.stdout).toMatch(/^2 rows: 1 valid, 1 invalid/);
  });

  it("exits 5 when Acks do not come within --ack-timeout (fault drop-acks)", async () => {
    shared.sim.faults.add({ type: "drop-acks" });
    const report = `${files.dir}/timeout-report.ndjson`;
    const result = await runCli(
      [
        "contribute",
        "-",
        ...simFlags(shared.sim),
        "--ack-timeout",
        "300",
        "--json",
        "--report",
        report,
        "--format",
        "csv",
      ],
      { env: simEnv(shared.sim), input: "RIC,BID\nTRCCTEST01,1\n" },
    );
    expect(result.code).toBe(5);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 1, timeouts: 1 });
    expect(readReport(report)).toEqual([expect.objectContaining({ row: 2, ric: "TRCCTEST01", outcome: "timeout" })]);
  });

  it("exits 1 with one line, before reading anything, when the report cannot be created", async () => {
    const input = files.write("report-dir.csv", "RIC,BID\nTRCCTEST01,1\n");
    const report = `${files.dir}/no-such-dir/report.ndjson`;
    const result = await runCli(["contribute", input, "--dry-run", "--report", report]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`rcc: cannot write the report '${report}' (ENOENT)\n`);
    expect(result.stdout).toBe("");
  });

  it("finishes at once with zero rows on an empty stdin (no format to sniff)", async () => {
    const result = await runCli(["contribute", "-", "--dry-run", "--json"], { input: "" });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 0, valid: 0, invalidRows: 0 });
  });

  it("exits 1 with one line when the input file does not exist", async () => {
    const result = await runCli(["contribute", `${files.dir}/missing.csv`, "--dry-run"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`rcc: cannot read '${files.dir}/missing.csv' (ENOENT)\n`);
  });
});
