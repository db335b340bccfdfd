/**
 * What the connected commands (demo, post, contribute, token, watch) share once they run: turning settings into a
 * Contributor or a TokenManager (with the frame tracer of `--trace`), the embedded simulator for `rcc demo`,
 * getting connected within one deadline while saying what is slow (waiting-notes.ts), and mapping failures to
 * exit codes. Their flags are in connection-options.ts (kept light for start-up time).
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  type AccessToken,
  AckTimeoutError,
  type Clock,
  AuthEndpointNotFoundError,
  AuthError,
  AuthUnavailableError,
  CERTIFICATE_ERROR_CODE,
  CertificateError,
  ConnectionLostError,
  type Consumer,
  type ConsumerLoginInfo,
  ContentError,
  Contributor,
  type ContributorOptions,
  InvalidCredentialsError,
  InvalidOptionsError,
  type Logger,
  LoginRefusedError,
  NakError,
  type SessionState,
  systemClock,
  TokenManager,
  ValidationError,
} from "../index.js";
import { certificateFailureCode, dispatcherFor, processSecrets, redactWrites, safeUrl, undici } from "../internal.js";
import type { RunningSimulator } from "../simulator/index.js";
import type { ConnectionFlags } from "./connection-options.js";
import { formatDuration } from "./duration.js";
import { CliError, EXIT } from "./exit-codes.js";
import { createFrameTracer } from "./frame-trace.js";
import { createCliLogger } from "./logging.js";
import { promptSecret } from "./prompt.js";
import { commandLineSecretWarning, resolveSettings, type Settings } from "./settings.js";
import { type SessionProgress, sessionNote, shownUrl, WaitingNotes } from "./waiting-notes.js";

export { formatDuration } from "./duration.js";

/** The library's `traceFrames` option when tracing is on (`--trace`, `RCC_TRACE`, `--log-level trace`), else none. */
export function traceOption(settings: Pick<Settings, "trace">): { traceFrames?: ReturnType<typeof createFrameTracer> } {
  return settings.trace ? { traceFrames: createFrameTracer() } : {};
}

/**
 * Completes `settings` with a password when it has none: asked for (no echo) when stdin is a terminal.
 * @throws CliError (exit 1) when there is none and no terminal to ask on.
 */
export async function ensurePassword(settings: Settings): Promise<void> {
  if (settings.password !== undefined) return;
  if (!process.stdin.isTTY) {
    throw new CliError(
      "missing password: use --password-file, RCC_PASSWORD, or run in a terminal to be asked",
      EXIT.usage,
    );
  }
  settings.password = await promptSecret(`Password for ${settings.user ?? ""}: `);
  settings.passwordSource = "prompt";
  processSecrets.add(settings.password, "credential");
}

/** Settings completed with a password (prompted when needed) and the logger. */
export interface ResolvedConnection {
  settings: Settings;
  log: Logger;
  ca?: string;
}

/** Options of {@link resolveConnection}. */
export interface ResolveConnectionOptions {
  /** A token login needs `--user`, a token endpoint and a password (prompted for on a terminal). */
  needCredentials: boolean;
  /**
   * stdout shows a secret on purpose (`rcc token --show-token`): only stderr is redacted then.
   * @default false
   */
  revealOnStdout?: boolean;
  /**
   * The command only gets a token (`rcc token`): a user-name Login (`--login-name`, RCC_LOGIN_NAME, `loginName`),
   * which has none, does not apply and is dropped, so the token login's credentials are still asked for.
   * @default false
   */
  tokenOnly?: boolean;
}

/**
 * Resolves settings, reads the CA file, prompts for a missing password on a terminal, warns about `--password`
 * and about secret files other users can read. From here on, every secret the process knows (the password and
 * client secret now, tokens as they come) is masked in whatever stdout and stderr are given. With
 * `needCredentials`, a token login needs `--user`, a token endpoint and a password; a user-name login
 * (`--login-name`) needs none of them.
 */
