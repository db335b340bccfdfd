/** The work of `rcc demo` (see demo.ts). */
import type { Contributor } from "../../index.js";
import type { RunningSimulator } from "../../simulator/index.js";
import { onOutputClosed } from "../closed-output.js";
import { buildContributor, connectWithin, embeddedSimulator, resolveConnection, toCliError } from "../connect.js";
import { DemoTally, formatDemoSummary } from "../demo-tally.js";
import { formatOutcome, type Outcome, outcomeOf } from "../outcome.js";
import { jsonLine, safeLine, safeText } from "../terminal-text.js";
import type { ConnectionFlags } from "../connection-options.js";
import type { Settings } from "../settings.js";

/** Flags of `rcc demo`. */
export interface DemoFlags extends ConnectionFlags {
  ric: string;
  interval: number;
  count?: number;
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
 * Runs the demo until `--count` contributions are settled or Ctrl+C, then prints its summary (one line, or one
 * JSON object with `--json`); sets `process.exitCode`.
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
  const contributor = buildContributor(connection, { backoff: { maxAttempts: 20 } });
  watchLifecycle(contributor, say);

  const stop = { interrupted: false };
  const tally = new DemoTally();
  let wake: (() => void) | undefined;
  const onSigint = () => {
    if (stop.interrupted) process.exit(130); // a second Ctrl+C does not wait for the clean close
    stop.interrupted = true;
    wake?.();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  // The reader went away (`| head`): stop as on Ctrl+C; still connecting, closing ends connect() at once.
  const offClosed = onOutputClosed(() => {
    stop.interrupted = true;
    wake?.();
    if (contributor.state !== "ready") void contributor.close();
  });
  try {
    await connectWithin(contributor, connection); // bounded by --connect-timeout
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
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
    offClosed();
    await contributor.close();
    if (stop.interrupted) say("Login Close sent; disconnected.");
    await sim?.close();
  }
  const summary = tally.summary((performance.now() - started) / 1000, stop.interrupted);
  process.stdout.write(
    flags.json ? `${jsonLine({ event: "summary", ...summary })}\n` : `${formatDemoSummary(summary)}\n`,
  );
  // Ctrl+C is how the demo is meant to end: exit 0 unless a post failed.
  process.exitCode = tally.exitCode();

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
