/**
 * What the connected commands (demo, post, contribute, token) share once they run: turning settings into a
 * Contributor or a TokenManager, the embedded simulator for `rcc demo`, and mapping failures to exit codes.
 * Their flags are in connection-options.ts (kept light for start-up time).
 */
import { readFile } from "node:fs/promises";
import { Agent, fetch as undiciFetch } from "undici";
import { AuthError, AuthUnavailableError, InvalidCredentialsError } from "../client/auth-errors.js";
import { Contributor, type ContributorOptions } from "../client/contributor.js";
import { RccError } from "../client/errors.js";
import {
  AckTimeoutError,
  ConnectionLostError,
  ContentError,
  LoginRefusedError,
  NakError,
  ValidationError,
} from "../client/post-errors.js";
import { TokenManager } from "../client/token-manager.js";
import { type RunningSimulator, startSimulator } from "../simulator/index.js";
import type { Logger } from "../util/logger.js";
import type { ConnectionFlags } from "./connection-options.js";
import { CliError, EXIT } from "./exit-codes.js";
import { createCliLogger } from "./logging.js";
import { promptSecret } from "./prompt.js";
import { resolveSettings, type Settings } from "./settings.js";

/** Settings completed with a password (prompted when needed) and the logger. */
export interface ResolvedConnection {
  settings: Settings;
  log: Logger;
  ca?: string;
}

/** Resolves settings, reads the CA file, prompts for a missing password on a terminal, warns about `--password`. */
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
  if (options.needCredentials) {
    const missing: string[] = [];
    if (settings.user === undefined) missing.push("--user (or RCC_USER)");
    if (settings.authUrl === undefined) missing.push("--auth-url or --env ppe|prod (or RCC_AUTH_URL)");
    if (missing.length > 0) throw new CliError(`missing ${missing.join(", ")}`, EXIT.usage);
    if (settings.password === undefined) {
      if (process.stdin.isTTY) {
        settings.password = await promptSecret(`Password for ${settings.user ?? ""}: `);
        settings.passwordSource = "prompt";
      } else {
        throw new CliError(
          "missing password: use --password-file, RCC_PASSWORD, or run in a terminal to be asked",
          EXIT.usage,
        );
      }
    }
  }
  return { settings, log, ...(ca === undefined ? {} : { ca }) };
}

/** Builds a contributor from resolved settings. */
export function buildContributor(connection: ResolvedConnection, extra: Partial<ContributorOptions> = {}): Contributor {
  const { settings, log, ca } = connection;
  if (settings.urls.length === 0)
    throw new CliError("missing --url (or RCC_URLS): the RCC WebSocket endpoint(s)", EXIT.usage);
  return new Contributor({
    urls: settings.urls,
    authUrl: settings.authUrl ?? "",
    user: settings.user ?? "",
    password: settings.password ?? "",
    clientId: settings.clientId ?? settings.user ?? "",
    ...(settings.clientSecret === undefined ? {} : { clientSecret: settings.clientSecret }),
    applicationId: settings.appId,
    ...(settings.position === undefined ? {} : { position: settings.position }),
    service: settings.service,
    ...(ca === undefined ? {} : { tls: { ca } }),
    retry: { maxAttempts: 3, initialDelayMs: 500 },
    log,
    ...extra,
  });
}

/** Builds a token manager (for `rcc token`), trusting `ca` when given. */
export function buildTokenManager(connection: ResolvedConnection): {
  manager: TokenManager;
  dispose: () => Promise<void>;
} {
  const { settings, log, ca } = connection;
  const dispatcher = ca === undefined ? undefined : new Agent({ connect: { ca } });
  const manager = new TokenManager({
    authUrl: settings.authUrl ?? "",
    user: settings.user ?? "",
    password: settings.password ?? "",
    clientId: settings.clientId ?? settings.user ?? "",
    ...(settings.clientSecret === undefined ? {} : { clientSecret: settings.clientSecret }),
    retry: { maxAttempts: 3, initialDelayMs: 500 },
    log,
    ...(dispatcher ? { fetch: undiciFetch as unknown as typeof globalThis.fetch, dispatcher } : {}),
  });
  return {
    manager,
    dispose: async () => {
      manager.stop();
      await dispatcher?.close();
    },
  };
}

/** The embedded simulator of `rcc demo` and the settings that point at it. */
export async function embeddedSimulator(log: Logger): Promise<{ sim: RunningSimulator; settings: Partial<Settings> }> {
  const sim = await startSimulator({ log: log.child({ component: "simulator" }) });
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

/** TLS verification failures, as OpenSSL/Node name them. */
const CERTIFICATE_CODES =
  /\b(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID)\b/;

/** The TLS verification failure behind an error (its code, or "untrusted"), if that is what it is. */
function certificateProblem(error: Error): string | undefined {
  const text = `${error.message} ${causeText(error)}`;
  const code = CERTIFICATE_CODES.exec(text)?.[1];
  if (code !== undefined) return code;
  return /self[- ]signed|unable to verify|certificate/i.test(text) ? "untrusted" : undefined;
}

/** Maps a failure to the documented exit code and one clear line (no secrets: library messages never hold them). */
export function toCliError(error: unknown): CliError {
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
    return new CliError(
      `${error.message} — is the machine ID set up for contributions and the token valid?`,
      error.retriable ? EXIT.connection : EXIT.auth,
    );
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
