/**
 * `rcc … | head -1`: the reader of stdout goes away while the command still writes. The command must end
 * quietly — no `write EPIPE` stack trace, nothing on stderr — with exit code 141 (what a shell shows for a
 * writer killed by SIGPIPE), and a session it holds must end with a Login Close first. The pipe is a real one:
 * the test reads what it needs from the child's stdout and then destroys its end.
 */
import { afterEach, describe, expect, it } from "vitest";
import { OUTPUT_CLOSED_GRACE_MS } from "../../src/cli/closed-output.js";
import { loginRaw, post, useSimulators } from "../helpers/raw-client.js";
import { spawnCli, stopAllCli } from "../helpers/cli.js";

const simulator = useSimulators();
afterEach(async () => {
  await stopAllCli();
});

/** What betrays a crash on a closed pipe. */
const CRASH = /EPIPE|Unhandled|\n\s+at /;

describe("rcc with its stdout closed by the reader", () => {
  it("rcc post --help into a pipe closed before it writes exits 141 with nothing on stderr", async () => {
    const help = spawnCli(["post", "--help"]);
    help.child.stdout?.destroy();
    const result = await help.exited;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(141);
  });

  it("rcc demo --json stops quietly right after its first line, before it has logged in", async () => {
    const started = performance.now();
    const demo = spawnCli(["demo", "--json", "--interval", "0.05"]);
    await demo.waitFor(/^\{"event":"info".*\n/);
    demo.child.stdout?.destroy();
    const result = await demo.exited;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(141);
    expect(performance.now() - started).toBeLessThan(OUTPUT_CLOSED_GRACE_MS);
  });

  it("rcc demo --json against the embedded simulator sends the Login Close before it exits 141", async () => {
    const demo = spawnCli(["demo", "--json", "--interval", "0.05", "--log-level", "info", "--log-format", "json"]);
    await demo.waitFor(/"event":"outcome","ric":"TRCCTEST01","outcome":"ack"/);
    demo.child.stdout?.destroy();
    const result = await demo.exited;
    expect(result.code).toBe(141);
    expect(result.stderr).not.toMatch(CRASH);
    // The embedded simulator logs to the CLI's stderr: it saw the Login stream closed, then the socket.
    const logs = result.stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { component?: string; msg: string });
    const simulatorSaw = logs.filter((line) => line.component === "simulator").map((line) => line.msg);
    expect(simulatorSaw).toContain("login stream closed by the client");
    expect(simulatorSaw.indexOf("login stream closed by the client")).toBeLessThan(
      simulatorSaw.indexOf("connection closed"),
    );
  });

  it("rcc watch --json closes its item stream and the Login once the reader has gone, then exits 141", async () => {
    const sim = await simulator({ profile: "ads" });
    const account = sim.accounts[0]!;
    const watch = spawnCli(["watch", "TRCCTEST05", "--json", "--url", sim.wsUrls[0]!, "--login-name", account.user]);
    await watch.waitFor(/"type":"Refresh"/);
    const poster = (await loginRaw(sim.wsUrls[0]!, sim.authUrl, account)).client;
    poster.send(post(1, "TRCCTEST05", { BID: 1 }));
    await watch.waitFor(/"type":"Update".*\n/);
    watch.child.stdout?.destroy();
    // The next Update is the write that finds the pipe closed.
    poster.send(post(2, "TRCCTEST05", { BID: 2 }));
    const result = await watch.exited;
    expect(result.code).toBe(141);
    expect(result.stderr).toBe("");
    const received = sim.state.recordedMessages.toArray().map((entry) => entry.message);
    expect(received).toContainEqual({ ID: 2, Type: "Close" });
    expect(received).toContainEqual({ ID: 1, Type: "Close", Domain: "Login" });
  });
});
