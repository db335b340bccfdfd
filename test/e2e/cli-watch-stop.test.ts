/**
 * How `rcc watch` ends other than by Ctrl+C once watching: SIGHUP is a clean stop as SIGINT and SIGTERM are, a
 * signal while still connecting ends the watch at once (exit 0), and a connection that stays away for
 * `--reconnect-for` ends it with exit 4 and one line naming the cause. Output goes to a pipe: NDJSON.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { muteListener, type MuteListener, simEnv, simFlags, spawnCli, stopAllCli } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait-for.js";

const simulators: RunningSimulator[] = [];
const listeners: MuteListener[] = [];

afterEach(async () => {
  await stopAllCli();
  await Promise.all([...simulators.splice(0).map((sim) => sim.close()), ...listeners.splice(0).map((l) => l.close())]);
});

async function simulator(): Promise<RunningSimulator> {
  const sim = await startSimulator();
  simulators.push(sim);
  return sim;
}

/** What the simulator received, in order. */
function received(sim: RunningSimulator): unknown[] {
  return sim.state.recordedMessages.toArray().map((entry) => entry.message);
}

describe("rcc watch, stopped", () => {
  it("SIGHUP closes the item stream and the Login, then exits 0", async () => {
    const sim = await simulator();
    const watch = spawnCli(["watch", "TRCCTEST01", ...simFlags(sim)], { env: simEnv(sim) });
    await watch.waitFor(/"type":"Refresh","ric":"TRCCTEST01"/);
    watch.child.kill("SIGHUP");
    const result = await watch.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.signal).toBeNull();
    expect(received(sim)).toContainEqual({ ID: 2, Type: "Close" });
    expect(received(sim).at(-1)).toEqual({ ID: 1, Type: "Close", Domain: "Login" });
  });

  it("a signal while still connecting ends the watch at once, with exit 0, not at --connect-timeout", async () => {
    const mute = await muteListener();
    listeners.push(mute);
    const url = `ws://127.0.0.1:${mute.port}/WebSocket`;
    const watch = spawnCli(["watch", "TRCCTEST01", "--url", url, "--login-name", "jdoe", "--connect-timeout", "20000"]);
    await waitFor(() => mute.accepted() >= 1, 10_000, "the watch's connection at the mute listener", 25);
    const signalledAt = Date.now();
    watch.child.kill("SIGTERM");
    const result = await watch.exited;
    expect(Date.now() - signalledAt).toBeLessThan(3_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).not.toMatch(/^rcc: (timed out|could not connect)/m);
  });
});

describe("rcc watch, when the connection stays away", () => {
  it("reconnects for --reconnect-for, then exits 4 with one line naming the cause", async () => {
    const sim = await simulator();
    const watch = spawnCli(["watch", "TRCCTEST01", ...simFlags(sim), "--reconnect-for", "1500"], {
      env: simEnv(sim),
    });
    await watch.waitFor(/"type":"Refresh","ric":"TRCCTEST01"/);
    await sim.stopListener(0);
    const stoppedAt = Date.now();
    await watch.waitFor(/^rcc: connection lost: .+; reconnecting in [\d.]+ m?s \(attempt 1\)$/m, 5_000);
    const result = await watch.exited;
    // The bound, plus the last attempt and the close: well within a few seconds of it.
    expect(Date.now() - stoppedAt).toBeLessThan(1_500 + 3_000);
    expect(result.code).toBe(4);
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    // The reconnect notices, then exactly one error line.
    expect(lines.slice(0, -1).every((line) => /^rcc: connection lost: .*; reconnecting in /.test(line))).toBe(true);
    expect(lines.at(-1)).toMatch(
      /^rcc: could not connect: gave up reconnecting after \d+(\.\d)? s \(\d+ attempts\): .*ECONNREFUSED.* — check --url and the network$/,
    );
    const downSeconds = Number(/gave up reconnecting after ([\d.]+) s/.exec(lines.at(-1) ?? "")?.[1]);
    expect(downSeconds).toBeGreaterThanOrEqual(1.5);
    expect(downSeconds).toBeLessThan(4);
    // What it printed before is still whole NDJSON.
    const printed = result.stdout.trim().split("\n");
    expect(printed.map((line) => (JSON.parse(line) as { type: string }).type)).toContain("Refresh");
  });
});
