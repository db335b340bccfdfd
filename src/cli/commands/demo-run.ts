/** The work of `rcc demo` (see demo.ts). */
import type { Contributor } from "../../index.js";
import type { RunningSimulator } from "../../simulator/index.js";
import { onOutputClosed } from "../closed-output.js";
import { buildContributor, connectWithin, embeddedSimulator, resolveConnection, toCliError } from "../connect.js";
import { DemoTally, formatDemoSummary } from "../demo-tally.js";
import { formatOutcome, type Outcome, outcomeOf } from "../outcome.js";
import { EXIT } from "../exit-codes.js";
import { DEFAULT_RECONNECT_FOR_MS, onStopSignals } from "../stopping.js";
import { jsonLine, safeLine, safeText } from "../terminal-text.js";
import type { ConnectionFlags } from "../connection-options.js";
import type { Settings } from "../settings.js";

/** Flags of `rcc demo`. */
export interface DemoFlags extends ConnectionFlags {
  ric: string;
  /** Time between two posts, seconds. */
  interval: number;
  count?: number;
  /** How long a stop waits for the Acks of posts already sent, ms. */
  drainTimeout: number;
  /** How long a lost connection is retried, ms. @default DEFAULT_RECONNECT_FOR_MS */
  reconnectFor?: number;
}

/** Why the demo stopped sending, if it did before `--count`. */
interface DemoStop {
  /** A signal (or the output closing). */
  interrupted: boolean;
  /** Whether a session was up when the first signal came (then the stop ends with its Login Close). */
  loggedInAtStop?: boolean;
  /** A second signal: the Acks of posts on the wire are not waited for. */
  aborted?: boolean;
  /** The error that ended the session for good (reconnecting gave up, a re-login refused). */
  lost?: Error;
}

function clockText(): string {
  return new Date().toISOString().slice(11, 23);
}

/** Whether any connection setting was given (flags, environment or config file): then no embedded simulator. */
function hasExplicitTarget(flags: DemoFlags, env: NodeJS.ProcessEnv): boolean {
  const given = [
    flags.user,
    flags.url,
    flags.hostname,
    flags.authUrl,
    flags.env,
    flags.config,
    env.RCC_USER,
    env.RCC_URLS,
    env.RCC_HOSTNAME,
    env.RCC_AUTH_URL,
    env.RCC_ENV,
    env.RCC_CONFIG,
  ];
  return given.some((value) => value !== undefined && value !== "");
}

/**
 * Runs the demo until `--count` contributions are settled, a stop signal, or the session is lost for good
 * (`--reconnect-for`), then prints its summary (one line, or one JSON object with `--json`); sets
 * `process.exitCode`, or throws the CliError of the lost session (exit 4) after the summary.
 */
