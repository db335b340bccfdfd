/**
 * `rcc demo`: LSEG's tutorial example done right — authenticate, connect, log in, contribute the tutorial's
 * fields to a RIC at an interval, print each Ack or Nak on one line, re-login silently on token refresh, recover
 * from "System busy" and lost connections (for `--reconnect-for`), and on Ctrl+C (SIGTERM, SIGHUP) stop sending,
 * wait for the Acks of posts on the wire (`--drain-timeout`), send the Login Close and exit 0. With no credentials
 * and no URL it starts the simulator in this process and runs against it. The work is in demo-run.ts, loaded only
 * when run.
 */
import type { Command } from "commander";
import { addConnectionOptions } from "../connection-options.js";
import { EXIT_CODES_HELP } from "../exit-codes.js";
import { DEFAULT_RECONNECT_FOR_MS } from "../stopping.js";
import { drainTimeoutOption, positiveIntOption, positiveNumberOption, reconnectForOption } from "./shared.js";
import type { DemoFlags } from "./demo-run.js";

/** The RIC the simulator knows out of the box (DEMO_RIC of src/simulator/config.ts, not imported: start-up cost). */
const DEMO_RIC = "TRCCTEST01";

/** Registers `rcc demo` (what `npm start` runs). */
export function registerDemo(program: Command): void {
  addConnectionOptions(
    program
      .command("demo")
      .description(
        "contribute the tutorial's fields to a RIC every interval; with no credentials, against the embedded simulator",
      ),
    { postMode: true },
  )
    .option("--ric <ric>", "the RIC to contribute to", DEMO_RIC)
    .option("--interval <seconds>", "time between contributions", positiveNumberOption("--interval"), 1)
    .option(
      "--count <n>",
      "stop after this many contributions (default: run until Ctrl+C)",
      positiveIntOption("--count"),
    )
    .addOption(drainTimeoutOption())
    .addOption(reconnectForOption())
    .addHelpText(
      "after",
      `
Examples:
  rcc demo                                   # embedded simulator, TRCCTEST01, one post a second
  rcc demo --count 5 --json                  # five posts, one JSON outcome per line
  rcc demo --login-name jdoe --post-mode on-stream   # embedded simulator as an on-site ADS
  rcc demo --env ppe --user GE-A-01234567-8-9012 --password-file ~/.rcc-pw \\
           --url wss://<rcc-uat-host>/WebSocket --ric <your RIC>

On the embedded simulator it prints the simulator's URLs, its demo account and password, and two commands to
paste into a second terminal while the demo runs (an rcc post and an rcc watch of the RIC); the simulator
stops when the demo does (with --count, after the last post: for one that stays up, run rcc simulate).

--trace (or RCC_TRACE=1) prints every WebSocket frame sent and received on stderr, as the tutorial does.

Stopping: the first Ctrl+C (or SIGTERM, SIGHUP) stops sending, waits up to --drain-timeout for the Acks of
posts already sent, sends the Login Close, closes the WebSocket, prints the summary and exits 0 (unless a post
failed); a second one stops waiting for Acks (those posts count as unknown), still prints the summary and
exits 130.

A lost connection (the server restarting, "System busy") is retried for --reconnect-for (default
${DEFAULT_RECONNECT_FOR_MS} ms = 5 min); then the demo prints its summary and exits 4 with the last failure, e.g.
  rcc: could not connect: gave up reconnecting after 300 s (41 attempts): … — check --url and the network

It ends (after --count posts, or on Ctrl+C) with one summary line, e.g.
  3 posts: 3 acked, 0 naked, 0 content errors, 0 ack timeouts in 2.1 s (latency min 0.85 ms, avg 1.02 ms, max 1.40 ms)
or, with --json, one {"event":"summary","posts","acked","naked",…,"seconds","latencyMs","interrupted"} object.
Latencies show two decimals here, at most three in JSON.

${EXIT_CODES_HELP}`,
    )
    .action(async (flags: DemoFlags) => {
      const { runDemo } = await import("./demo-run.js");
      await runDemo(flags);
    });
}
