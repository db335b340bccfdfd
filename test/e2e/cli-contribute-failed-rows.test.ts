/**
 * `rcc contribute` without `--report`: every row that failed — a Nak, a content Error, an Ack that never came in
 * time, a row too large for one frame — is printed on stderr with its row number (the first 20, then how many
 * more), and `--json` lists the row numbers by category. The failures are the real simulator's answers (a
 * converter Error for a field it does not know, Acks dropped or held back by a fault), not local guesses.
 */
import { afterAll, describe, expect, it } from "vitest";
import { runCli, simEnv, simFlags, tempFiles, useSharedSimulator } from "../helpers/cli.js";

const shared = useSharedSimulator();
const files = tempFiles();
afterAll(() => files.remove());

/** The `--json` summary's fields these tests read. */
interface Summary {
  rows: number;
  acked: number;
  naked: number;
  contentErrors: number;
  timeouts: number;
  invalidRows: number;
  rowNumbers: Partial<Record<"nak" | "error" | "timeout" | "invalid", number[]>>;
}

/** An NDJSON file of `{ric, fields}` rows (row N is line N). */
function ndjson(name: string, rows: { ric: string; fields: Record<string, unknown> }[]): string {
  return files.write(name, `${rows.map((row) => JSON.stringify(row)).join("\n")}\n`);
}

/** The lines on stderr that name a failed row. */
function failedRowLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => /^rcc: row \d+ /.test(line));
}

const sorted = (numbers: number[] | undefined): number[] => [...(numbers ?? [])].sort((a, b) => a - b);