export async function runDemo(flags: DemoFlags): Promise<void> {
  const started = performance.now();
  const explicit = hasExplicitTarget(flags, process.env);
  let sim: RunningSimulator | undefined;
  let connection = await resolveConnection(flags, { needCredentials: explicit });
  const say = (line: string) =>
    process.stdout.write(flags.json ? `${jsonLine({ event: "info", message: line })}\n` : `${line}\n`);
  if (!explicit) {
    const { loginName } = connection.settings;
    const embedded = await embeddedSimulator(connection.log, loginName === undefined ? {} : { loginName });
    sim = embedded.sim;
    connection = { ...connection, settings: { ...connection.settings, ...embedded.settings } };
    say(
      loginName === undefined
        ? "No credentials or --url given: running against the embedded RCC simulator."
        : `No --url given: running against the embedded simulator as an on-site ADS (user-name Login as ${loginName}).`,
    );
    say(`  token endpoint  ${sim.authUrl}`);
    for (const url of sim.wsUrls) say(`  RCC WebSocket   ${url}`);
    say(`  admin API       ${sim.adminUrl}/state`);
    say(`  dashboard       ${sim.dashboardUrl}`);
    // Printed before the contributor exists: its token manager registers the password as a secret, and from
    // then on stdout masks it. The demo account's password is public (the simulator's DEMO_ACCOUNT).
    for (const line of tryItLines(connection.settings, flags)) say(line);
  }
  const contributor = buildContributor(connection, {
    // Bounded by time, not by a count: a few seconds of server restart must not end the demo.
    backoff: { maxAttempts: Number.POSITIVE_INFINITY },
    reconnectForMs: flags.reconnectFor ?? DEFAULT_RECONNECT_FOR_MS,
    drainTimeoutMs: flags.drainTimeout,
  });
  watchLifecycle(contributor, say);

  const stop: DemoStop = { interrupted: false };
  const tally = new DemoTally();
  let wake: (() => void) | undefined;
  const halt = (): void => {
    wake?.();
    wake = undefined;
  };
  // Reconnecting gave up (or a re-login was refused): no post can go out any more.
  contributor.on("closed", (error) => {
    if (error === undefined) return;
    stop.lost = error;
    halt();
  });
  const offSignals = onStopSignals((count) => {
    if (count === 1) {
      // Queued posts are dropped (not sent); those on the wire get up to --drain-timeout for their Acks.
      const waiting = contributor.stats().inFlight;
      stop.interrupted = true;
      stop.loggedInAtStop = contributor.state === "ready";
      halt();
      say(
        waiting > 0
          ? `stopping: waiting for ${waiting} acks (Ctrl+C again to abort)`
          : "stopping (Ctrl+C again to abort)",
      );
      void contributor.close({ dropQueued: true, drainTimeoutMs: flags.drainTimeout });
    } else if (count === 2) {
      stop.aborted = true;
      say("aborting: not waiting for acks");
      void contributor.close({ dropQueued: true, drainTimeoutMs: 0 });
    } else {
      process.exit(EXIT.interrupted); // a third one does not even wait for the Login Close
    }
  });
  // The reader went away (`| head`): stop as on Ctrl+C; still connecting, closing ends connect() at once.
  const offClosed = onOutputClosed(() => {
    stop.interrupted = true;
    halt();
    if (contributor.state !== "ready") void contributor.close();
  });
  const stopped = (): boolean => stop.interrupted || stop.lost !== undefined;
  try {
    try {
      await connectWithin(contributor, connection); // bounded by --connect-timeout
      let primact = 100;
      let secAct = 20;
      const pending: Promise<void>[] = [];
      for (let sent = 0; !stopped() && (flags.count === undefined || sent < flags.count); sent++) {
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
          const timer = setTimeout(resolve, flags.interval * 1000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      await Promise.all(pending);
    } catch (error) {
      // Ctrl+C before the first login is still a clean stop, not a failure.
      if (!stop.interrupted) throw toCliError(error, connection.settings);
    } finally {
      offClosed();
      // Only a session that is up has a Login to close.
      const loggedIn = stop.loggedInAtStop ?? contributor.state === "ready";
      await contributor.close();
      if (stop.interrupted) {
        say(loggedIn ? "Login Close sent; disconnected." : "disconnected (not logged in: no Login Close to send).");
      }
      await sim?.close();
    }
    const summary = tally.summary((performance.now() - started) / 1000, stop.interrupted);
    process.stdout.write(
      flags.json ? `${jsonLine({ event: "summary", ...summary })}\n` : `${formatDemoSummary(summary)}\n`,
    );
  } finally {
    // Only now: a second signal during the drain or the close is still ours, not the end of the process.
    offSignals();
  }
  // After the summary, the cause on stderr (exit 4): what a lost connection leaves the demo with.
  if (stop.lost !== undefined) throw toCliError(stop.lost, connection.settings);
  // Ctrl+C is how the demo is meant to end: exit 0 unless a post failed; a second one, 130.
  process.exitCode = stop.aborted === true ? EXIT.interrupted : tally.exitCode();

  function report(outcome: Outcome, fields: Record<string, unknown>): void {
    tally.add(outcome);
    if (flags.json) {
      process.stdout.write(`${jsonLine({ event: "outcome", ...outcome, fields })}\n`);
    } else {
      const values = `BID=${String(fields.BID)} ASK=${String(fields.ASK)} PRIMACT_1=${String(fields.PRIMACT_1)} SEC_ACT_1=${String(fields.SEC_ACT_1)}`;
      process.stdout.write(`${clockText()} ${formatOutcome(outcome)}  ${values}\n`);
    }
  }
}

/** `word` as a POSIX shell word: as is when plain, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The embedded simulator's account and two commands to paste into a second terminal while the demo runs (a
 * post, and a watch of the demo's RIC), and whether the simulator outlives them: it stops when the demo does.
 */
function tryItLines(
  settings: Pick<Settings, "user" | "password" | "authUrl" | "urls" | "loginName" | "postMode">,
  flags: Pick<DemoFlags, "ric" | "count">,
): string[] {
  const target = settings.urls.flatMap((url) => ["--url", url]);
  let env = "";
  let account: string;
  if (settings.loginName === undefined) {
    target.unshift("--auth-url", settings.authUrl ?? "");
    target.push("--user", settings.user ?? "");
    env = `RCC_PASSWORD=${shellWord(settings.password ?? "")} `;
    account = `  account         user ${settings.user ?? ""}  password ${settings.password ?? ""}`;
  } else {
    target.push("--login-name", settings.loginName);
    account = `  account         DACS user ${settings.loginName} (a user-name Login: no password)`;
  }
  const mode = settings.postMode === "on-stream" ? ["--post-mode", "on-stream"] : [];
  const post = [
    "rcc",
    "post",
    ...target,
    ...mode,
    "--ric",
    flags.ric,
    "--field",
    "BID=451.60",
    "--field",
    "ASK=451.62",
  ];
  const watch = ["rcc", "watch", flags.ric, ...target];
  const lasts =
    flags.count === undefined
      ? "while this demo runs (Ctrl+C here stops it and the simulator)"
      : `before this demo ends: it stops after ${flags.count} post${flags.count === 1 ? "" : "s"}, and the simulator with it (leave out --count, or run rcc simulate, for one that stays up)`;
  return [
    account,
    `Try it from a second terminal ${lasts}:`,
    `  ${env}${post.map(shellWord).join(" ")}`,
    `  ${env}${watch.map(shellWord).join(" ")}`,
    "  (rcc not on your PATH? run npm link once in this repository, or use npx rcc)",
  ];
}

function watchLifecycle(contributor: Contributor, say: (line: string) => void): void {
  contributor.on("ready", (info) => {
    say(`${clockText()} logged in to ${info.url} (${safeText(info.text)}); max ${info.maxMessagesPerSecond} msg/s`);
  });
  contributor.on("reconnecting", (info) => {
    say(
      `${clockText()} connection lost (${safeLine(info.cause.message)}); reconnecting in ${(info.delayMs / 1000).toFixed(1)} s (attempt ${info.attempt})`,
    );
  });
  contributor.on("token-refreshed", (info) => {
    say(
      `${clockText()} token refreshed (valid until ${new Date(info.expiresAtMs).toISOString()}); re-logged in silently`,
    );
  });
}