export async function resolveConnection(
  flags: ConnectionFlags,
  options: ResolveConnectionOptions,
): Promise<ResolvedConnection> {
  redactWrites(process.stderr);
  if (options.revealOnStdout !== true) redactWrites(process.stdout);
  const settings = await resolveSettings(flags);
  if (options.tokenOnly === true) delete settings.loginName;
  processSecrets.add(settings.password, "credential");
  processSecrets.add(settings.clientSecret, "credential");
  const log = createCliLogger(settings.logLevel, settings.logFormat);
  if (settings.passwordSource === "flag") {
    process.stderr.write(`${commandLineSecretWarning("--password", "--password-file or RCC_PASSWORD")}\n`);
  }
  for (const warning of settings.warnings) process.stderr.write(`${warning}\n`);
  const ca = settings.ca === undefined ? undefined : await readCaFile(settings.ca);
  if (options.needCredentials && settings.loginName === undefined) {
    const missing: string[] = [];
    if (settings.user === undefined) missing.push("--user (or RCC_USER)");
    if (settings.authUrl === undefined) missing.push("--auth-url or --env ppe|prod (or RCC_AUTH_URL)");
    if (missing.length > 0) throw new CliError(`missing ${missing.join(", ")}`, EXIT.usage);
    await ensurePassword(settings);
  }
  return { settings, log, ...(ca === undefined ? {} : { ca }) };
}

/**
 * Reads a text file a command was given, e.g. `--tls-cert`.
 * @param what how the message names it: "--tls-cert" gives `cannot read --tls-cert 'x.pem' (ENOENT)`.
 * @throws CliError (exit 1) when it cannot be read.
 */
