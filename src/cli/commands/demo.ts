/**
 * `rcc demo`: LSEG's tutorial example done right — authenticate, connect, log in, contribute the tutorial's
 * fields to a RIC at an interval, print each Ack or Nak on one line, re-login silently on token refresh, recover
 * from "System busy", and on Ctrl+C send the Login Close and exit 0. With no credentials and no URL it starts
 * the simulator in this process and runs against it.
 */
import type { Command } from "commander";
import type { Contributor } from "../../client/contributor.js";
import type { RunningSimulator } from "../../simulator/index.js";

import {
  addConnectionOptions,
  buildContributor,
  type ConnectionFlags,
  DEMO_RIC,
  embeddedSimulator,
  resolveConnection,
  toCliError,
} from "../connect.js";
import { exitCodeFor, formatOutcome, type Outcome, outcomeOf } from "../outcome.js";
import { positiveIntOption, positiveNumberOption } from "./shared.js";

interface DemoFlags extends ConnectionFlags {
  ric: string;
  interval: number;
  count?: number;
}

function clockText(): string {
  return new Date().toISOString().slice(11, 23);
}

/** Registers `rcc demo` (what `npm start` runs). */
export function registerDemo(program: Command): void {
  addConnectionOptions(
    program
      .command("demo")
      .description(
        "contribute the tutorial's fields to a RIC every interval; with no credentials, against the embedded simulator",
      ),
  )
    .option("--ric <ric>", "the RIC to contribute to", DEMO_RIC)
    .option("--interval <seconds>", "time between contributions", positiveNumberOption("--interval"), 1)
    .option(
      "--count <n>",
      "stop after this many contributions (default: run until Ctrl+C)",
      positiveIntOption("--count"),
    )
    .addHelpText(
      "after",
      `
Examples:
  rcc demo                                   # embedded simulator, TRCCTEST01, one post a second
  rcc demo --count 5 --json                  # five posts, one JSON outcome per line
  rcc demo --env ppe --user GE-A-01234567-8-9012 --password-file ~/.rcc-pw \\
           --url wss://<rcc-uat-host>/WebSocket --ric <your RIC>

Ctrl+C sends the Login Close, closes the WebSocket and exits 0.`,
    )
    .action(async (flags: DemoFlags) => {
      await demo(flags);
    });
}

async function demo(flags: DemoFlags): Promise<void> {
  const explicit =
    flags.user ?? flags.url ?? process.env.RCC_USER ?? process.env.RCC_URLS ?? flags.config ?? process.env.RCC_CONFIG;
  let sim: RunningSimulator | undefined;
  let connection = await resolveConnection(flags, { needCredentials: explicit !== undefined });
  const say = (line: string) =>
    process.stdout.write(flags.json ? `${JSON.stringify({ event: "info", message: line })}\n` : `${line}\n`);
  if (explicit === undefined) {
    const embedded = await embeddedSimulator(connection.log);
    sim = embedded.sim;
    connection = { ...connection, settings: { ...connection.settings, ...embedded.settings } };
    say("No credentials or --url given: running against the embedded RCC simulator.");
    say(`  token endpoint  ${sim.authUrl}`);
    for (const url of sim.wsUrls) say(`  RCC WebSocket   ${url}`);
    say(`  admin API       ${sim.adminUrl}/state`);
    say(`  dashboard       ${sim.dashboardUrl}`);
  }
  const contributor = buildContributor(connection, { backoff: { maxAttempts: 20 } });
  watchLifecycle(contributor, say);

  const stop = { interrupted: false };
  const counts: Partial<Record<Outcome["outcome"], number>> = {};
  let wake: (() => void) | undefined;
  const onSigint = () => {
    stop.interrupted = true;
    wake?.();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  try {
    await contributor.connect();
    let primact = 100;
    let secAct = 20;
    const pending: Promise<void>[] = [];
    for (let sent = 0; !stop.interrupted && (flags.count === undefined || sent < flags.count); sent++) {
      const fields = { BID: 451.55, ASK: 451.57, DSPLY_NAME: "Hello RCC", PRIMACT_1: primact, SEC_ACT_1: secAct };
      primact += 1;
      secAct += 1;
      pending.push(
        contributor.contribute(flags.ric, fields).then(
          (ack) => report(outcomeOf(flags.ric, { ack }), fields),
          (error: unknown) => report(outcomeOf(flags.ric, { error }), fields),
        ),
      );
      if (flags.count !== undefined && sent + 1 >= flags.count) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, flags.interval * 1000);
      });
    }
    await Promise.all(pending);
  } catch (error) {
    throw toCliError(error);
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
    await contributor.close();
    if (stop.interrupted) say("Login Close sent; disconnected.");
    await sim?.close();
  }
  // Ctrl+C is how the demo is meant to end: exit 0 unless a post failed.
  process.exitCode = exitCodeFor(counts);

  function report(outcome: Outcome, fields: Record<string, unknown>): void {
    counts[outcome.outcome] = (counts[outcome.outcome] ?? 0) + 1;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ event: "outcome", ...outcome, fields })}\n`);
    } else {
      const values = `BID=${String(fields.BID)} ASK=${String(fields.ASK)} PRIMACT_1=${String(fields.PRIMACT_1)} SEC_ACT_1=${String(fields.SEC_ACT_1)}`;
      process.stdout.write(`${clockText()} ${formatOutcome(outcome)}  ${values}\n`);
    }
  }
}

function watchLifecycle(contributor: Contributor, say: (line: string) => void): void {
  contributor.on("ready", (info) => {
    say(`${clockText()} logged in to ${info.url} (${info.text}); max ${info.maxMessagesPerSecond} msg/s`);
  });
  contributor.on("reconnecting", (info) => {
    say(
      `${clockText()} connection lost (${info.cause.message}); reconnecting in ${(info.delayMs / 1000).toFixed(1)} s (attempt ${info.attempt})`,
    );
  });
  contributor.on("token-refreshed", (info) => {
    say(
      `${clockText()} token refreshed (valid until ${new Date(info.expiresAtMs).toISOString()}); re-logged in silently`,
    );
  });
}
