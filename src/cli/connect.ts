/**
 * What the connected commands (demo, post, contribute, token) share once they run: turning settings into a
 * Contributor or a TokenManager, the embedded simulator for `rcc demo`, and mapping failures to exit codes.
 * Their flags are in connection-options.ts (kept light for start-up time).
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { AuthError, AuthUnavailableError, InvalidCredentialsError } from "../client/auth-errors.js";
import { dispatcherFor } from "../client/contributor-auth.js";
import { Contributor, type ContributorOptions } from "../client/contributor.js";
import { CertificateError, certificateFailureCode, RccError } from "../client/errors.js";
import {
  AckTimeoutError,
  ConnectionLostError,
  ContentError,
  LoginRefusedError,
  NakError,
  ValidationError,
} from "../client/post-errors.js";
import { TokenManager } from "../client/token-manager.js";
import type { RunningSimulator } from "../simulator/index.js";
import { undici } from "../client/undici-lazy.js";
import type { Logger } from "../util/logger.js";
import type { ConnectionFlags } from "./connection-options.js";
import { CliError, EXIT } from "./exit-codes.js";
import { createCliLogger } from "./logging.js";
import { promptSecret } from "./prompt.js";
import { resolveSettings, type Settings } from "./settings.js";

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
}

/** Settings completed with a password (prompted when needed) and the logger. */
export interface ResolvedConnection {
  settings: Settings;
  log: Logger;
  ca?: string;
}

/**
 * Resolves settings, reads the CA file, prompts for a missing password on a terminal, warns about `--password`.
 * With `needCredentials`, a token login needs `--user`, a token endpoint and a password; a user-name login
 * (`--login-name`) needs none of them.
 */
export async function resolveConnection(
  flags: ConnectionFlags,
  options: { needCredentials: boolean },
): Promise<ResolvedConnection> {
  const settings = await resolveSettings(flags);
  const log = createCliLogger(settings.logLevel, settings.logFormat);
  if (settings.passwordSource === "flag") {
    process.stderr.write(
      "rcc: warning: --password is visible to other users of this machine (ps); prefer --password-file or RCC_PASSWORD\n",
    );
  }
  let ca: string | undefined;
  if (settings.ca !== undefined) {
    try {
      ca = await readFile(settings.ca, "utf8");
    } catch (error) {
      throw new CliError(
        `cannot read the CA file '${settings.ca}' (${(error as NodeJS.ErrnoException).code ?? "error"})`,
        EXIT.usage,
      );
    }
  }
  if (options.needCredentials && settings.loginName === undefined) {
    const missing: string[] = [];
    if (settings.user === undefined) missing.push("--user (or RCC_USER)");
    if (settings.authUrl === undefined) missing.push("--auth-url or --env ppe|prod (or RCC_AUTH_URL)");
    if (missing.length > 0) throw new CliError(`missing ${missing.join(", ")}`, EXIT.usage);
    await ensurePassword(settings);
  }
  return { settings, log, ...(ca === undefined ? {} : { ca }) };
}

/** The token-manager settings of a token login: credentials, endpoint, and 3 tries 500 ms apart per grant. */
function tokenFields(settings: Settings) {
  return {
    authUrl: settings.authUrl ?? "",
    user: settings.user ?? "",
    password: settings.password ?? "",
    clientId: settings.clientId ?? settings.user ?? "",
    ...(settings.clientSecret === undefined ? {} : { clientSecret: settings.clientSecret }),
    retry: { maxAttempts: 3, initialDelayMs: 500 },
  };
}

/**
 * Builds a contributor from resolved settings: a user-name Login when `loginName` is set (the token settings
 * are then ignored), else a token login for `user`; posts off-stream or on-stream as `postMode` says.
 */
export function buildContributor(connection: ResolvedConnection, extra: Partial<ContributorOptions> = {}): Contributor {
  const { settings, log, ca } = connection;
  if (settings.urls.length === 0)
    throw new CliError("missing --url (or RCC_URLS): the RCC WebSocket endpoint(s)", EXIT.usage);
  const auth = settings.loginName === undefined ? tokenFields(settings) : { auth: { userName: settings.loginName } };
  return new Contributor({
    urls: settings.urls,
    ...auth,
    postMode: settings.postMode,
    applicationId: settings.appId,
    ...(settings.position === undefined ? {} : { position: settings.position }),
    service: settings.service,
    ...(ca === undefined ? {} : { tls: { ca } }),
    log,
    ...extra,
  });
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
export function toCliError(error: unknown, settings?: Pick<Settings, "loginName">): CliError {
  if (error instanceof CliError) return error;
  const certificate = error instanceof Error ? certificateProblem(error) : undefined;
  if (certificate !== undefined) {
    return new CliError(
      `cannot connect: the server's certificate is not trusted (${certificate}) — pass the certificate of the CA that signed it with --ca <file.pem>, or check the URL`,
      EXIT.connection,
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
    return new CliError(`cannot get a token: ${unavailable.message} — ${hint}`, EXIT.connection);
  }
  const invalid = findCause(error, InvalidCredentialsError);
  if (invalid) {
    return new CliError(
      `authentication failed: ${invalid.message} — check --user, the password and --clientid`,
      EXIT.auth,
    );
  }
  const auth = findCause(error, AuthError);
  if (auth) return new CliError(`authentication failed: ${auth.message}`, EXIT.auth);
  if (error instanceof LoginRefusedError) {
    const hint =
      settings?.loginName === undefined
        ? "is the machine ID set up for contributions and the token valid?"
        : `does the server take user-name Logins (an on-site ADS does; RCC itself takes only RDP tokens) and know '${settings.loginName}'?`;
    return new CliError(`${error.message} — ${hint}`, error.retriable ? EXIT.connection : EXIT.auth);
  }
  if (error instanceof NakError || error instanceof ContentError) return new CliError(error.message, EXIT.nak);
  if (error instanceof AckTimeoutError) return new CliError(error.message, EXIT.ackTimeout);
  if (error instanceof ValidationError) return new CliError(error.message, EXIT.usage);
  if (error instanceof ConnectionLostError) {
    return new CliError(`could not connect: ${error.message} — check --url and the network`, EXIT.connection);
  }
  if (error instanceof RccError && error.code === "RCC_INVALID_OPTIONS") return new CliError(error.message, EXIT.usage);
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
