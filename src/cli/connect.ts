/**
 * What the connected commands (demo, post, contribute, token) share: their flags, turning settings into a
 * Contributor or a TokenManager, the embedded simulator for `rcc demo`, and mapping failures to exit codes.
 */
import { readFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { Agent, fetch as undiciFetch } from "undici";
import { AuthError, AuthUnavailableError } from "../client/auth-errors.js";
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
import { DEMO_RIC, type RunningSimulator, startSimulator } from "../simulator/index.js";
import type { Logger } from "../util/logger.js";
import { CliError, EXIT } from "./exit-codes.js";
import { createCliLogger } from "./logging.js";
import { promptSecret } from "./prompt.js";
import { resolveSettings, type Settings, type SettingsFlags } from "./settings.js";

/** Flags every connected command has. */
export interface ConnectionFlags extends SettingsFlags {
  json?: boolean;
  verbose?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds the connection flags (the tutorial's `--user --password --clientid`, plus endpoints, TLS and logging). */
export function addConnectionOptions(command: Command): Command {
  return command
    .option("--user <machine-id>", "machine ID (RCC_USER)")
    .option(
      "--password <password>",
      "password; visible to other users of this machine, prefer --password-file (RCC_PASSWORD)",
    )
    .option("--password-file <file>", "read the password from a file (RCC_PASSWORD_FILE)")
    .option("--clientid <id>", "client id / app key; defaults to the machine ID (RCC_CLIENT_ID)")
    .option("--auth-url <url>", "RDP token endpoint (RCC_AUTH_URL)")
    .addOption(new Option("--env <env>", "LSEG token endpoint: ppe or prod (RCC_ENV)").choices(["ppe", "prod"]))
    .option(
      "--url <url>",
      "RCC WebSocket endpoint, wss://host/WebSocket; repeat for failover order (RCC_URLS, comma-separated)",
      collect,
    )
    .option("--app-id <id>", "Login ApplicationId (RCC_APP_ID)", undefined)
    .option("--position <ip/host>", "Login Position; default: this machine's IP/hostname (RCC_POSITION)")
    .option("--service <name>", "service of the posts (RCC_SERVICE)", undefined)
    .option("--ca <file>", "PEM file of extra trusted certificate authorities (RCC_CA)")
    .option("--config <file>", "JSON config file with the same keys (RCC_CONFIG)")
    .addOption(
      new Option("--log-level <level>", "log level on stderr (RCC_LOG_LEVEL)").choices([
        "trace",
        "debug",
        "info",
        "warn",
        "error",
        "silent",
      ]),
    )
    .addOption(new Option("--log-format <format>", "log format on stderr (RCC_LOG_FORMAT)").choices(["json", "pretty"]))
    .option("--json", "machine-readable output: one JSON object per line on stdout")
    .option("--verbose", "show stack traces on errors");
}

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

export { DEMO_RIC };

/** Maps a failure to the documented exit code and one clear line (no secrets: library messages never hold them). */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof AuthUnavailableError) {
    return new CliError(
      `cannot reach the token endpoint: ${describe(error)} — check --auth-url and the network`,
      EXIT.connection,
    );
  }
  if (error instanceof AuthError) return new CliError(`authentication failed: ${describe(error)}`, EXIT.auth);
  if (error instanceof LoginRefusedError) {
    return new CliError(
      `${error.message} — is the machine ID set up for contributions and the token valid?`,
      error.retriable ? EXIT.connection : EXIT.auth,
    );
  }
  if (error instanceof NakError || error instanceof ContentError) return new CliError(error.message, EXIT.nak);
  if (error instanceof AckTimeoutError) return new CliError(error.message, EXIT.ackTimeout);
  if (error instanceof ValidationError) return new CliError(error.message, EXIT.usage);
  if (error instanceof ConnectionLostError)
    return new CliError(`could not connect: ${describe(error)}`, EXIT.connection);
  if (error instanceof RccError && error.code === "RCC_INVALID_OPTIONS") return new CliError(error.message, EXIT.usage);
  return new CliError(error instanceof Error ? error.message : String(error), EXIT.usage);
}

function describe(error: Error): string {
  const text = error.message;
  if (/self[- ]signed|unable to verify|certificate/i.test(`${text} ${causeText(error)}`)) {
    return `${text} (the server's certificate is not trusted: pass its CA with --ca)`;
  }
  return text;
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
