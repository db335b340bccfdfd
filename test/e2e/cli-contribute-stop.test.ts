/**
 * `rcc contribute` when a run does not simply finish: a signal at a slow rate limit (SIGINT, SIGTERM, SIGHUP)
 * stops sending within the drain bound, a second signal aborts, SIGKILL leaves whole report lines, `--resume`
 * sends only what has no final outcome, and a server restart mid-run is waited out. In every case each input
 * row has exactly one line in the report.
 */
import { readFileSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { runCli, simEnv, simFlags, spawnCli, stopAllCli, tempFiles } from "../helpers/cli.js";
import { passwordGrant } from "../helpers/auth.js";
import { waitFor } from "../helpers/wait-for.js";

const simulators: RunningSimulator[] = [];
const files = tempFiles();

afterEach(async () => {
  await stopAllCli();
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});
afterAll(() => files.remove());

async function simulator(maxMessagesPerSecond = 1000): Promise<RunningSimulator> {
  const sim = await startSimulator({ maxMessagesPerSecond });
  simulators.push(sim);
  return sim;
}

/** A CSV of `rows` rows over 9 RICs (rows are numbered from 2: line 1 is the header). */
function csvFile(name: string, rows: number): string {
  const lines = ["RIC,BID"];
  for (let row = 0; row < rows; row++) lines.push(`TRCCTEST${String(row % 9).padStart(2, "0")},${row}`);
  return files.write(name, `${lines.join("\n")}\n`);
}

interface ReportLine {
  row: number;
  ric?: string;
  outcome: string;
  postId?: number;
  into?: number;
  text?: string;
}

/** Every line of a report, parsed (a line that is not whole JSON fails the test). */
function reportLines(path: string): ReportLine[] {
  const text = readFileSync(path, "utf8");
  expect(text === "" || text.endsWith("\n")).toBe(true);
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as ReportLine);
}

function countBy(lines: ReportLine[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) counts[line.outcome] = (counts[line.outcome] ?? 0) + 1;
  return counts;
}

/** Rows 2 … rows + 1, each exactly once. */
function expectEveryRowOnce(lines: ReportLine[], rows: number): void {
  const numbers = lines.map((line) => line.row).sort((a, b) => a - b);
  expect(numbers).toEqual(Array.from({ length: rows }, (_, index) => index + 2));
}

