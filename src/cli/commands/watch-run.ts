/** The work of `rcc watch` (see watch.ts). */
import {
  Consumer,
  type ConsumerLogin,
  type ConsumerStatusEvent,
  type InboundMessage,
  type ItemEvent,
  systemClock,
  type TimerHandle,
  type TokenManager,
} from "../../index.js";
import {
  buildTokenManager,
  ensurePassword,
  formatDuration,
  openWithin,
  type ResolvedConnection,
  resolveConnection,
  toCliError,
  traceOption,
} from "../connect.js";
import { onOutputClosed } from "../closed-output.js";
import { CliError, EXIT } from "../exit-codes.js";
import { useColour } from "../logging.js";
import { DEFAULT_RECONNECT_FOR_MS, onStopSignals } from "../stopping.js";
import { jsonLine, quoteText, safeLine, safeText } from "../terminal-text.js";
import { WatchTable } from "../watch-table.js";
import type { ConnectionFlags } from "../connection-options.js";

/** Flags of `rcc watch`. */
export interface WatchFlags extends ConnectionFlags {
  /** Fields to show (a View, §4A.1). */
  field?: string[];
  /** How long a lost connection is retried, ms. @default DEFAULT_RECONNECT_FOR_MS */
  reconnectFor?: number;
}

/** Longest time between two redraws of the table, milliseconds: fast enough to look live, cheap at any rate. */
const REDRAW_INTERVAL_MS = 100;

/** Where messages go: NDJSON lines, or the live table. */
interface WatchOutput {
  /** Called once logged in, before the first message. */
  start(): void;
  item(event: ItemEvent): void;
  serverError(message: InboundMessage): void;
  /** A line about the connection (lost, reconnected, token refreshed); already made safe to print. */
  notice(line: string): void;
  finish(): void;
}

/**
 * Subscribes to `rics` and prints what arrives until Ctrl+C, SIGTERM or SIGHUP (exit 0; a second one, 130 at
 * once). A lost connection, "System busy" or a token refresh is healed by the consumer (reconnect, re-login,
 * every open item requested again) and said on stderr or the table's status line; only a fatal failure, or no
 * connection for `--reconnect-for`, ends the watch (exit 3 or 4).
 */
export async function runWatch(rics: string[], flags: WatchFlags): Promise<void> {
  const connection = await resolveConnection(flags, { needCredentials: false });
  const login = await loginOf(connection);
  const { settings, log, ca } = connection;
  const consumer = new Consumer({
    urls: settings.urls,
    login: login.login,
    applicationId: settings.appId,
    ...(settings.position === undefined ? {} : { position: settings.position }),
    service: settings.service,
    ...(flags.field === undefined ? {} : { view: flags.field }),
    ...(ca === undefined ? {} : { tls: { ca } }),
    // Bounded by time (the consumer's backoff never gives up by count): a server restart is waited out.
    reconnectForMs: flags.reconnectFor ?? DEFAULT_RECONNECT_FOR_MS,
    log,
    ...traceOption(settings),
  });
  const table = flags.json !== true && process.stdout.isTTY;
  const output = table ? tableOutput(rics, flags.field) : ndjsonOutput();
  consumer.onEvent((event) => output.item(event));
  consumer.onServerError((message) => output.serverError(message));
  let opened = false;
  consumer.onStatus((event) => {
    // Before the first Login the connect deadline speaks for the attempts (openWithin).
    const line = opened ? noticeOf(event) : undefined;
    if (line !== undefined) output.notice(safeLine(line));
  });

  let resolveInterrupted: (() => void) | undefined;
  const interrupted = new Promise<"interrupted">((resolve) => {
    resolveInterrupted = () => resolve("interrupted");
  });
  const stopping = { requested: false };
  // Still connecting, closing ends the connect at once.
  const stop = (): void => {
    stopping.requested = true;
    resolveInterrupted?.();
    if (!opened) void consumer.close();
  };
  const offSignals = onStopSignals((count) => {
    if (count === 1) stop();
    else process.exit(EXIT.interrupted); // a second one does not wait for the Closes
  });
  // The reader went away (`| head`): stop as on Ctrl+C, closing the streams and the Login.
  const offClosed = onOutputClosed(stop);
  try {
    let info;
    try {
      info = await openWithin(consumer, connection, login.manager); // bounded by --connect-timeout
      opened = true;
    } catch (error) {
      // Ctrl+C before the first Login is still a clean stop, not a failure.
      if (stopping.requested) {
        process.exitCode = EXIT.ok;
        return;
      }
      throw toCliError(error, settings);
    }
    if (table)
      process.stderr.write(
        `rcc: watching ${rics.length} RIC(s) on ${safeText(consumer.url)} as ${safeText(info.user ?? "?")} (Ctrl+C to stop)\n`,
      );
    output.start();
    consumer.subscribe(rics);
    const outcome = await Promise.race([interrupted, consumer.closed]);
    if (outcome === "interrupted") {
      await consumer.close();
      process.exitCode = EXIT.ok;
      return;
    }
    // The consumer stopped for good: reconnecting gave up (after --reconnect-for), or a re-login was refused.
    if (outcome === undefined) throw new CliError("connection lost: closed", EXIT.connection);
    throw toCliError(outcome, settings);
  } finally {
    offClosed();
    output.finish();
    try {
      await consumer.close();
      await login.dispose();
    } finally {
      offSignals(); // whatever closing did: no listener outlives the command
    }
  }
}

