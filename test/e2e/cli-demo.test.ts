/**
 * `rcc demo` end to end: on the embedded simulator with no credentials (what `npm start` runs), against a
 * simulator with `--json`, and Ctrl+C (SIGINT) producing a Login Close the simulator sees, then exit 0.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { runCli, simEnv, simFlags, spawnCli, stopAllCli } from "../helpers/cli.js";

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(stopAllCli);
afterAll(async () => {
  await sim.close();
});

/** Login Close messages the simulator recorded, by connection id. */
function loginCloses(): string[] {
  return sim.state.recordedMessages
    .toArray()
    .filter((entry) => {
      const message = entry.message as { Type?: string; Domain?: string };
      return message.Type === "Close" && message.Domain === "Login";
    })
    .map((entry) => entry.connectionId);
}

describe("rcc demo", () => {
  it("runs on the embedded simulator when no credentials or URL are given, saying so and printing its URLs", async () => {
    const result = await runCli(["demo", "--count", "2", "--interval", "0.05"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("No credentials or --url given: running against the embedded RCC simulator.");
    expect(result.stdout).toMatch(/^ {2}token endpoint {2}http:\/\/127\.0\.0\.1:\d+\/auth\/oauth2\/v1\/token$/m);
    expect(result.stdout).toMatch(/^ {2}RCC WebSocket {3}ws:\/\/127\.0\.0\.1:\d+\/WebSocket$/m);
    expect(result.stdout).toMatch(/^ {2}dashboard {7}http:\/\/127\.0\.0\.1:\d+\/$/m);
    expect(result.stdout).toMatch(/logged in to ws:\/\/127\.0\.0\.1:\d+\/WebSocket \(Login accepted by host/);
    const acks = result.stdout.split("\n").filter((line) => / ack {3}TRCCTEST01 post \d+ /.test(line));
    expect(acks).toHaveLength(2);
    expect(acks[0]).toContain("BID=451.55 ASK=451.57 PRIMACT_1=100 SEC_ACT_1=20");
    expect(acks[1]).toContain("PRIMACT_1=101 SEC_ACT_1=21");
    // Latencies on the terminal: milliseconds with two decimals, the same on every line and in the summary.
    for (const ack of acks) expect(ack).toMatch(/ post \d+ \(\d+\.\d\d ms\) {2}BID=/);
    expect(result.stdout).toMatch(
      /\n2 posts: 2 acked, 0 naked, 0 content errors, 0 ack timeouts in \d+(\.\d+)? s \(latency min \d+\.\d\d ms, avg \d+\.\d\d ms, max \d+\.\d\d ms\)\n$/,
    );
    expect(result.stderr).toBe("");
  });

  it("prints the demo account and two commands for a second terminal, which work while the demo runs", async () => {
    const demo = spawnCli(["demo", "--interval", "0.2"], { timeoutMs: 60_000 });
    await demo.waitFor(/^ {2}RCC_PASSWORD=\S+ rcc watch .*\n/m);
    expect(demo.stdout).toMatch(/^ {2}account {9}user GE-A-00000001-1-0001 {2}password demo-password-not-a-secret$/m);
    expect(demo.stdout).toContain(
      "Try it from a second terminal while this demo runs (Ctrl+C here stops it and the simulator):",
    );
    expect(demo.stdout).toContain("rcc not on your PATH? run npm link once in this repository, or use npx rcc");
    const command = (name: string): { env: Record<string, string>; args: string[] } => {
      const line = new RegExp(`^ {2}(RCC_PASSWORD=\\S+ rcc ${name} .*)$`, "m").exec(demo.stdout)?.[1] ?? "";
      expect(line).not.toMatch(/['"\\]/); // plain words: pasted into any POSIX shell, they mean what they say
      const [assignment = "", rcc, ...args] = line.split(" ");
      expect(rcc).toBe("rcc");
      const [key = "", value = ""] = assignment.split("=");
      return { env: { [key]: value }, args };
    };
    const post = command("post");
    expect(post.env).toEqual({ RCC_PASSWORD: "demo-password-not-a-secret" });
    const posted = await runCli(post.args, { env: post.env });
    expect(posted.stderr).toBe("");
    expect(posted.code).toBe(0);
    expect(posted.stdout).toMatch(/^ack {3}TRCCTEST01 post 1 /);
    const watch = spawnCli(command("watch").args, { env: command("watch").env });
    await watch.waitFor(/"type":"Refresh","ric":"TRCCTEST01"/);
    watch.child.kill("SIGINT");
    expect((await watch.exited).code).toBe(0);
    demo.child.kill("SIGINT");
    expect((await demo.exited).code).toBe(0);
  });

  it("with --count says the simulator stops when the demo ends, and where to get one that stays up", async () => {
    const result = await runCli(["demo", "--count", "1", "--interval", "0.05"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "Try it from a second terminal before this demo ends: it stops after 1 post, and the simulator with it (leave out --count, or run rcc simulate, for one that stays up):",
    );
  });

  it("prints one JSON object per line with --json, counting PRIMACT_1 and SEC_ACT_1 up", async () => {
    const result = await runCli(["demo", ...simFlags(sim), "--count", "3", "--interval", "0.05", "--json"], {
      env: simEnv(sim),
    });
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string; outcome?: string; fields?: Record<string, unknown> });
    const outcomes = events.filter((event) => event.event === "outcome");
    expect(outcomes.map((event) => event.outcome)).toEqual(["ack", "ack", "ack"]);
    expect(outcomes.map((event) => event.fields?.PRIMACT_1)).toEqual([100, 101, 102]);
    expect(outcomes.map((event) => event.fields?.SEC_ACT_1)).toEqual([20, 21, 22]);
    expect(outcomes[0]?.fields).toMatchObject({ BID: 451.55, ASK: 451.57, DSPLY_NAME: "Hello RCC" });
    expect(events.some((event) => event.event === "info")).toBe(true);
    // The last line is the summary; every latency in JSON has at most three decimals.
    const summary = events.at(-1) as unknown as Record<string, unknown> & {
      latencyMs: { min: number; avg: number; max: number };
    };
    expect(summary).toMatchObject({ event: "summary", posts: 3, acked: 3, naked: 0, failed: 0, interrupted: false });
    expect(summary.seconds).toBeGreaterThan(0);
    const latencies = [
      ...outcomes.map((event) => (event as { latencyMs?: number }).latencyMs ?? -1),
      summary.latencyMs.min,
      summary.latencyMs.avg,
      summary.latencyMs.max,
    ];
    for (const latency of latencies) {
      expect(latency).toBeGreaterThanOrEqual(0);
      expect(Math.round(latency * 1000) / 1000).toBe(latency);
    }
    expect(summary.latencyMs.min).toBeLessThanOrEqual(summary.latencyMs.avg);
    expect(summary.latencyMs.avg).toBeLessThanOrEqual(summary.latencyMs.max);
  });

  it("sends the Login Close on Ctrl+C (SIGINT), the simulator sees it, and exits 0", async () => {
    const before = loginCloses().length;
    const demo = spawnCli(["demo", ...simFlags(sim), "--interval", "0.1"], { env: simEnv(sim) });
    await demo.waitFor(/ ack {3}TRCCTEST01 post 2 /);
    demo.child.kill("SIGINT");
    const result = await demo.exited;
    expect(result.code).toBe(0);
    // The summary comes last, after the Login Close, and says the run was interrupted.
    expect(result.stdout).toMatch(
      /Login Close sent; disconnected\.\n([2-9]|\d\d+) posts: \d+ acked, 0 naked, .* in [\d.]+ s \(latency .*\) — interrupted\n$/,
    );
    expect(loginCloses().length).toBe(before + 1);
    const close = sim.state.recordedMessages.toArray().findLast((entry) => {
      const message = entry.message as { Type?: string };
      return message.Type === "Close";
    });
    expect(close?.message).toEqual({ ID: 1, Type: "Close", Domain: "Login" });
  });

  it('recovers from "System busy": says so, logs in again and goes on contributing', async () => {
    const demo = spawnCli(["demo", ...simFlags(sim), "--interval", "0.1"], { env: simEnv(sim) });
    await demo.waitFor(/ ack {3}TRCCTEST01 post 1 /);
    sim.faults.add({ type: "system-busy" });
    await demo.waitFor(/connection lost \(.*System busy.*\); reconnecting in [\d.]+ s \(attempt 1\)/);
    await demo.waitFor(/logged in to [^\n]*\n(?:.*\n)*.*logged in to [^\n]*\n(?:.*\n)*.* ack {3}TRCCTEST01 /);
    demo.child.kill("SIGINT");
    const result = await demo.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("exits 2 when the demo's RIC is unknown (every post Naked SymbolUnknown)", async () => {
    const result = await runCli(["demo", ...simFlags(sim), "--ric", "NOT.A.RIC", "--count", "1"], {
      env: simEnv(sim),
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/ nak {3}NOT\.A\.RIC post \d+: SymbolUnknown "Symbol unknown"/);
    expect(result.stdout).toMatch(
      /\n1 post: 0 acked, 1 naked \(SymbolUnknown 1\), 0 content errors, 0 ack timeouts in [\d.]+ s\n$/,
    );
  });

  it("exits 1 with one clear line when a user is given but no password", async () => {
    const result = await runCli(["demo", ...simFlags(sim), "--count", "1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "rcc: missing password: use --password-file, RCC_PASSWORD, or run in a terminal to be asked\n",
    );
  });
});