export async function readGivenFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(
      `cannot read ${what} '${path}' (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      EXIT.usage,
    );
  }
}

/**
 * Reads a PEM file of extra trusted CAs (`--ca`, `ca` in a config file).
 * @param where what named it, prefixed to the message: "account 'x' of --config 'y'". @default none
 * @throws CliError (exit 1) when it cannot be read.
 */
export async function readCaFile(path: string, where?: string): Promise<string> {
  try {
    return await readGivenFile(path, "the CA file");
  } catch (error) {
    if (where === undefined) throw error;
    throw new CliError(`${where}: ${(error as Error).message}`, EXIT.usage);
  }
}

/** The token-manager settings of a token login: credentials, endpoint, and 3 tries 500 ms apart per grant. */
function tokenFields(settings: Settings) {
  return {
    authUrl: settings.authUrl ?? "",
    user: settings.user ?? "",
    password: settings.password ?? "",
    clientId: settings.clientId ?? settings.user ?? "",
    ...(settings.clientSecret === undefined ? {} : { clientSecret: settings.clientSecret }),
    ...(settings.scope === undefined ? {} : { scope: settings.scope }),
    retry: { maxAttempts: 3, initialDelayMs: 500 },
  };
}

/**
 * The contributor options of resolved settings: a user-name Login when `loginName` is set (the token settings
 * are then ignored), else a token login for `user`; posts off-stream or on-stream as `postMode` says.
 * @throws CliError (exit 1) when no endpoint is set.
 */
export function contributorOptions(
  connection: ResolvedConnection,
  extra: Partial<ContributorOptions> = {},
): ContributorOptions {
  const { settings, log, ca } = connection;
  if (settings.urls.length === 0)
    throw new CliError("missing --url (or RCC_URLS): the RCC WebSocket endpoint(s)", EXIT.usage);
  const auth = settings.loginName === undefined ? tokenFields(settings) : { auth: { userName: settings.loginName } };
  return {
    urls: settings.urls,
    ...auth,
    postMode: settings.postMode,
    applicationId: settings.appId,
    ...(settings.position === undefined ? {} : { position: settings.position }),
    service: settings.service,
    ...(ca === undefined ? {} : { tls: { ca } }),
    log,
    ...traceOption(settings),
    ...extra,
  };
}

/** Builds a contributor from resolved settings (see {@link contributorOptions}). */
export function buildContributor(connection: ResolvedConnection, extra: Partial<ContributorOptions> = {}): Contributor {
  return new Contributor(contributorOptions(connection, extra));
}

/**
 * Builds a token manager (for `rcc token`), trusting `ca` when given and going through HTTPS_PROXY/HTTP_PROXY
 * (unless NO_PROXY or a loopback host) as the contributor's token requests do.
 */
export function buildTokenManager(connection: ResolvedConnection): {
  manager: TokenManager;
  dispose: () => Promise<void>;
} {
  const { settings, log, ca } = connection;
  const dispatcher = dispatcherFor(settings.authUrl ?? "", { proxy: undefined, tls: ca === undefined ? {} : { ca } });
  const manager = new TokenManager({
    ...tokenFields(settings),
    log,
    ...(dispatcher ? { fetch: undici().fetch as unknown as typeof globalThis.fetch, dispatcher } : {}),
  });
  return {
    manager,
    dispose: async () => {
      manager.stop();
      await dispatcher?.close();
    },
  };
}

/**
 * The embedded simulator of `rcc demo` and the settings that point at it. With `loginName` it runs the ADS
 * profile (§4A) with that DACS user as its account, so the user-name Login is accepted; otherwise the RCC
 * profile with its demo account, whose credentials the settings carry.
 */
export async function embeddedSimulator(
  log: Logger,
  options: { loginName?: string } = {},
): Promise<{ sim: RunningSimulator; settings: Partial<Settings> }> {
  // Loaded here, not at the top: only `rcc demo` without a target needs the simulator (~200 ms of imports).
  const { startSimulator } = await import("../simulator/index.js");
  const component = log.child({ component: "simulator" });
  if (options.loginName !== undefined) {
    // DACS does not check passwords on user-name logins; the account's password is never used.
    const account = { user: options.loginName, password: randomBytes(16).toString("hex") };
    const sim = await startSimulator({ profile: "ads", accounts: [account], log: component });
    return { sim, settings: { urls: sim.wsUrls } };
  }
  const sim = await startSimulator({ log: component });
  const account = sim.accounts[0];
  if (!account) throw new CliError("the embedded simulator has no account", EXIT.usage);
  return {
    sim,
    settings: {
      user: account.user,
      password: account.password,
      clientId: account.clientId,
      authUrl: sim.authUrl,
      urls: sim.wsUrls,
    },
  };
}

/**
 * The TLS verification failure behind an error (its code, or "untrusted"), if that is what it is: the library's
 * CertificateError, a TLS code anywhere in the cause chain, or, last, the words of one.
 */
function certificateProblem(error: Error): string | undefined {
  const code = findCause(error, CertificateError)?.certificateCode ?? certificateFailureCode(error);
  if (code !== undefined) return code;
  return /self[- ]signed|unable to verify|certificate/i.test(`${error.message} ${causeText(error)}`)
    ? "untrusted"
    : undefined;
}

/**
 * Maps a failure to the documented exit code and one clear line (no secrets: library messages never hold them).
 * `settings` (when known) tailor the hints, e.g. to a user-name Login.
 */
export function toCliError(error: unknown, settings?: Pick<Settings, "loginName" | "authUrl">): CliError {
  if (error instanceof CliError) return error;
  const certificate = error instanceof Error ? certificateProblem(error) : undefined;
  if (certificate !== undefined) {
    return new CliError(
      `cannot connect: the server's certificate is not trusted (${certificate}) — pass the certificate of the CA that signed it with --ca <file.pem>, or check the URL`,
      EXIT.connection,
      CERTIFICATE_ERROR_CODE,
    );
  }
  const notFound = findCause(error, AuthEndpointNotFoundError);
  if (notFound) {
    // A wrong URL, not wrong credentials: the connection's exit code, and the flag to fix.
    const url = settings?.authUrl === undefined ? "" : ` at ${shownUrl(settings.authUrl)}`;
    return new CliError(
      `token endpoint not found (HTTP 404)${url} — check --auth-url (or --env)`,
      EXIT.connection,
      notFound.code,
    );
  }
  const unavailable = findCause(error, AuthUnavailableError);
  if (unavailable) {
    const status = unavailable.status;
    const hint =
      status === 429
        ? "too many token requests: wait a minute, then try again"
        : status !== undefined
          ? "the token service is failing: try again later"
          : "check --auth-url and the network";
    return new CliError(`cannot get a token: ${unavailable.message} — ${hint}`, EXIT.connection, unavailable.code);
  }
  const invalid = findCause(error, InvalidCredentialsError);
  if (invalid) {
    return new CliError(
      `authentication failed: ${invalid.message} — check --user, the password and --clientid`,
      EXIT.auth,
      invalid.code,
    );
  }
  const auth = findCause(error, AuthError);
  if (auth) return new CliError(`authentication failed: ${auth.message}`, EXIT.auth, auth.code);
  if (error instanceof LoginRefusedError) {
    const hint =
      settings?.loginName === undefined
        ? "is the machine ID set up for contributions and the token valid?"
        : `does the server take user-name Logins (an on-site ADS does; RCC itself takes only RDP tokens) and know '${settings.loginName}'?`;
    return new CliError(`${error.message} — ${hint}`, error.retriable ? EXIT.connection : EXIT.auth, error.code);
  }
  if (error instanceof NakError || error instanceof ContentError)
    return new CliError(error.message, EXIT.nak, error.code);
  if (error instanceof AckTimeoutError) return new CliError(error.message, EXIT.ackTimeout, error.code);
  if (error instanceof ValidationError) return new CliError(error.message, EXIT.usage, error.code);
  if (error instanceof ConnectionLostError) {
    // The hint follows the last attempt's failure: a refusing server is not a network problem (token
    // endpoint failures are answered above, whatever wraps them).
    const hint =
      error.cause instanceof LoginRefusedError
        ? "the server refused the Login; try again later, or check the account"
        : "check --url and the network";
    return new CliError(`could not connect: ${error.message} — ${hint}`, EXIT.connection, error.code);
  }
  if (error instanceof InvalidOptionsError) return new CliError(error.message, EXIT.usage, error.code);
  return new CliError(error instanceof Error ? error.message : String(error), EXIT.usage);
}

