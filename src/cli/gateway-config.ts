/**
 * `rcc gateway --config FILE`: a JSON file with several accounts and the producers' keys (docs/gateway.md,
 * "A configuration file"). Each account holds the keys of the other commands' config file (`user`, `urls`,
 * `authUrl` or `env`, `clientId`, `passwordFile`, `ca`, `loginName`, `postMode`, …; relative paths from the
 * file's folder) plus `name`, `rics` and its outbox bounds; its password may also come from an environment
 * variable named by `passwordEnv`. The environment's RCC_* settings do not apply to accounts of a file: each
 * account says everything about itself.
 */
import { readFile, stat } from "node:fs/promises";
import { z } from "zod";
import type { ApiKeyConfig, GatewayAccount, GatewayNatsOptions } from "../gateway/index.js";
import { processSecrets } from "../internal.js";
import type { Logger } from "../index.js";
import { contributorOptions, readCaFile } from "./connect.js";
import { CliError, EXIT } from "./exit-codes.js";
import { configFilePath, expandHome } from "./file-paths.js";
import { exposedFileWarning, readSecretFile, resolveSettings } from "./settings.js";

const apiKeySchema = z
  .object({
    name: z.string().min(1),
    sha256: z.string(),
    accounts: z.array(z.string()).min(1).optional(),
    rics: z.array(z.string()).min(1).optional(),
  })
  .strict();

const GATEWAY_KEYS = ["name", "rics", "passwordEnv", "maxPendingItems", "maxPendingBytes", "conflate"] as const;

const accountSchema = z
  .object({
    name: z.string().min(1),
    rics: z.array(z.string()).min(1),
    passwordEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    maxPendingItems: z.number().int().positive().optional(),
    maxPendingBytes: z.number().int().positive().optional(),
    conflate: z.boolean().optional(),
  })
  .loose(); // the connection keys are checked by the settings resolver, which names unknown ones

const NATS_SECRETS = ["passwordFile", "passwordEnv", "tokenFile", "tokenEnv"] as const;

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
  .optional();

const natsSchema = z
  .object({
    servers: z.array(z.string()).min(1),
    user: z.string().min(1).optional(),
    passwordFile: z.string().optional(),
    passwordEnv: envName,
    tokenFile: z.string().optional(),
    tokenEnv: envName,
    credsFile: z.string().optional(),
    nkeySeedFile: z.string().optional(),
    tls: z
      .object({ caFile: z.string().optional(), certFile: z.string().optional(), keyFile: z.string().optional() })
      .strict()
      .optional(),
    prefix: z.string().optional(),
    inboundStream: z.string().optional(),
    outcomeStream: z.string().optional(),
    leaseBucket: z.string().optional(),
    requestBucket: z.string().optional(),
    replicas: z.number().int().optional(),
    leaseTtlMs: z.number().int().optional(),
    ackWaitMs: z.number().int().optional(),
    gatewayId: z.string().optional(),
  })
  .strict();

const configSchema = z
  .object({
    nats: natsSchema.optional(),
    outbox: z.string().optional(),
    host: z.string().optional(),
    port: z.number().int().min(0).max(65_535).optional(),
    apiKeys: z.array(apiKeySchema).min(1).optional(),
    apiKeyFile: z.string().optional(),
    retentionHours: z.number().positive().optional(),
    accounts: z.array(accountSchema).min(1),
  })
  .strict();

/** A loaded configuration. */
export interface GatewayConfig {
  outbox?: string;
  host?: string;
  port?: number;
  /** Keys given in the file itself, if any. */
  apiKeys?: ApiKeyConfig[];
  /** A key file the file names (absolute), if any. */
  apiKeyFile?: string;
  /** How long final items, outcomes and Idempotency-Keys are kept, hours. */
  retentionHours?: number;
  accounts: GatewayAccount[];
  /** The cluster mode's NATS settings (docs/cluster.md), secrets read; file paths absolute. */
  nats?: GatewayNatsOptions;
  /** Warnings to print (secret files others can read). */
  warnings: string[];
}

/**
 * Reads and checks a gateway configuration file, resolving each account's connection settings and password.
 * @throws CliError (exit 1) naming the file, the account and what is wrong.
 */