describe("rcc contribute, stopped by a signal", () => {
  it.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)(
    "%s at a 50 msg/s limit: stops sending at once, waits only for posts on the wire, one report line per row, prints the resume command",
    async (signal) => {
      const sim = await simulator(50);
      const input = csvFile(`stop-${signal}.csv`, 3_000);
      const report = `${files.dir}/stop-${signal}.ndjson`;
      const run = spawnCli(["contribute", input, ...simFlags(sim), "--report", report, "--json"], {
        env: simEnv(sim),
        timeoutMs: 30_000,
      });
      await waitFor(() => sim.state.counters.acks >= 40, 15_000, "a second of posts acknowledged", 25);
      const signalledAt = Date.now();
      run.child.kill(signal);
      await run.waitFor(/stopping/, 3_000);
      expect(run.stderr).toMatch(/stopping(: waiting for \d+ acks)? \(Ctrl\+C again to abort\)/);
      const result = await run.exited;
      // Well within the 10 s drain bound: nothing queued is sent after the signal.
      expect(Date.now() - signalledAt).toBeLessThan(5_000);
      expect(result.code).toBe(130);
      const summary = JSON.parse(result.stdout) as Record<string, number | boolean>;
      expect(summary).toMatchObject({ rows: 3_000, interrupted: true });
      const lines = reportLines(report);
      expectEveryRowOnce(lines, 3_000);
      const counts = countBy(lines);
      // Every post the server acknowledged is reported acked; the rest were never sent.
      expect(counts.ack).toBe(sim.state.counters.acks);
      expect((counts.ack ?? 0) + (counts["not-sent"] ?? 0) + (counts.unknown ?? 0)).toBe(3_000);
      expect(counts["not-sent"]).toBeGreaterThan(2_000);
      expect(summary.acked).toBe(counts.ack);
      expect(summary.notSent).toBe(counts["not-sent"]);
      expect(result.stderr).toContain(`rcc contribute ${input} --resume ${report}`);
    },
    40_000,
  );

  it("a second Ctrl+C aborts the wait for Acks: posts on the wire are reported unknown, and the report and summary are still written", async () => {
    const sim = await simulator(50);
    sim.faults.add({ type: "drop-acks" });
    const input = csvFile("abort.csv", 500);
    const report = `${files.dir}/abort.ndjson`;
    const run = spawnCli(["contribute", input, ...simFlags(sim), "--report", report, "--drain-timeout", "60000"], {
      env: simEnv(sim),
      timeoutMs: 30_000,
    });
    await waitFor(() => sim.state.contributions().length >= 20, 15_000, "posts at the simulator", 25);
    run.child.kill("SIGINT");
    await run.waitFor(/stopping: waiting for \d+ acks \(Ctrl\+C again to abort\)/, 3_000);
    const waiting = Number(/waiting for (\d+) acks/.exec(run.stderr)?.[1]);
    expect(waiting).toBeGreaterThan(0);
    const abortedAt = Date.now();
    run.child.kill("SIGINT");
    const result = await run.exited;
    expect(Date.now() - abortedAt).toBeLessThan(3_000);
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/^500 rows: 0 acked, .* unknown \(sent, no Ack\).* — interrupted\n$/);
    const lines = reportLines(report);
    expectEveryRowOnce(lines, 500);
    const unknown = lines.filter((line) => line.outcome === "unknown");
    expect(unknown.length).toBe(waiting);
    expect(unknown[0]?.text).toMatch(/^sent as post \d+ on connection 1; the server may have applied it$/);
    expect(countBy(lines)["not-sent"]).toBe(500 - waiting);
  }, 40_000);

  it("SIGKILL mid-run leaves only whole report lines; --resume then sends exactly the rows without a final outcome", async () => {
    const sim = await simulator(200);
    const input = csvFile("kill.csv", 1_000);
    const report = `${files.dir}/kill.ndjson`;
    const run = spawnCli(["contribute", input, ...simFlags(sim), "--report", report], {
      env: simEnv(sim),
      timeoutMs: 30_000,
    });
    await waitFor(() => sim.state.counters.acks >= 300, 15_000, "300 posts acknowledged", 25);
    run.child.kill("SIGKILL");
    await run.exited;
    const before = reportLines(report);
    const rows = new Set(before.map((line) => line.row));
    expect(rows.size).toBe(before.length); // no row twice
    expect(before.every((line) => line.outcome === "ack")).toBe(true);
    // The report holds what was settled; at most the Acks still unread at the kill are missing from it.
    const ackedAtKill = sim.state.counters.acks;
    expect(before.length).toBeGreaterThan(250);
    expect(before.length).toBeLessThanOrEqual(ackedAtKill);

    const resumed = await runCli(["contribute", input, ...simFlags(sim), "--resume", report, "--json"], {
      env: simEnv(sim),
      timeoutMs: 30_000,
    });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ rows: 1_000, skipped: before.length });
    const after = reportLines(report);
    expect(after.slice(0, before.length)).toEqual(before); // appended, not rewritten
    expectEveryRowOnce(after, 1_000);
    expect(after.every((line) => line.outcome === "ack")).toBe(true);
    // The resumed run sent only the rows the first one had not settled.
    expect(sim.state.counters.acks - ackedAtKill).toBe(1_000 - before.length);
  }, 60_000);

  it("--resume after an interrupted run sends only the not-sent rows and leaves every row acknowledged once", async () => {
    const sim = await simulator(100);
    const input = csvFile("resume.csv", 600);
    const report = `${files.dir}/resume.ndjson`;
    const first = spawnCli(["contribute", input, ...simFlags(sim), "--report", report], {
      env: simEnv(sim),
      timeoutMs: 30_000,
    });
    await waitFor(() => sim.state.counters.acks >= 100, 15_000, "100 posts acknowledged", 25);
    first.child.kill("SIGINT");
    expect((await first.exited).code).toBe(130);
    const acksAfterFirst = sim.state.counters.acks;
    const resumed = await runCli(["contribute", input, ...simFlags(sim), "--resume", report], {
      env: simEnv(sim),
      timeoutMs: 30_000,
    });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^600 rows: ${600 - acksAfterFirst} acked, .*${acksAfterFirst} skipped`));
    expect(sim.state.counters.acks).toBe(600);
    const last = new Map<number, string>();
    for (const line of reportLines(report)) last.set(line.row, line.outcome);
    expect(last.size).toBe(600);
    expect([...last.values()].every((outcome) => outcome === "ack")).toBe(true);
  }, 60_000);

  it("--resume refuses a file that is not a report, naming the line", async () => {
    const input = csvFile("resume-bad.csv", 3);
    const bad = files.write("not-a-report.ndjson", '{"row":2,"outcome":"ack"}\nhello\n{"row":3,"outcome":"ack"}\n');
    const result = await runCli(["contribute", input, "--dry-run", "--resume", bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `rcc: --resume: line 2 of '${bad}' is not a report record (expected {"row": N, "outcome": …})\n`,
    );
  });
});

describe("rcc contribute through a server restart", () => {
  it("waits out a few seconds of RCC being down, its token revoked meanwhile: the run gets a new token and completes, every row acked once", async () => {
    const sim = await simulator(200);
    const input = csvFile("restart.csv", 1_000);
    const report = `${files.dir}/restart.ndjson`;
    const run = spawnCli(["contribute", input, ...simFlags(sim), "--report", report, "--json"], {
      env: simEnv(sim),
      timeoutMs: 45_000,
    });
    await waitFor(() => sim.state.counters.acks >= 200, 15_000, "200 posts acknowledged", 25);
    await sim.stopListener(0);
    // Another sign-on of the machine ID (exclusive) revokes the run's token: its first Login after the restart
    // is refused, which must mean "get a new token", not "give up".
    await passwordGrant(sim.authUrl, sim.accounts[0]!);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the outage being survived is real time
    const grantsBefore = sim.state.counters.tokensIssued;
    await sim.startListener(0);
    const result = await run.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(sim.state.counters.tokensIssued).toBeGreaterThan(grantsBefore);
    expect(sim.state.counters.loginRejections).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 1_000, acked: 1_000, failed: 0, notSent: 0 });
    const lines = reportLines(report);
    expectEveryRowOnce(lines, 1_000);
    expect(countBy(lines)).toEqual({ ack: 1_000 });
  }, 60_000);
});

describe("rcc contribute at a low rate limit", () => {
  it("--ack-timeout starts when a row is sent: 600 rows at 200 msg/s with a 1 s Ack timeout are all acked (3 s of queue, no row timed out unsent)", async () => {
    const sim = await simulator(200);
    const input = csvFile("slow.csv", 600);
    const report = `${files.dir}/slow.ndjson`;
    const result = await runCli(
      ["contribute", input, ...simFlags(sim), "--ack-timeout", "1000", "--report", report, "--json"],
      { env: simEnv(sim), timeoutMs: 30_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 600, acked: 600, timeouts: 0 });
    expect(countBy(reportLines(report))).toEqual({ ack: 600 });
  }, 40_000);
});

describe("rcc contribute, failures a user must see", () => {
  it("prints the first 20 failed rows on stderr with their row numbers, then how many more; --json lists the row numbers", async () => {
    const sim = await simulator();
    const lines = ["RIC,BID"];
    for (let row = 0; row < 30; row++) lines.push(row % 2 === 0 ? `NOT.A.RIC,${row}` : `TRCCTEST01,${row}`);
    const input = files.write("naks.csv", `${lines.join("\n")}\n`);
    const result = await runCli(["contribute", input, ...simFlags(sim), "--json", "--no-progress"], {
      env: simEnv(sim),
    });
    expect(result.code).toBe(2);
    const shown = result.stderr.split("\n").filter((line) => / Nak SymbolUnknown/.test(line));
    expect(shown).toHaveLength(15);
    expect(shown[0]).toBe("rcc: row 2 (NOT.A.RIC): Nak SymbolUnknown: Symbol unknown");
    const summary = JSON.parse(result.stdout) as { rowNumbers: { nak: number[] }; naked: number };
    expect(summary.naked).toBe(15);
    expect([...summary.rowNumbers.nak].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 15 }, (_, index) => 2 + index * 2),
    );

    const many = ["RIC,BID", ...Array.from({ length: 25 }, (_, row) => `NOT.A.RIC,${row}`)];
    const report = `${files.dir}/many-naks.ndjson`;
    const more = await runCli(
      ["contribute", files.write("many.csv", `${many.join("\n")}\n`), ...simFlags(sim), "--report", report],
      { env: simEnv(sim) },
    );
    const moreLines = more.stderr.split("\n").filter((line) => line.startsWith("rcc: "));
    expect(moreLines.filter((line) => line.includes("Nak SymbolUnknown"))).toHaveLength(20);
    expect(moreLines).toContain(`rcc: … 5 more, see ${report}`);
  });

  it("--dry-run checks the frame size too: a row too large for one frame is invalid before anything is sent", async () => {
    const huge = "x".repeat(70 * 1024);
    const input = files.write(
      "huge.ndjson",
      `{"ric":"TRCCTEST01","fields":{"DSPLY_NAME":"${huge}"}}\n{"ric":"TRCCTEST02","fields":{"BID":1}}\n`,
    );
    const result = await runCli(["contribute", input, "--dry-run", "--json"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^rcc: row 1 \(TRCCTEST01\): post to TRCCTEST01 is larger than maxFrameBytes \(\d+\)\n/,
    );
    expect(JSON.parse(result.stdout)).toMatchObject({
      rows: 2,
      valid: 1,
      invalidRows: 1,
      rowNumbers: { invalid: [1] },
    });
  });

  it("--dry-run rejects non-numbers in numeric fields, and a number too large to be finite", async () => {
    const input = files.write(
      "numbers.ndjson",
      [
        '{"ric":"TRCCTEST01","fields":{"BID":1e999}}',
        '{"ric":"TRCCTEST01","fields":{"BIDSIZE":"Infinity"}}',
        '{"ric":"TRCCTEST01","fields":{"BID":"NaN"}}',
      ].join("\n"),
    );
    const result = await runCli(["contribute", input, "--dry-run", "--json"]);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as { rowNumbers: { invalid: number[] }; valid: number };
    // Row 3: "NaN" is a Real's documented special value (docs/protocol.md), so it passes.
    expect(summary.rowNumbers.invalid).toEqual([1, 2]);
    expect(summary.valid).toBe(1);
  });

  it("--report - writes the report on stdout and the summary on stderr", async () => {
    const sim = await simulator();
    const input = files.write("to-stdout.csv", "RIC,BID\nTRCCTEST01,1\nTRCCTEST02,2\n");
    const result = await runCli(["contribute", input, ...simFlags(sim), "--report", "-", "--no-progress"], {
      env: simEnv(sim),
    });
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as ReportLine);
    expect(lines.map((line) => [line.row, line.outcome]).sort()).toEqual([
      [2, "ack"],
      [3, "ack"],
    ]);
    expect(result.stderr).toMatch(/^2 rows: 2 acked/m);
  });

  it("--conflate reports a row merged into a later one as conflated with the row it went into", async () => {
    const sim = await simulator(5);
    const lines = ["RIC,BID", ...Array.from({ length: 30 }, (_, row) => `TRCCTEST01,${row}`)];
    const input = files.write("conflate.csv", `${lines.join("\n")}\n`);
    const report = `${files.dir}/conflate.ndjson`;
    const result = await runCli(["contribute", input, ...simFlags(sim), "--conflate", "--report", report, "--json"], {
      env: simEnv(sim),
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(0);
    const report_ = reportLines(report);
    expectEveryRowOnce(report_, 30);
    const conflated = report_.filter((line) => line.outcome === "conflated");
    const acked = report_.filter((line) => line.outcome === "ack");
    expect(conflated.length).toBeGreaterThan(0);
    expect(acked.length + conflated.length).toBe(30);
    // Each merged row points to a later row, and the rows merged into end at an acknowledged one.
    const byRow = new Map(report_.map((line) => [line.row, line]));
    for (const line of conflated) {
      expect(line.into).toBeGreaterThan(line.row);
      let target = byRow.get(line.into!);
      while (target?.outcome === "conflated") target = byRow.get(target.into!);
      expect(target?.outcome).toBe("ack");
    }
    expect(acked.length).toBe(sim.state.counters.acks);
    expect(sim.state.rics.get("TRCCTEST01")?.fields).toMatchObject({ BID: 29 });
    expect(JSON.parse(result.stdout)).toMatchObject({ conflated: conflated.length, acked: acked.length });
  }, 40_000);
});