/** The error itself or the first of its causes (up to four deep) that is an instance of `type`. */
function findCause<T extends Error>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof type) return current;
    current = current.cause;
  }
  return undefined;
}

function causeText(error: Error): string {
  let out = "";
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    out += ` ${cause.message} ${(cause as NodeJS.ErrnoException).code ?? ""}`;
    cause = cause.cause;
  }
  return out;
}

/** Where getting connected was when its deadline passed: what we waited for, and what to check. */
export interface ConnectStep {
  /** e.g. "the token endpoint https://…/token". */
  waitingFor: string;
  hint: string;
}

/** The failure a passed connect deadline ends the command with (exit 4, code `RCC_CLI_CONNECT_TIMEOUT`), naming the step. */
export function connectDeadlineError(step: ConnectStep, timeoutMs: number): CliError {
  return new CliError(
    `timed out after ${formatDuration(timeoutMs)} waiting for ${step.waitingFor} — ${step.hint}, or raise --connect-timeout`,
    EXIT.connection,
    "RCC_CLI_CONNECT_TIMEOUT",
  );
}

/** The token endpoint's step, its URL without user-info or query. */
function tokenStep(authUrl: string | undefined): ConnectStep {
  let shown = "";
  try {
    shown = ` ${safeUrl(authUrl ?? "")}`;
  } catch {
    // an invalid URL fails in the token manager's checks first
  }
  return { waitingFor: `the token endpoint${shown}`, hint: "check --auth-url (or --env), the network and HTTPS_PROXY" };
}

