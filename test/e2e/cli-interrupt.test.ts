/**
 * How `rcc contribute` ends early: Ctrl+C (SIGINT) on a slow input stops reading, lets the posts already sent
 * settle, sends the Login Close and exits 130; a session that cannot be re-established exits 4 with one line.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { simEnv, simFlags, spawnCli, stopAllCli } from "../helpers/cli.js";

const simulators: RunningSimulator[] = [];

afterEach(async () => {
  await stopAllCli();
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});

async function simulator(): Promise<RunningSimulator> {
  const sim = await startSimulator();
  simulators.push(sim);
  return sim;
}

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("rcc contribute, ended early", () => {
  it("exits 130 on SIGINT during a slow input, after the sent rows settle and a Login Close", async () => {
    const sim = await simulator();
    const contribute = spawnCli(["contribute", "-", ...simFlags(sim), "--format", "csv", "--json"], {
      env: simEnv(sim),
    });
    contribute.child.stdin?.write("RIC,BID\nTRCCTEST01,1\nTRCCTEST02,2\n");
    await until(() => sim.state.contributions().length === 2, "two rows at the simulator");
    contribute.child.kill("SIGINT");
    const result = await contribute.exited;
    expect(result.code).toBe(130);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 2, acked: 2, interrupted: true });
    const messages = sim.state.recordedMessages.toArray().map((entry) => entry.message);
    expect(messages.at(-1)).toEqual({ ID: 1, Type: "Close", Domain: "Login" });
  });

  it("exits 4 with one clear line when the RCC endpoint goes away for good", async () => {
    const sim = await simulator();
    const contribute = spawnCli(["contribute", "-", ...simFlags(sim), "--format", "ndjson"], { env: simEnv(sim) });
    contribute.child.stdin?.write('{"ric":"TRCCTEST01","fields":{"BID":1}}\n');
    await until(() => sim.state.contributions().length === 1, "the first row at the simulator");
    await sim.stopListener(0);
    const result = await contribute.exited;
    expect(result.code).toBe(4);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("rcc: "));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^rcc: could not connect: gave up reconnecting after \d+ attempts: .*ECONNREFUSED/);
    expect(result.stdout).toMatch(/^1 rows: 1 acked/);
  });
});