/**
 * The Login to use: `--login-name` (user name, no token), else a token for `--user` from the token endpoint.
 * @throws CliError (exit 1) naming everything that is missing, URL included.
 */
async function loginOf(
  connection: ResolvedConnection,
): Promise<{ login: ConsumerLogin; dispose: () => Promise<void>; manager?: TokenManager }> {
  const { settings } = connection;
  const missing: string[] = [];
  if (settings.urls.length === 0) missing.push("--url (or RCC_URLS): the WebSocket endpoint to watch");
  const tokenLogin = settings.loginName === undefined;
  if (tokenLogin && (settings.user === undefined || settings.authUrl === undefined)) {
    missing.push(
      "credentials: --user with --auth-url or --env (an RDP token, as RCC wants), or --login-name <user> (a user-name login, as an on-site ADS takes)",
    );
  }
  if (missing.length > 0) throw new CliError(`missing ${missing.join("; and ")}`, EXIT.usage);
  if (!tokenLogin) return { login: { kind: "name", name: settings.loginName ?? "" }, dispose: () => Promise.resolve() };
  await ensurePassword(settings);
  const { manager, dispose } = buildTokenManager(connection);
  return { login: { kind: "token", auth: manager }, dispose, manager };
}

/** What the watcher is told about a status event, unescaped; undefined for the events it is not told about. */
function noticeOf(event: ConsumerStatusEvent): string | undefined {
  switch (event.type) {
    case "reconnecting":
      return `rcc: connection lost: ${event.cause.message}; reconnecting in ${formatDuration(Math.round(event.delayMs))} (attempt ${event.attempt})`;
    case "resubscribed":
      return `rcc: reconnected to ${event.url}; re-requested ${event.items} item${event.items === 1 ? "" : "s"}`;
    case "token-refreshed":
      return "rcc: token refreshed; logged in again on the open connection";
    case "error":
      return `rcc: ${event.error.message}`;
    case "state":
    case "ready":
    case "closed":
      // Said otherwise: the first Login by the "watching" line, a reconnect by "resubscribed", the end by the exit.
      return undefined;
  }
}

function stateOf(event: ItemEvent): Record<string, string> | undefined {
  if (event.state === undefined) return undefined;
  const { stream, data, code, text } = event.state;
  const state: Record<string, string> = {};
  if (stream !== undefined) state.stream = stream;
  if (data !== undefined) state.data = data;
  if (code !== undefined) state.code = code;
  if (text !== "") state.text = text;
  return state;
}

/** One JSON line per message on stdout. */
function ndjsonOutput(): WatchOutput {
  const write = (line: object): void => {
    process.stdout.write(`${jsonLine(line)}\n`);
  };
  return {
    item(event) {
      const state = stateOf(event);
      write({
        at: new Date().toISOString(),
        type: event.type,
        ric: event.ric,
        id: event.streamId,
        ...(state === undefined ? {} : { state }),
        ...(event.fields === undefined ? {} : { fields: event.fields }),
        ...(event.postUserInfo === undefined ? {} : { postUserInfo: event.postUserInfo }),
      });
    },
    serverError(message) {
      write({ at: new Date().toISOString(), type: "Error", id: message.ID, text: message.Text });
    },
    notice(line) {
      process.stderr.write(`${line}\n`);
    },
    start: () => undefined,
    finish: () => undefined,
  };
}

/** The table, redrawn in place at most every {@link REDRAW_INTERVAL_MS}. */
function tableOutput(rics: readonly string[], view: readonly string[] | undefined): WatchOutput {
  const model = new WatchTable(rics, view);
  const colour = useColour(process.stdout);
  let drawnLines = 0;
  let started = false;
  let timer: TimerHandle | undefined;
  const draw = (): void => {
    timer = undefined;
    if (!started) return;
    // Some pseudo-terminals report 0 columns: do not cut lines then.
    const columns = process.stdout.columns;
    const lines = model.render({ colour, ...(columns > 0 ? { width: columns } : {}) });
    // Back to the first line of the previous drawing, then overwrite it line by line (ANSI cursor control).
    const up = drawnLines > 0 ? `\x1b[${drawnLines}F` : "";
    process.stdout.write(`${up}${lines.map((line) => `\x1b[2K${line}\n`).join("")}\x1b[J`);
    drawnLines = lines.length;
  };
  const schedule = (): void => {
    timer ??= systemClock.setTimeout(draw, REDRAW_INTERVAL_MS);
  };
  return {
    start() {
      started = true;
      draw();
    },
    item(event) {
      model.apply(event);
      schedule();
    },
    serverError(message) {
      process.stderr.write(`rcc: the server answered with an Error: ${quoteText(String(message.Text))}\n`);
    },
    notice(line) {
      // Under the table, not on stderr: a line written there would break the redraw in place.
      model.setStatus(line.replace(/^rcc: /, ""));
      schedule();
    },
    finish() {
      if (timer !== undefined) systemClock.clearTimeout(timer);
      draw();
    },
  };
}