export async function loadGatewayConfig(path: string, log: Logger): Promise<GatewayConfig> {
  const file = expandHome(path);
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(file, "utf8"), stat(file).then((info) => info.mode)]);
  } catch (error) {
    throw new CliError(
      `cannot read --config '${file}' (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      EXIT.usage,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--config '${file}' is not valid JSON: ${(error as Error).message}`, EXIT.usage);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.map(String).join(".")}`;
    throw new CliError(`--config '${file}'${where}: ${issue?.message ?? "invalid"}`, EXIT.usage);
  }
  const config = parsed.data;
  const warnings: string[] = [];
  const accounts: GatewayAccount[] = [];
  for (const entry of config.accounts) {
    const where = `account '${entry.name}' of --config '${file}'`;
    const keys = Object.fromEntries(
      Object.entries(entry).filter(([key]) => !(GATEWAY_KEYS as readonly string[]).includes(key)),
    );
    if (typeof keys.password === "string") {
      const warning = exposedFileWarning(file, mode, "config file (it holds a password)");
      if (warning !== undefined) warnings.push(warning);
    }
    // Only HOME from the environment: an account in a file is described by the file alone.
    const settings = await resolveSettings({}, { HOME: process.env.HOME }, { keys, file, where });
    warnings.push(...settings.warnings);
    if (entry.passwordEnv !== undefined) {
      const password = process.env[entry.passwordEnv];
      if (password === undefined || password === "") {
        throw new CliError(
          `${where}: the environment variable ${entry.passwordEnv} (passwordEnv) is not set`,
          EXIT.usage,
        );
      }
      settings.password = password;
      settings.passwordSource = "env";
    }
    processSecrets.add(settings.password, "credential");
    processSecrets.add(settings.clientSecret, "credential");
    if (settings.loginName === undefined) {
      const missing: string[] = [];
      if (settings.user === undefined) missing.push("user");
      if (settings.authUrl === undefined) missing.push("authUrl or env");
      if (settings.password === undefined) missing.push("passwordFile, passwordEnv or password");
      if (missing.length > 0) throw new CliError(`${where}: missing ${missing.join(", ")}`, EXIT.usage);
    }
    const ca = settings.ca === undefined ? undefined : await readCaFile(settings.ca, where);
    let options;
    try {
      options = contributorOptions({ settings, log, ...(ca === undefined ? {} : { ca }) });
    } catch (error) {
      throw new CliError(
        `${where}: ${(error as Error).message.replace("missing --url (or RCC_URLS)", "missing urls")}`,
        EXIT.usage,
      );
    }
    accounts.push({
      name: entry.name,
      rics: entry.rics,
      contributor: options,
      ...(entry.maxPendingItems === undefined ? {} : { maxPendingItems: entry.maxPendingItems }),
      ...(entry.maxPendingBytes === undefined ? {} : { maxPendingBytes: entry.maxPendingBytes }),
      ...(entry.conflate === undefined ? {} : { conflate: entry.conflate }),
    });
  }
  const result: GatewayConfig = { accounts, warnings };
  if (config.outbox !== undefined) result.outbox = configFilePath(config.outbox, file);
  if (config.host !== undefined) result.host = config.host;
  if (config.port !== undefined) result.port = config.port;
  if (config.apiKeys !== undefined) result.apiKeys = config.apiKeys;
  if (config.retentionHours !== undefined) result.retentionHours = config.retentionHours;
  if (config.apiKeyFile !== undefined) result.apiKeyFile = configFilePath(config.apiKeyFile, file);
  if (config.nats !== undefined) result.nats = await natsSettings(config.nats, file, warnings);
  return result;
}

/**
 * The `nats` section as the gateway takes it: the password or token read from its file or environment variable
 * (and registered as a secret, so it is never printed), file paths made absolute from the config file's folder.
 * @throws CliError (exit 1) naming what is missing or unreadable.
 */
async function natsSettings(
  section: z.infer<typeof natsSchema>,
  file: string,
  warnings: string[],
): Promise<GatewayNatsOptions> {
  const where = `nats of --config '${file}'`;
  const given = NATS_SECRETS.filter((key) => section[key] !== undefined);
  if (given.length > 1) throw new CliError(`${where}: give one of ${NATS_SECRETS.join(", ")}`, EXIT.usage);
  const { passwordFile, passwordEnv, tokenFile, tokenEnv, tls, credsFile, nkeySeedFile, ...rest } = section;
  const options: GatewayNatsOptions = { ...rest };
  const secret = async (path: string | undefined, env: string | undefined, what: string) => {
    if (path !== undefined) {
      const read = await readSecretFile(configFilePath(path, file), `NATS ${what} file`);
      if (read.warning !== undefined) warnings.push(read.warning);
      return read.text.trim();
    }
    if (env === undefined) return undefined;
    const value = process.env[env];
    if (value === undefined || value === "") {
      throw new CliError(`${where}: the environment variable ${env} (${what}Env) is not set`, EXIT.usage);
    }
    return value;
  };
  const pass = await secret(passwordFile, passwordEnv, "password");
  const token = await secret(tokenFile, tokenEnv, "token");
  processSecrets.add(pass, "credential");
  processSecrets.add(token, "credential");
  if ((section.user === undefined) !== (pass === undefined)) {
    throw new CliError(`${where}: user and passwordFile (or passwordEnv) go together`, EXIT.usage);
  }
  if (pass !== undefined) options.pass = pass;
  if (token !== undefined) options.token = token;
  for (const [key, path] of [
    ["credsFile", credsFile],
    ["nkeySeedFile", nkeySeedFile],
  ] as const) {
    if (path === undefined) continue;
    const absolute = configFilePath(path, file);
    const read = await readSecretFile(absolute, `NATS ${key === "credsFile" ? "credentials" : "NKey seed"} file`);
    if (read.warning !== undefined) warnings.push(read.warning);
    options[key] = absolute;
  }
  if (tls !== undefined) {
    options.tls = Object.fromEntries(Object.entries(tls).map(([key, path]) => [key, configFilePath(path, file)]));
  }
  return options;
}
