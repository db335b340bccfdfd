/** The work of `rcc gateway` (see gateway.ts). */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ApiKeyConfig, GatewayNatsOptions, RunningGateway } from "../../gateway/index.js";
import type { RunningSimulator } from "../../simulator/index.js";
import { contributorOptions, embeddedSimulator, readGivenFile, resolveConnection } from "../connect.js";
import type { ConnectionFlags } from "../connection-options.js";
import { CliError, EXIT } from "../exit-codes.js";
import { loadGatewayConfig } from "../gateway-config.js";
import { createCliLogger } from "../logging.js";
import { DEFAULT_GATEWAY_PORT } from "./shared.js";
import { onStopSignals } from "../stopping.js";
import { jsonLine, safeLine } from "../terminal-text.js";

/** Flags of `rcc gateway`. */
export interface GatewayFlags extends Omit<ConnectionFlags, "port" | "hostname" | "scheme" | "config"> {
  newKey?: string;
  config?: string;
  outbox?: string;
  host?: string;
  port?: number;
  rics: string;
  conflate?: boolean;
  apiKeyFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  retention?: number;
  shutdownTimeout: number;
  nats?: string;
  natsCreds?: string;
}

/** The single account's name when it comes from flags. */
const ACCOUNT_NAME = "default";

/** Whether an RCC target was given (flags or environment): then no embedded simulator. */
function hasExplicitTarget(flags: GatewayFlags, env: NodeJS.ProcessEnv): boolean {
  const given = [flags.user, flags.url, flags.authUrl, flags.env, flags.loginName];
  given.push(env.RCC_USER, env.RCC_URLS, env.RCC_AUTH_URL, env.RCC_ENV, env.RCC_LOGIN_NAME);
  return given.some((value) => value !== undefined && value !== "");
}

/** Reads `--api-key-file`. @throws CliError (exit 1) naming what is wrong with it. */
async function readApiKeys(path: string): Promise<ApiKeyConfig[]> {
  const text = await readGivenFile(path, "--api-key-file");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--api-key-file '${path}' is not valid JSON: ${(error as Error).message}`, EXIT.usage);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new CliError(`--api-key-file '${path}' must hold a non-empty JSON array of keys`, EXIT.usage);
  }
  return parsed.map((entry: unknown, index) => {
    const key = entry as Partial<ApiKeyConfig> | null;
    if (typeof key !== "object" || key === null || typeof key.name !== "string" || typeof key.sha256 !== "string") {
      throw new CliError(`--api-key-file '${path}': key ${index + 1} needs "name" and "sha256" strings`, EXIT.usage);
    }
    for (const list of ["accounts", "rics"] as const) {
      const value = key[list];
      if (value !== undefined && (!Array.isArray(value) || !value.every((item) => typeof item === "string"))) {
        throw new CliError(
          `--api-key-file '${path}': key ${index + 1}'s "${list}" must be an array of strings`,
          EXIT.usage,
        );
      }
    }
    return key as ApiKeyConfig;
  });
}

/**
 * `--new-key NAME`: prints a new key (the only time it is shown) and the entry that makes the gateway accept
 * it, for `--api-key-file` or the config file's `apiKeys`.
 */
async function printNewKey(name: string, json: boolean): Promise<void> {
  if (name.trim() === "") throw new CliError("--new-key needs a name for the key's holder", EXIT.usage);
  const { generateApiKey } = await import("../../gateway/index.js");
  const { key, sha256 } = generateApiKey();
  const entry = { name, sha256, accounts: ["*"], rics: ["*"] };
  if (json) {
    process.stdout.write(`${jsonLine({ key, entry })}\n`);
    return;
  }
  const lines = [
    `key    ${key}`,
    "       (shown once: give it to the producer, who sends it as 'Authorization: Bearer <key>')",
    `entry  ${JSON.stringify(entry)}`,
    "       (add it to --api-key-file or the config file's apiKeys; narrow accounts and rics as needed)",
  ];
  process.stdout.write(`${lines.map((line) => safeLine(line)).join("\n")}\n`);
}