/** What a session in `state` is waiting for. */
function sessionStep(state: SessionState, url: string, settings: Settings): ConnectStep {
  if ((state === "idle" || state === "authenticating") && settings.loginName === undefined) {
    return tokenStep(settings.authUrl);
  }
  if (state === "logging-in") {
    return {
      waitingFor: `the Login Refresh from ${url}`,
      hint: "the server took the connection but did not answer the Login: check that --url is an RCC (or ADS) WebSocket endpoint",
    };
  }
  return { waitingFor: `the WebSocket handshake with ${url}`, hint: "check --url, the firewall and HTTPS_PROXY" };
}

/**
 * Races `work` against `timeoutMs`. When the time is up first, asks `step` where things stand, then `abort`s the
 * work (closing what it opened, so nothing keeps the process alive) and throws {@link connectDeadlineError}.
 */
export async function withConnectDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  step: () => ConnectStep,
  abort: () => Promise<unknown>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = Symbol("expired");
  const deadline = new Promise<typeof expired>((resolve) => {
    timer = setTimeout(() => resolve(expired), timeoutMs);
  });
  try {
    const first = await Promise.race([work, deadline]);
    if (first !== expired) return first;
  } finally {
    clearTimeout(timer);
  }
  const error = connectDeadlineError(step(), timeoutMs);
  work.catch(() => undefined); // abort() makes it reject; that is expected now
  await abort();
  throw error;
}

/** Options of {@link connectWithin}, {@link openWithin} and {@link tokenWithin}. */
export interface ConnectWithinOptions {
  /**
   * Say on stderr what getting connected is waiting for once it has taken 2 s (`rcc: waiting for the token
   * endpoint …`, `rcc: connecting to … (attempt 2)`; waiting-notes.ts). Turn it off for a command that draws its
   * own progress line.
   * @default true
   */
  waitingNotes?: boolean;
  /** Time source of the notes. @default systemClock */
  clock?: Clock;
}

/** What {@link followConnect} hears from a contributor or a consumer while it gets connected. */
interface ConnectFollower {
  readonly onState: (change: { from: SessionState; to: SessionState; cause?: Error }) => void;
  readonly onReconnecting: (plan: { attempt: number; delayMs: number; cause: Error }) => void;
  /** Where things stand, for the deadline's message. */
  readonly step: () => ConnectStep;
  /** Notes the first step (the session may not have changed state yet). */
  readonly start: () => void;
  readonly stop: () => void;
}

/** The notes of a wait on stderr, unless `options.waitingNotes` is false. */
function waitingNotesFor(options: ConnectWithinOptions): WaitingNotes | undefined {
  if (options.waitingNotes === false) return undefined;
  return new WaitingNotes({
    clock: options.clock ?? systemClock,
    write: (line) => void process.stderr.write(`${line}\n`),
  });
}

/**
 * Follows a session's states and reconnect plans while it gets connected: for the deadline's message (the
 * step, with the last attempt's failure while backing off) and for the waiting notes.
 * @param current the session's state and the endpoint in use or next in line.
 */
function followConnect(
  settings: Settings,
  current: () => { state: SessionState; url: string },
  options: ConnectWithinOptions,
): ConnectFollower {
  let lastFailure: { from: SessionState; cause?: Error } | undefined;
  let lastPlan: SessionProgress["lastPlan"];
  let planKnown = true;
  const notes = waitingNotesFor(options);
  const authUrl = settings.loginName === undefined ? settings.authUrl : undefined;
  const note = (): void => {
    if (notes === undefined) return;
    const { state, url } = current();
    notes.step(sessionNote({ state, url, authUrl, lastPlan, planKnown }));
  };
  return {
    onState(change) {
      if (change.to === "backing-off") {
        lastFailure = change.cause === undefined ? { from: change.from } : change;
        planKnown = false; // the reconnect plan is published right after this state
      }
      note();
    },
    onReconnecting(plan) {
      lastPlan = { attempt: plan.attempt, delayMs: plan.delayMs, cause: plan.cause };
      planKnown = true;
      note();
    },
    step() {
      const { state, url } = current();
      if (state !== "backing-off" || lastFailure === undefined) return sessionStep(state, url, settings);
      const failed = sessionStep(lastFailure.from, url, settings);
      const cause = lastFailure.cause?.message;
      return {
        ...failed,
        waitingFor: `${failed.waitingFor} (retrying${cause === undefined ? "" : ` after: ${cause}`})`,
      };
    },
    start: note,
    stop: () => notes?.stop(),
  };
}

