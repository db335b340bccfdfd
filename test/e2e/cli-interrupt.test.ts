/**
 * How `rcc contribute` ends early: Ctrl+C (SIGINT) on a slow input stops reading, lets the posts already sent
 * settle, sends the Login Close and exits 130; a session that cannot be re-established exits 4 with one line.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { simEnv, simFlags, spawnCli, stopAllCli } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait-for.js";

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

describe("rcc contribute, ended early", () => {
  it("exits 130 on SIGINT during a slow input, after the sent rows settle and a Login Close", async () => {
    const sim = await simulator();
    const contribute = spawnCli(["contribute", "-", ...simFlags(sim), "--format", "csv", "--json"], {
      env: simEnv(sim),
    });
    contribute.child.stdin?.write("RIC,BID\nTRCCTEST01,1\nTRCCTEST02,2\n");
    await waitFor(() => sim.state.contributions().length === 2, 15_000, "two rows at the simulator", 25);
    contribute.child.kill("SIGINT");
    const result = await contribute.exited;
    expect(result.code).toBe(130);
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 2, acked: 2, interrupted: true });
    const messages = sim.state.recordedMessages.toArray().map((entry) => entry.message);
    expect(messages.at(-1)).toEqual({ ID: 1, Type: "Close", Domain: "Login" });
  });

  it("exits 4 with one clear line when the RCC endpoint stays away for --reconnect-for", async () => {
    const sim = await simulator();
    const contribute = spawnCli(
      ["contribute", "-", ...simFlags(sim), "--format", "ndjson", "--reconnect-for", "1500"],
      { env: simEnv(sim) },
    );
    contribute.child.stdin?.write('{"ric":"TRCCTEST01","fields":{"BID":1}}\n');
    await waitFor(() => sim.state.contributions().length === 1, 15_000, "the first row at the simulator", 25);
    await sim.stopListener(0);
    const result = await contribute.exited;
    expect(result.code).toBe(4);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("rcc: "));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^rcc: could not connect: gave up reconnecting after 1\.\d s \(\d+ attempts\): .*ECONNREFUSED/,
    );
    expect(result.stdout).toMatch(/^1 rows: 1 acked/);
  });
});