describe("rcc contribute prints every failed row on stderr with its row number", () => {
  it("§2.11: a row the server answers with a content Error (a field it does not know, a value of the wrong JSON type) is printed with the server's words, and --json lists it under error", async () => {
    const input = ndjson("content-errors.ndjson", [
      { ric: "TRCCTEST01", fields: { BID: 1 } },
      // Not in the field table: left to the server, whose converter answers an Error (§2.12).
      { ric: "TRCCTEST02", fields: { NOSUCHFIELD: 1 } },
      { ric: "TRCCTEST03", fields: { BID: 2 } },
      // DSPLY_NAME is a string field: a number is a converter Token Type error.
      { ric: "TRCCTEST04", fields: { DSPLY_NAME: 5 } },
    ]);
    const errorsBefore = shared.sim.state.counters.errors;
    const result = await runCli(["contribute", input, ...simFlags(shared.sim), "--json", "--no-progress"], {
      env: simEnv(shared.sim),
    });
    expect(result.code, result.stderr).toBe(2); // a content Error, like a Nak
    // The server itself answered both with an Error: the CLI did not refuse them locally.
    expect(shared.sim.state.counters.errors - errorsBefore).toBe(2);
    expect(failedRowLines(result.stderr).sort()).toEqual([
      "rcc: row 2 (TRCCTEST02): content Error: JSON Unexpected FID. Received 'NOSUCHFIELD' for key 'Fields'",
      "rcc: row 4 (TRCCTEST04): content Error: JSON Converter Token Type error: Expected 'STRING' for key 'DSPLY_NAME' Received 'PRIMITIVE'",
    ]);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary).toMatchObject({ rows: 4, acked: 2, naked: 0, contentErrors: 2, timeouts: 0, invalidRows: 0 });
    expect(sorted(summary.rowNumbers.error)).toEqual([2, 4]);
    expect(summary.rowNumbers).not.toHaveProperty("nak");
  });

  it.each([
    ["Acks dropped (drop-acks)", { type: "drop-acks", ric: "TRCCTEST05" }],
    ["Acks held back longer than --ack-timeout (delay-acks 2 s)", { type: "delay-acks", ric: "TRCCTEST05", ms: 2_000 }],
  ] as const)(
    "§2.9: with %s, each row to that RIC is printed as an Ack timeout with its row number, and --json lists it under timeout",
    async (_what, fault) => {
      shared.sim.faults.add(fault);
      const lines = ["RIC,BID"];
      for (let index = 0; index < 8; index++) lines.push(`${index % 3 === 1 ? "TRCCTEST05" : "TRCCTEST01"},${index}`);
      // Rows (line numbers) 3, 6 and 9 go to TRCCTEST05.
      const input = files.write(`timeouts-${fault.type}.csv`, `${lines.join("\n")}\n`);
      const result = await runCli(
        ["contribute", input, ...simFlags(shared.sim), "--ack-timeout", "300", "--json", "--no-progress"],
        { env: simEnv(shared.sim) },
      );
      expect(result.code, result.stderr).toBe(5); // an Ack timeout
      expect(failedRowLines(result.stderr).sort()).toEqual([
        "rcc: row 3 (TRCCTEST05): no Ack in time",
        "rcc: row 6 (TRCCTEST05): no Ack in time",
        "rcc: row 9 (TRCCTEST05): no Ack in time",
      ]);
      const summary = JSON.parse(result.stdout) as Summary;
      expect(summary).toMatchObject({ rows: 8, acked: 5, naked: 0, contentErrors: 0, timeouts: 3 });
      expect(sorted(summary.rowNumbers.timeout)).toEqual([3, 6, 9]);
    },
  );

  it("a timed-out row has no final outcome: the summary says how many rows to send again, in the singular for one", async () => {
    shared.sim.faults.add({ type: "drop-acks", ric: "TRCCTEST05" });
    const input = files.write("one-timeout.csv", "RIC,BID\nTRCCTEST01,1\nTRCCTEST05,2\n");
    const result = await runCli(
      ["contribute", input, ...simFlags(shared.sim), "--ack-timeout", "300", "--no-progress"],
      {
        env: simEnv(shared.sim),
      },
    );
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toBe(
      "rcc: row 3 (TRCCTEST05): no Ack in time\n" +
        "rcc: 1 row has no final outcome; run with --report FILE to be able to send only those later\n",
    );
  });

  it("§2.2: a row too large for one frame (over the server's 61,440-byte message limit) is printed as oversized with its row number, never sent, and the connection survives", async () => {
    const limit = shared.sim.config.maxMessageBytes;
    expect(limit).toBe(61_440); // the client's default frame cap is the server's limit
    const postsBefore = shared.sim.state.counters.posts;
    const connectionsBefore = shared.sim.state.counters.connections;
    const input = ndjson("oversized.ndjson", [
      { ric: "TRCCTEST01", fields: { BID: 1 } },
      { ric: "TRCCTEST03", fields: { DSPLY_NAME: "x".repeat(limit + 1) } },
      { ric: "TRCCTEST02", fields: { BID: 2 } },
    ]);
    const result = await runCli(["contribute", input, ...simFlags(shared.sim), "--json", "--no-progress"], {
      env: simEnv(shared.sim),
    });
    expect(result.code, result.stderr).toBe(1); // bad input
    expect(failedRowLines(result.stderr)).toEqual([
      `rcc: row 2 (TRCCTEST03): post to TRCCTEST03 is larger than maxFrameBytes (${limit})`,
    ]);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary).toMatchObject({ rows: 3, acked: 2, invalidRows: 1 });
    expect(summary.rowNumbers.invalid).toEqual([2]);
    // Refused before sending: the server saw the two other rows on one connection, which it did not have to close.
    expect(shared.sim.state.counters.posts - postsBefore).toBe(2);
    expect(shared.sim.state.counters.connections - connectionsBefore).toBe(1);
  });

  it("with failures of every kind, prints the first 20 with their row numbers, then how many more; --json lists each category's rows", async () => {
    shared.sim.faults.add({ type: "drop-acks", ric: "TRCCTEST05" });
    const rows: { ric: string; fields: Record<string, unknown> }[] = [];
    const expected = { nak: [] as number[], error: [] as number[], timeout: [] as number[], invalid: [] as number[] };
    for (let index = 0; index < 40; index++) {
      const row = index + 1;
      switch (index % 5) {
        case 0:
          rows.push({ ric: "TRCCTEST01", fields: { BID: index } });
          break;
        case 1:
          rows.push({ ric: "NOT.A.RIC", fields: { BID: index } });
          expected.nak.push(row);
          break;
        case 2:
          rows.push({ ric: "TRCCTEST02", fields: { NOSUCHFIELD: index } });
          expected.error.push(row);
          break;
        case 3:
          rows.push({ ric: "TRCCTEST05", fields: { BID: index } });
          expected.timeout.push(row);
          break;
        default:
          rows.push({ ric: "TRCCTEST03", fields: { DSPLY_NAME: "x".repeat(70 * 1024) } });
          expected.invalid.push(row);
      }
    }
    const input = ndjson("every-kind.ndjson", rows);
    const result = await runCli(
      ["contribute", input, ...simFlags(shared.sim), "--ack-timeout", "300", "--json", "--no-progress"],
      { env: simEnv(shared.sim) },
    );
    expect(result.code, result.stderr).toBe(5); // the worst outcome: an Ack timeout
    const shown = failedRowLines(result.stderr);
    expect(shown).toHaveLength(20);
    const failing = new Set(Object.values(expected).flat());
    for (const line of shown) {
      const match = /^rcc: row (\d+) \(([^)]+)\): (.*)$/.exec(line);
      expect(match, line).not.toBeNull();
      const [, row, ric, what] = match!;
      expect(failing.has(Number(row)), line).toBe(true);
      expect(ric).toBe(rows[Number(row) - 1]!.ric);
      expect(what).toMatch(
        /^(Nak SymbolUnknown: Symbol unknown|content Error: JSON Unexpected FID\. .*|no Ack in time|post to TRCCTEST03 is larger than maxFrameBytes \(61440\))$/,
      );
    }
    expect(new Set(shown).size).toBe(20);
    expect(result.stderr).toContain(`rcc: … ${failing.size - 20} more, use --report FILE to list them all\n`);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary).toMatchObject({ rows: 40, acked: 8, naked: 8, contentErrors: 8, timeouts: 8, invalidRows: 8 });
    for (const kind of ["nak", "error", "timeout", "invalid"] as const) {
      expect(sorted(summary.rowNumbers[kind]), kind).toEqual(expected[kind]);
    }
  });
});