/** The cluster mode's settings: the config file's `nats`, with `--nats` and `--nats-creds` over it. */
function natsOptions(flags: GatewayFlags, fromConfig: GatewayNatsOptions | undefined): GatewayNatsOptions | undefined {
  if (flags.nats === undefined && flags.natsCreds !== undefined && fromConfig === undefined) {
    throw new CliError("--nats-creds goes with --nats (or the config file's nats)", EXIT.usage);
  }
  if (flags.nats === undefined) {
    return fromConfig === undefined || flags.natsCreds === undefined
      ? fromConfig
      : { ...fromConfig, credsFile: resolve(flags.natsCreds) };
  }
  const servers = flags.nats
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
  if (servers.length === 0) throw new CliError("--nats needs at least one nats:// URL", EXIT.usage);
  return {
    ...fromConfig,
    servers,
    ...(flags.natsCreds === undefined ? {} : { credsFile: resolve(flags.natsCreds) }),
  };
}

/** Whether `error` is nats.js failing to connect or to be let in (not a bad option of ours). */
function isNatsConnectError(error: unknown): boolean {
  const name = (error as Error).name;
  return ["ConnectionError", "AuthorizationError", "UserAuthenticationExpiredError", "TimeoutError"].includes(name);
}

/** Runs the gateway until a signal; sets `process.exitCode`. */
export async function runGateway(flags: GatewayFlags): Promise<void> {
  if (flags.newKey !== undefined) {
    await printNewKey(flags.newKey, flags.json === true);
    return;
  }
  if (flags.port !== undefined && flags.port > 65_535)
    throw new CliError(`--port must be 0–65535, got ${flags.port}`, EXIT.usage);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new CliError("--tls-cert and --tls-key go together", EXIT.usage);
  }
  const explicit = flags.config !== undefined || hasExplicitTarget(flags, process.env);
  // --port is the HTTP API's here: the RCC endpoint comes from --url only (and --config is not a settings file).
  const { port: _httpPort, config: _gatewayConfig, ...connectionFlags } = flags;
  let connection = await resolveConnection(connectionFlags, {
    needCredentials: explicit && flags.config === undefined,
  });
  // A service logs what it does unless told otherwise (the one-shot commands are silent by default).
  const logLevel = flags.logLevel ?? process.env.RCC_LOG_LEVEL ?? "info";
  const log = createCliLogger(logLevel, connection.settings.logFormat);
  connection = { ...connection, log };
  const rics = flags.rics
    .split(",")
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== "");
  if (rics.length === 0) throw new CliError("--rics needs at least one pattern", EXIT.usage);

  const config = flags.config === undefined ? undefined : await loadGatewayConfig(flags.config, log);
  for (const warning of config?.warnings ?? []) process.stderr.write(`${warning}\n`);
  const host = flags.host ?? config?.host ?? "127.0.0.1";
  const port = flags.port ?? config?.port ?? DEFAULT_GATEWAY_PORT;

  const gatewayModule = await import("../../gateway/index.js");
  let generatedKey: string | undefined;
  let apiKeys: ApiKeyConfig[];
  const keyFile = flags.apiKeyFile ?? config?.apiKeyFile;
  if (keyFile !== undefined) {
    apiKeys = [...(config?.apiKeys ?? []), ...(await readApiKeys(keyFile))];
  } else if (config?.apiKeys !== undefined) {
    apiKeys = config.apiKeys;
  } else {
    const generated = gatewayModule.generateApiKey();
    generatedKey = generated.key;
    apiKeys = [{ name: explicit ? "generated" : "demo", sha256: generated.sha256 }];
  }
  const tls =
    flags.tlsCert !== undefined && flags.tlsKey !== undefined
      ? { cert: await readGivenFile(flags.tlsCert, "--tls-cert"), key: await readGivenFile(flags.tlsKey, "--tls-key") }
      : undefined;

  const nats = natsOptions(flags, config?.nats);
  if (nats !== undefined && !explicit) {
    throw new CliError(
      "--nats needs an RCC target (--url and credentials, or --config): every gateway of a cluster posts to the same RCC (try one from `rcc simulate`)",
      EXIT.usage,
    );
  }
  if (nats !== undefined && flags.outbox !== undefined) {
    throw new CliError(
      "--outbox does not apply with --nats: the cluster keeps its items in its NATS streams",
      EXIT.usage,
    );
  }
  if (nats !== undefined && config?.outbox !== undefined) {
    process.stderr.write(
      `rcc: warning: the config file's outbox (${config.outbox}) is not used in cluster mode: the items are in the NATS streams\n`,
    );
  }

  let sim: RunningSimulator | undefined;
  let temporaryOutbox: string | undefined;
  if (!explicit) {
    const embedded = await embeddedSimulator(log);
    sim = embedded.sim;
    connection = { ...connection, settings: { ...connection.settings, ...embedded.settings } };
  }
  const outboxSetting = flags.outbox ?? config?.outbox;
  const outboxPath =
    nats !== undefined
      ? undefined
      : outboxSetting !== undefined
        ? resolve(outboxSetting)
        : explicit
          ? resolve("rcc-gateway.db")
          : (temporaryOutbox = join(tmpdir(), `rcc-gateway-demo-${randomBytes(6).toString("hex")}.db`));

  const cleanUp = async () => {
    await sim?.close();
    if (temporaryOutbox !== undefined) {
      for (const suffix of ["", "-wal", "-shm"]) await rm(`${temporaryOutbox}${suffix}`, { force: true });
    }
  };
  let gateway: RunningGateway;
  try {
    gateway = await gatewayModule.startGateway({
      accounts: config?.accounts ?? [
        { name: ACCOUNT_NAME, rics, contributor: contributorOptions(connection), conflate: flags.conflate === true },
      ],
      ...(outboxPath === undefined ? {} : { outboxPath }),
      ...(nats === undefined ? {} : { nats }),
      apiKeys,
      host,
      port,
      shutdownTimeoutMs: flags.shutdownTimeout,
      retentionMs: (flags.retention ?? config?.retentionHours ?? 24) * 3_600_000,
      log,
      ...(tls === undefined ? {} : { tls }),
    });
  } catch (error) {
    await cleanUp();
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      nats !== undefined && isNatsConnectError(error)
        ? `NATS at ${nats.servers.join(", ")} cannot be reached or refused this gateway (${(error as Error).message})`
        : code === "EADDRINUSE"
          ? `port ${port} on ${host} is in use: pick another with --port`
          : code === "EADDRNOTAVAIL"
            ? `${host} is not an address of this machine: check --host`
            : (error as Error).message;
    throw new CliError(`the gateway could not start: ${message}`, EXIT.usage);
  }

  const accounts = config?.accounts.map((account) => ({ name: account.name, rics: account.rics })) ?? [
    { name: ACCOUNT_NAME, rics },
  ];
  if (flags.json) {
    process.stdout.write(
      `${jsonLine({
        url: gateway.url,
        outbox: gateway.outboxPath,
        accounts,
        ...(generatedKey === undefined ? {} : { apiKey: generatedKey }),
        ...(gateway.cluster === undefined
          ? {}
          : { cluster: { gatewayId: gateway.cluster().gatewayId, servers: gateway.cluster().servers } }),
      })}\n`,
    );
  } else {
    const lines = [
      `rcc gateway ready (Ctrl+C to stop)${sim === undefined ? "" : " — against the embedded RCC simulator"}`,
      `  url      ${gateway.url}`,
      ...(gateway.cluster === undefined
        ? [`  outbox   ${gateway.outboxPath}${temporaryOutbox === undefined ? "" : " (temporary: removed on stop)"}`]
        : [
            `  cluster  NATS ${gateway.cluster().servers.join(", ")} as ${gateway.cluster().gatewayId}`,
            `  view     ${gateway.outboxPath} (local, rebuilt from the streams at each start)`,
          ]),
      ...accounts.map((account) => `  account  ${account.name}: ${account.rics.join(", ")}`),
      ...(generatedKey === undefined
        ? []
        : [
            `  API key  ${generatedKey}  (generated for this run; use --api-key-file to keep keys)`,
            "",
            "Try:",
            `  curl -H 'Authorization: Bearer ${generatedKey}' -H 'Content-Type: application/json' \\`,
            `    -d '{"ric":"TRCCTEST01","fields":{"BID":451.55}}' '${gateway.url}/v1/contributions?wait=ack'`,
          ]),
    ];
    process.stdout.write(`${lines.map((line) => safeLine(line)).join("\n")}\n`);
  }

  await new Promise<void>((resolveStop) => {
    onStopSignals((count) => {
      if (count > 1) {
        process.exitCode = EXIT.interrupted; // a second signal: go now; the outbox keeps what is not final
        resolveStop();
        return;
      }
      void gateway
        .close()
        .then(cleanUp)
        .catch((error: unknown) => log.error({ err: error }, "the gateway did not stop cleanly"))
        .then(() => resolveStop());
    });
  });
}
