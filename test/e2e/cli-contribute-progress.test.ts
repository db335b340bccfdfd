/**
 * The progress line of `rcc contribute` is honest about what reached the server: `sent` counts posts written to
 * the socket, not rows read and queued behind the rate limit. Checked against the real simulator, which counts
 * what it received: a file of thousands of rows is read (and handed to the contributor) within a second, while
 * at 100 msg/s only a hundred a second can go out.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { simEnv, simFlags, spawnCli, stopAllCli, tempFiles } from "../helpers/cli.js";

const simulators: RunningSimulator[] = [];
const files = tempFiles();

afterEach(async () => {
  await stopAllCli();
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});
afterAll(() => files.remove());

/** One progress line as printed, with what the simulator had received when the test read it. */
interface Sample {
  line: string;
  sent: number;
  acked: number;
  inFlight: number;
  /** Posts the simulator had received when the line reached the test. */
  received: number;
}

function count(line: string, name: string): number {
  const match = new RegExp(`(?:^|  )${name} (\\d+)(?:  |$)`).exec(line);
  if (match === null) throw new Error(`no "${name}" in progress line: ${line}`);
  return Number(match[1]);
}

describe("rcc contribute progress", () => {
  it("§3.4: `sent` counts posts written to the socket, never rows queued behind the rate limit: 3,000 rows at 100 msg/s", async () => {
    const rate = 100;
    const rows = 3_000;
    const sim = await startSimulator({ maxMessagesPerSecond: rate });
    simulators.push(sim);
    const lines = ["RIC,BID"];
    for (let row = 0; row < rows; row++) lines.push(`TRCCTEST${String(row % 9).padStart(2, "0")},${row}`);
    const input = files.write("progress.csv", `${lines.join("\n")}\n`);

    const run = spawnCli(["contribute", input, ...simFlags(sim), "--json"], { env: simEnv(sim), timeoutMs: 30_000 });
    // stderr is a pipe, not a terminal: one plain "progress:" line at the start, then one every 5 s. Each is
    // matched with the simulator's count at the moment the test reads it (the simulator runs in this process).
    const samples: Sample[] = [];
    let pending = "";
    run.child.stderr?.on("data", (chunk: string) => {
      pending += chunk;
      const complete = pending.split("\n");
      pending = complete.pop() ?? "";
      for (const line of complete) {
        if (!line.startsWith("progress: ")) continue;
        samples.push({
          line,
          sent: count(line, "sent"),
          acked: count(line, "acked"),
          inFlight: count(line, "in flight"),
          received: sim.state.counters.posts,
        });
      }
    });
    // The line after 5 s of sending: by then every row has been read and handed over (the file is tiny).
    await run.waitFor(/progress: .*elapsed [5-9]s/, 15_000);
    run.child.kill("SIGINT");
    const result = await run.exited;
    expect(result.code, result.stderr).toBe(130);

    const during = samples.slice(0, -1); // the last line is drawn after the stop, once everything settled
    expect(during.length, result.stderr).toBeGreaterThanOrEqual(2);
    for (const sample of during) {
      // Written means received, give or take what was on its way: at most one second of the rate limit.
      expect(sample.sent, sample.line).toBeLessThanOrEqual(sample.received + rate);
      expect(sample.inFlight, sample.line).toBeLessThanOrEqual(sample.sent - sample.acked);
    }
    const fiveSeconds = during.at(-1)!;
    // About 5 s × 100/s went out; counting queued rows would show (nearly) all 3,000.
    expect(fiveSeconds.sent, fiveSeconds.line).toBeGreaterThan(rate);
    expect(fiveSeconds.sent, fiveSeconds.line).toBeLessThan(rows / 3);

    // After the stop nothing is on its way: the last line's `sent` is exactly what the server received and
    // acknowledged, and every other row is reported never sent.
    const last = samples.at(-1)!;
    expect(last.sent, last.line).toBe(sim.state.counters.posts);
    const summary = JSON.parse(result.stdout) as { rows: number; acked: number; notSent: number; unknown: number };
    expect(summary).toMatchObject({ rows, acked: last.sent, notSent: rows - last.sent, unknown: 0 });
    expect(last.line).toContain(`acked ${last.sent}  naked 0  errors ${rows - last.sent}  in flight 0`);
  }, 40_000);
});