/**
 * `contributor.connect()` within the settings' connect deadline (`--connect-timeout`), which bounds the token
 * requests, the WebSocket handshakes, the Logins and the backoff between attempts together. On expiry the
 * contributor is closed and the error names the step: the token endpoint, the handshake or the Login Refresh
 * (with the last attempt's failure while backing off). Once it has taken 2 s, each step waited for is said on
 * stderr (see {@link ConnectWithinOptions.waitingNotes}).
 */
export async function connectWithin(
  contributor: Contributor,
  connection: ResolvedConnection,
  options: ConnectWithinOptions = {},
): Promise<void> {
  const { settings } = connection;
  const follower = followConnect(settings, () => ({ state: contributor.state, url: contributor.stats().url }), options);
  const onState = follower.onState;
  const onReconnecting = follower.onReconnecting;
  contributor.on("state", onState);
  contributor.on("reconnecting", onReconnecting);
  try {
    const connecting = contributor.connect();
    follower.start();
    await withConnectDeadline(connecting, settings.connectTimeoutMs, follower.step, () => contributor.close());
  } finally {
    follower.stop();
    contributor.off("state", onState);
    contributor.off("reconnecting", onReconnecting);
  }
}

/**
 * `manager.getToken()` within the settings' connect deadline; on expiry the manager is stopped. Once it has
 * taken 2 s, `rcc: waiting for the token endpoint …` is said on stderr (unless `waitingNotes: false`).
 */
export async function tokenWithin(
  manager: TokenManager,
  connection: ResolvedConnection,
  options: ConnectWithinOptions = {},
): Promise<AccessToken> {
  const { settings } = connection;
  const notes = waitingNotesFor(options);
  try {
    const getting = manager.getToken();
    notes?.step(`rcc: waiting for the token endpoint ${shownUrl(settings.authUrl)}`);
    return await withConnectDeadline(
      getting,
      settings.connectTimeoutMs,
      () => tokenStep(settings.authUrl),
      () => Promise.resolve(manager.stop()),
    );
  } finally {
    notes?.stop();
  }
}

/**
 * `consumer.open()` within the settings' connect deadline (`--connect-timeout`), which bounds the token
 * requests, the WebSocket handshakes, the Logins and the backoff between attempts together, as
 * {@link connectWithin} does for a contributor, waiting notes included. On expiry the consumer is closed (and
 * `manager`, a token login's, stopped) and the error names the step, with the last attempt's failure while
 * backing off.
 */
export async function openWithin(
  consumer: Consumer,
  connection: ResolvedConnection,
  manager: TokenManager | undefined,
  options: ConnectWithinOptions = {},
): Promise<ConsumerLoginInfo> {
  const { settings } = connection;
  const follower = followConnect(settings, () => ({ state: consumer.state, url: consumer.url }), options);
  const offStatus = consumer.onStatus((event) => {
    if (event.type === "state") follower.onState(event);
    else if (event.type === "reconnecting") follower.onReconnecting(event);
  });
  try {
    const opening = consumer.open();
    follower.start();
    return await withConnectDeadline(opening, settings.connectTimeoutMs, follower.step, async () => {
      manager?.stop();
      await consumer.close();
    });
  } finally {
    follower.stop();
    offStatus();
  }
}
