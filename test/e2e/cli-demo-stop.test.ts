/**
 * `rcc demo` when it does not simply run to `--count`: SIGTERM and SIGHUP stop it as Ctrl+C does (summary, Login
 * Close, exit 0), the first signal waits for the Acks of posts on the wire only up to `--drain-timeout`, a second
 * one stops that wait and still prints the summary (exit 130), and a connection that stays away for
 * `--reconnect-for` ends the demo with exit 4, its summary and one line naming the cause.
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

/** The Login Closes the simulator recorded. */
function loginCloses(sim: RunningSimulator): number {
  return sim.state.recordedMessages.toArray().filter((entry) => {
    const message = entry.message as { Type?: string; Domain?: string };
    return message.Type === "Close" && message.Domain === "Login";
  }).length;
}

/** The events of a `--json` run: one object per stdout line. */
function jsonEvents(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The `"event":"outcome"` lines of a `--json` run, counted by outcome. */
function outcomeCounts(events: Record<string, unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    if (event.event !== "outcome") continue;
    const outcome = String(event.outcome);
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

describe("rcc demo, stopped by a signal", () => {
  it.each(["SIGTERM", "SIGHUP"] as const)(
    "%s stops it as Ctrl+C does: says it is stopping, sends the Login Close, prints the summary and exits 0",
    async (signal) => {
      const sim = await simulator();
      const demo = spawnCli(["demo", ...simFlags(sim), "--interval", "0.1"], { env: simEnv(sim) });
      await demo.waitFor(/ ack {3}TRCCTEST01 post 2 /);
      demo.child.kill(signal);
      const result = await demo.exited;
      expect(result.code, result.stderr).toBe(0);
      expect(result.signal).toBeNull();
      expect(result.stdout).toMatch(
        /\nstopping(: waiting for \d+ acks)? \(Ctrl\+C again to abort\)\n(?:.* ack .*\n)*Login Close sent; disconnected\.\n([2-9]|\d\d+) posts: \d+ acked, 0 naked, .* — interrupted\n$/,
      );
      const acked = Number(/\n(\d+) posts: (\d+) acked/.exec(result.stdout)?.[2]);
      expect(acked).toBe(sim.state.counters.acks);
      expect(loginCloses(sim)).toBe(1);
      expect(result.stderr).toBe("");
    },
  );

  it("the first signal waits for the Acks of posts on the wire only up to --drain-timeout, then reports them unknown", async () => {
    const sim = await simulator();
    sim.faults.add({ type: "drop-acks" });
    const demo = spawnCli(["demo", ...simFlags(sim), "--interval", "0.05", "--drain-timeout", "1500", "--json"], {
      env: simEnv(sim),
    });
    await waitFor(() => sim.state.contributions().length >= 3, 15_000, "three posts at the simulator", 25);
    const signalledAt = Date.now(); // the drain starts after this, so it cannot end sooner than 1.5 s from here
    demo.child.kill("SIGINT");
    await demo.waitFor(/"message":"stopping: waiting for \d+ acks \(Ctrl\+C again to abort\)"/, 3_000);
    const waiting = Number(/stopping: waiting for (\d+) acks/.exec(demo.stdout)?.[1]);
    expect(waiting).toBeGreaterThanOrEqual(3);
    const result = await demo.exited;
    const drained = Date.now() - signalledAt;
    // The wait is the drain bound, not the 15 s Ack timeout: no Ack ever comes.
    expect(drained).toBeGreaterThanOrEqual(1_500);
    expect(drained).toBeLessThan(6_000);
    // Posts without an outcome are a failed run: the documented exit code of "the session was lost" (4).
    expect(result.code, result.stderr).toBe(4);
    const events = jsonEvents(result.stdout);
    const summary = events.at(-1);
    expect(summary).toMatchObject({ event: "summary", acked: 0, unknown: waiting, interrupted: true });
    expect(outcomeCounts(events).unknown).toBe(waiting);
    expect(events.some((event) => event.message === "Login Close sent; disconnected.")).toBe(true);
  });

  it("a second signal during the drain stops waiting at once, still prints the summary, and exits 130", async () => {
    const sim = await simulator();
    sim.faults.add({ type: "drop-acks" });
    const demo = spawnCli(["demo", ...simFlags(sim), "--interval", "0.05", "--drain-timeout", "60000", "--json"], {
      env: simEnv(sim),
      timeoutMs: 30_000,
    });
    await waitFor(() => sim.state.contributions().length >= 3, 15_000, "three posts at the simulator", 25);
    demo.child.kill("SIGINT");
    await demo.waitFor(/"message":"stopping: waiting for \d+ acks \(Ctrl\+C again to abort\)"/, 3_000);
    const waiting = Number(/stopping: waiting for (\d+) acks/.exec(demo.stdout)?.[1]);
    expect(waiting).toBeGreaterThanOrEqual(3);
    const abortedAt = Date.now();
    demo.child.kill("SIGINT");
    const result = await demo.exited;
    expect(Date.now() - abortedAt).toBeLessThan(3_000);
    expect(result.code, result.stderr).toBe(130);
    const events = jsonEvents(result.stdout);
    expect(events.some((event) => event.message === "aborting: not waiting for acks")).toBe(true);
    const summary = events.at(-1);
    expect(summary).toMatchObject({ event: "summary", acked: 0, unknown: waiting, interrupted: true });
    // Every post the demo made has its outcome line: those on the wire unknown, any still queued not sent.
    const counts = outcomeCounts(events);
    expect(counts.unknown).toBe(waiting);
    expect((counts.unknown ?? 0) + (counts["not-sent"] ?? 0)).toBe(summary?.posts);
    expect(result.stderr).toBe("");
  });
});

describe("rcc demo, when the connection stays away", () => {
  it("stopped while reconnecting, says that no Login Close could be sent, not that one was", async () => {
    const sim = await simulator();
    const demo = spawnCli(["demo", ...simFlags(sim), "--interval", "0.2"], { env: simEnv(sim) });
    await demo.waitFor(/ ack {3}TRCCTEST01 post 2 /);
    await sim.stopListener(0);
    await demo.waitFor(/connection lost \(.*\); reconnecting in [\d.]+ s \(attempt 1\)/, 5_000);
    demo.child.kill("SIGINT");
    const result = await demo.exited;
    expect(result.stdout).toContain("disconnected (not logged in: no Login Close to send).");
    expect(result.stdout).not.toContain("Login Close sent");
    expect(result.stdout).toMatch(/posts: .* — interrupted\n$/);
  });

  it("reconnects for --reconnect-for, then prints its summary and exits 4 with one line naming the cause", async () => {
    const sim = await simulator();
    const demo = spawnCli(["demo", ...simFlags(sim), "--interval", "0.2", "--reconnect-for", "1500"], {
      env: simEnv(sim),
    });
    await demo.waitFor(/ ack {3}TRCCTEST01 post 2 /);
    await sim.stopListener(0);
    const stoppedAt = Date.now();
    await demo.waitFor(/connection lost \(.*\); reconnecting in [\d.]+ s \(attempt 1\)/, 5_000);
    const result = await demo.exited;
    // The bound, plus the last attempt and the close: well within a few seconds of it.
    expect(Date.now() - stoppedAt).toBeLessThan(1_500 + 3_000);
    expect(result.code).toBe(4);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("rcc: "));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^rcc: could not connect: gave up reconnecting after \d+(\.\d)? s \(\d+ attempts\): .*ECONNREFUSED.* — check --url and the network$/,
    );
    const downSeconds = Number(/gave up reconnecting after ([\d.]+) s/.exec(errors[0] ?? "")?.[1]);
    expect(downSeconds).toBeGreaterThanOrEqual(1.5);
    expect(downSeconds).toBeLessThan(4);
    // The summary still comes, not marked interrupted; the posts made while down were never sent.
    expect(result.stdout).toMatch(/\n\d+ posts: [2-9]\d* acked, 0 naked, .* not sent.* in [\d.]+ s \(latency .*\)\n$/);
    expect(result.stdout).not.toContain("— interrupted");
  });
});
