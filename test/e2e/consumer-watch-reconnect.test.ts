/**
 * `rcc watch` (the built CLI as a child process) keeps watching through what the session heals: a dropped
 * connection, "System busy" (§2.6) and a token refresh (§2.4). It says so on stderr, requests its items again
 * after a reconnect, prints item lines before and after, and still closes the streams and the Login on Ctrl+C,
 * exiting 0. Output goes to a pipe, so the lines are NDJSON.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type CliProcess, simEnv, simFlags, spawnCli, stopAllCli } from "../helpers/cli.js";
import { loginRaw, post, type RawClient, useSimulators } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";
import type { RunningSimulator } from "../../src/simulator/index.js";

const simulator = useSimulators();
afterEach(stopAllCli);

/** The NDJSON lines printed so far. */
function lines(watch: CliProcess): Record<string, any>[] {
  return watch.stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** Resolves once `predicate` holds; rejects after `timeoutMs`, or when the child exits first, with what it printed. */
async function until(watch: CliProcess, predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const printed = (): string => `${what}\nstdout: ${watch.stdout}\nstderr: ${watch.stderr}`;
  await waitFor(() => predicate() || watch.child.exitCode !== null, timeoutMs, printed, 25);
  if (!predicate()) throw new Error(`no ${printed()}\n(exited with ${watch.child.exitCode})`);
}

const refreshesOf = (watch: CliProcess, ric: string): number =>
  lines(watch).filter((line) => line.type === "Refresh" && line.ric === ric).length;

/** Contributes `bid` to `ric` from a raw connection and waits for the watcher's Update line showing it. */
async function contributeAndSee(watch: CliProcess, poster: RawClient, postId: number, ric: string, bid: number) {
  poster.send(post(postId, ric, { BID: bid }));
  await until(
    watch,
    () => lines(watch).some((line) => line.type === "Update" && line.ric === ric && line.fields?.BID === bid),
    `Update with BID ${bid}`,
  );
}

/** Starts `rcc watch TRCCTEST01 TRCCTEST02` on `sim` with a token login and waits for both images. */
async function watching(sim: RunningSimulator): Promise<{ watch: CliProcess; poster: RawClient; watcherId: string }> {
  // The poster logs in first: a later password grant for the same account would revoke the watcher's tokens.
  const poster = (await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!)).client;
  const before = new Set(sim.state.connections.keys());
  const watch = spawnCli(["watch", "TRCCTEST01", "TRCCTEST02", ...simFlags(sim)], {
    env: simEnv(sim),
    timeoutMs: 30_000,
  });
  await until(watch, () => refreshesOf(watch, "TRCCTEST01") === 1 && refreshesOf(watch, "TRCCTEST02") === 1, "images");
  const watcherId = [...sim.state.connections.keys()].find((id) => !before.has(id))!;
  return { watch, poster, watcherId };
}

/** The status lines saying the connection was lost. */
const losses = (watch: CliProcess): string[] =>
  watch.stderr.split("\n").filter((line) => line.includes("connection lost"));

/** Ctrl+C: exit 0 after closing both item streams and the Login. */
async function interrupt(watch: CliProcess, sim: RunningSimulator): Promise<void> {
  watch.child.kill("SIGINT");
  const result = await watch.exited;
  expect(result.code).toBe(0);
  const received = sim.state.recordedMessages.toArray().map((entry) => entry.message);
  expect(received).toContainEqual({ ID: 2, Type: "Close" });
  expect(received).toContainEqual({ ID: 3, Type: "Close" });
  expect(received).toContainEqual({ ID: 1, Type: "Close", Domain: "Login" });
  expect(result.stderr).not.toContain(sim.accounts[0]!.password);
}

describe("rcc watch through connection trouble (end to end)", () => {
  it("recovers from a dropped connection: reconnects, requests both items again and keeps printing", async () => {
    const sim = await simulator();
    const { watch, poster, watcherId } = await watching(sim);
    await contributeAndSee(watch, poster, 1, "TRCCTEST01", 1.5);

    sim.faults.add({ type: "disconnect", connection: watcherId });
    await watch.waitFor(/rcc: connection lost: .+; reconnecting in [\d.]+ m?s \(attempt 1\)/);
    await watch.waitFor(/rcc: reconnected to ws:\/\/127\.0\.0\.1:\d+\/WebSocket; re-requested 2 items/);
    await until(
      watch,
      () => refreshesOf(watch, "TRCCTEST01") === 2 && refreshesOf(watch, "TRCCTEST02") === 2,
      "images",
    );
    expect(losses(watch)).toHaveLength(1);
    await contributeAndSee(watch, poster, 2, "TRCCTEST02", 2.5);
    await interrupt(watch, sim);
  });

  it('recovers from "System busy": says so with the server\'s text, logs in again and keeps printing', async () => {
    const sim = await simulator();
    const { watch, poster, watcherId } = await watching(sim);
    await contributeAndSee(watch, poster, 1, "TRCCTEST01", 3);

    sim.faults.add({ type: "system-busy", connection: watcherId });
    await watch.waitFor(/rcc: connection lost: .*System busy.*; reconnecting in .* \(attempt 1\)/);
    await watch.waitFor(/re-requested 2 items/);
    expect(losses(watch)).toHaveLength(1);
    expect(sim.state.counters.logins).toBe(3); // the poster once, the watcher twice
    await contributeAndSee(watch, poster, 2, "TRCCTEST01", 4);
    await interrupt(watch, sim);
  });

  it("keeps its streams through token refreshes (a 2 s token lifetime): re-logs in without reconnecting", async () => {
    const sim = await simulator();
    sim.faults.add({ type: "token-expires-in", seconds: 2 });
    const { watch, poster } = await watching(sim);
    await contributeAndSee(watch, poster, 1, "TRCCTEST01", 5);

    await watch.waitFor(/rcc: token refreshed; logged in again on the open connection/);
    const relogins = () =>
      sim.state.recordedMessages
        .toArray()
        .filter((entry) => (entry.message as Record<string, unknown>).Refresh === false);
    await until(watch, () => relogins().length >= 1, "a Refresh:false Login at the server");
    await contributeAndSee(watch, poster, 2, "TRCCTEST01", 6);
    expect(losses(watch)).toEqual([]);
    expect(refreshesOf(watch, "TRCCTEST01")).toBe(1); // the same stream all along
    await interrupt(watch, sim);
  });
});
