/**
 * Connection settings of the `rcc` commands, resolved with the precedence flags > environment > config file >
 * defaults. Every key is documented in the README's configuration table.
 */
import { open } from "node:fs/promises";
import { CliError, EXIT } from "./exit-codes.js";
import { configFilePath, expandHome } from "./file-paths.js";

/** Log levels accepted by `--log-level` (pino's names). */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "silent"] as const;

/** Log formats accepted by `--log-format`: pino's JSON lines, or one short line per record for people. */
export const LOG_FORMATS = ["json", "pretty"] as const;

/** A log format (`--log-format`). */
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The log format when none is given: pretty on a terminal (a person reads it), JSON lines otherwise (a file or a
 * log collector parses them). Every command follows this rule, `rcc simulate` included.
 * @param stderr the stream the logs go to.
 */
export function defaultLogFormat(stderr: { isTTY?: boolean } = process.stderr): LogFormat {
  return stderr.isTTY === true ? "pretty" : "json";
}

/** LSEG's two RDP token endpoints (docs/protocol.md §1.1). */
export const AUTH_URLS = {
  ppe: "https://api.ppe.refinitiv.com/auth/oauth2/v1/token",
  prod: "https://api.refinitiv.com/auth/oauth2/v1/token",
} as const;

/** Post modes accepted by `--post-mode` (the library's `postMode`). */
export const POST_MODES = ["off-stream", "on-stream"] as const;

/** How posts are sent: off-stream (RCC's documented way, the default) or on-stream (§4A.6). */
type PostMode = (typeof POST_MODES)[number];

/** Settings after resolution. */
export interface Settings {
  user?: string;
  password?: string;
  /** Where the password came from, for the warning about `--password` and for error messages. */
  passwordSource?: "flag" | "file" | "env" | "config" | "prompt";
  clientId?: string;
  clientSecret?: string;
  authUrl?: string;
  /** `scope` of the token request (password grant); not sent when undefined. */
  scope?: string;
  /** RCC WebSocket endpoints in failover order: `--url`s, or the one `--hostname`/`--port`/`--scheme` build. */
  urls: string[];
  appId: string;
  position?: string;
  service: string;
  /** Path of a PEM file of extra trusted CAs (`~` expanded; from a config file, relative to its folder). */
  ca?: string;
  /**
   * DACS user name for a user-name Login (RCC through an on-site ADS, §4A.5): no token, so `user`, `password`
   * and `authUrl` are not needed and not used.
   */
  loginName?: string;
  /** Where posts ride: the Login stream with a `Key` (§2.8), or item streams opened by a Request (§4A.6). */
  postMode: PostMode;
  logLevel: string;
  logFormat: LogFormat;
  /**
   * One deadline for getting connected (token, WebSocket handshake and Login together) of a one-shot command,
   * milliseconds.
   */
  connectTimeoutMs: number;
  /**
   * Print every WebSocket frame sent and received on stderr, secrets masked (`--trace`, `RCC_TRACE=1`, `trace`;
   * also on with `--log-level trace`).
   */
  trace: boolean;
  /** Lines to show on stderr before anything else: secret files that other users can read. */
  warnings: string[];
}

/** Default of {@link Settings.connectTimeoutMs}: 30 s, well past a healthy login and far short of the retries. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** The keys of a config file (JSON object), all optional. */
const CONFIG_KEYS = [
  "user",
  "password",
  "passwordFile",
  "clientId",
  "clientSecret",
  "authUrl",
  "env",
  "urls",
  "hostname",
  "port",
  "scheme",
  "scope",
  "appId",
  "position",
  "service",
  "ca",
  "loginName",
  "postMode",
  "logLevel",
  "logFormat",
  "connectTimeout",
  "trace",
] as const;

/** Flags as commander parses them (only the connection-related ones). */
export interface SettingsFlags {
  user?: string;
  password?: string;
  passwordFile?: string;
  clientid?: string;
  authUrl?: string;
  env?: string;
  url?: string[];
  /** The tutorial's `--hostname`: the endpoint is `<scheme>://<hostname>[:<port>]/WebSocket`. */
  hostname?: string;
  /** The tutorial's `--port`, 1–65535; needs `hostname`. */
  port?: string;
  /** `wss` or `ws`, with `hostname`. */
  scheme?: string;
  scope?: string;
  appId?: string;
  position?: string;
  service?: string;
  ca?: string;
  loginName?: string;
  postMode?: string;
  logLevel?: string;
  logFormat?: string;
  connectTimeout?: string;
  trace?: boolean;
  config?: string;
}

type Layer = Partial<Record<(typeof CONFIG_KEYS)[number], unknown>>;

function fromEnv(env: NodeJS.ProcessEnv): Layer {
  const urls = env.RCC_URLS?.split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
  return {
    user: env.RCC_USER,
    password: env.RCC_PASSWORD,
    passwordFile: env.RCC_PASSWORD_FILE,
    clientId: env.RCC_CLIENT_ID,
    clientSecret: env.RCC_CLIENT_SECRET,
    authUrl: env.RCC_AUTH_URL,
    env: env.RCC_ENV,
    urls: urls && urls.length > 0 ? urls : undefined,
    hostname: env.RCC_HOSTNAME,
    port: env.RCC_PORT,
    scheme: env.RCC_SCHEME,
    scope: env.RCC_SCOPE,
    appId: env.RCC_APP_ID,
    position: env.RCC_POSITION,
    service: env.RCC_SERVICE,
    ca: env.RCC_CA,
    loginName: env.RCC_LOGIN_NAME,
    postMode: env.RCC_POST_MODE,
    logLevel: env.RCC_LOG_LEVEL,
    logFormat: env.RCC_LOG_FORMAT,
    connectTimeout: env.RCC_CONNECT_TIMEOUT,
    trace: env.RCC_TRACE,
  };
}

function fromFlags(flags: SettingsFlags): Layer {
  return {
    user: flags.user,
    password: flags.password,
    passwordFile: flags.passwordFile,
    clientId: flags.clientid,
    authUrl: flags.authUrl,
    env: flags.env,
    urls: flags.url && flags.url.length > 0 ? flags.url : undefined,
    hostname: flags.hostname,
    port: flags.port,
    scheme: flags.scheme,
    scope: flags.scope,
    appId: flags.appId,
    position: flags.position,
    service: flags.service,
    ca: flags.ca,
    loginName: flags.loginName,
    postMode: flags.postMode,
    logLevel: flags.logLevel,
    logFormat: flags.logFormat,
    connectTimeout: flags.connectTimeout,
    trace: flags.trace,
  };
}

/** A file's text and its permission bits (from the handle that read it, so both describe the same file). */
interface FileWithMode {
  text: string;
  /** `st_mode & 0o7777`. */
  mode: number;
}

/**
 * Reads a file and its mode.
 * @param what how errors name the file, e.g. "password file".
 * @throws CliError (exit 1) "cannot read the <what> '<path>' (<code>)".
 */
async function readFileWithMode(path: string, what: string): Promise<FileWithMode> {
  try {
    const handle = await open(path, "r");
    try {
      const { mode } = await handle.stat();
      return { text: await handle.readFile("utf8"), mode: mode & 0o7777 };
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new CliError(
      `cannot read the ${what} '${path}' (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      EXIT.usage,
    );
  }
}

/** `path` as a shell word: as is when it is plain, else single-quoted. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./~-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/**
 * The warning for a file holding a secret that other users may read or change, by ssh's rule for private keys
 * (any of the bits 0o077), or undefined when it is private. Not on Windows, where the mode bits mean nothing.
 * @param what e.g. "password file".
 * @param mode the file's permission bits.
 */
export function exposedFileWarning(
  path: string,
  mode: number,
  what: string,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (platform === "win32" || (mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o7777).toString(8).padStart(4, "0");
  return `rcc: warning: the ${what} '${path}' is accessible by other users (mode ${octal}); make it private: chmod 600 ${shellWord(path)}`;
}

/**
 * Reads a file holding a secret (a password, an admin token): its text and, when other users may read it, the
 * warning of {@link exposedFileWarning}.
 * @param what e.g. "password file".
 * @throws CliError (exit 1) when the file cannot be read.
 */
export async function readSecretFile(path: string, what: string): Promise<{ text: string; warning?: string }> {
  const { text, mode } = await readFileWithMode(path, what);
  const warning = exposedFileWarning(path, mode, what);
  return warning === undefined ? { text } : { text, warning };
}

/**
 * The warning for a secret given as a command-line flag, which `ps` shows to every user of the machine.
 * @param flag e.g. "--password".
 * @param alternatives the safer ways, e.g. "--password-file or RCC_PASSWORD".
 */
export function commandLineSecretWarning(flag: string, alternatives: string): string {
  return `rcc: warning: ${flag} is visible to other users of this machine (ps); prefer ${alternatives}`;
}

/** A config file's layer and, when it holds a secret other users may read, the warning. */
async function readConfig(path: string): Promise<{ layer: Layer; warning?: string }> {
  const { text, mode } = await readFileWithMode(path, "config file");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`the config file '${path}' is not valid JSON: ${(error as Error).message}`, EXIT.usage);
  }
  const layer = configLayer(value, `the config file '${path}'`);
  const secret = ["password", "clientSecret"].some((key) => typeof layer[key as keyof Layer] === "string");
  const warning = secret ? exposedFileWarning(path, mode, "config file (it holds a secret)") : undefined;
  return warning === undefined ? { layer } : { layer, warning };
}

/**
 * Checks an object of config-file keys (a config file's, or one account's in `rcc gateway --config`).
 * @param where what holds it, for messages: "the config file 'x.json'".
 * @throws CliError (exit 1) naming unknown keys.
 */
function configLayer(value: unknown, where: string): Layer {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(`${where} must hold a JSON object`, EXIT.usage);
  }
  const unknown = Object.keys(value).filter((key) => !(CONFIG_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new CliError(
      `${where} has unknown keys: ${unknown.join(", ")} (known: ${CONFIG_KEYS.join(", ")})`,
      EXIT.usage,
    );
  }
  return value;
}

/** Config-file keys given as an object rather than a file (one account of `rcc gateway --config`). */
export interface PresetConfig {
  /** The keys, as a config file holds them. */
  keys: Record<string, unknown>;
  /** The file they came from: relative paths in them are from its folder. */
  file: string;
  /** What holds them, for messages, e.g. "account 'desk' of the config file 'gw.json'". */
  where: string;
}

function pick(layers: Layer[], key: (typeof CONFIG_KEYS)[number]): { value: unknown; layer: number } | undefined {
  for (const [index, layer] of layers.entries()) {
    const value = layer[key];
    if (value !== undefined && value !== "") return { value, layer: index };
  }
  return undefined;
}

function asString(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new CliError(`'${key}' must be a string`, EXIT.usage);
  return value;
}

/**
 * Resolves settings (with `preset`, its keys stand in for the config file's). The password is read from
 * `passwordFile` when that wins; prompting is left to the caller
 * (see {@link Settings.passwordSource}). File paths (`--config`, `passwordFile`, `ca`) have a leading `~`
 * expanded to `env.HOME` (else the OS's home directory); relative ones from the config file are taken from its
 * folder.
 */
export async function resolveSettings(
  flags: SettingsFlags,
  env: NodeJS.ProcessEnv = process.env,
  preset?: PresetConfig,
): Promise<Settings> {
  const home = env.HOME === undefined || env.HOME === "" ? undefined : env.HOME;
  const given = preset?.file ?? flags.config ?? env.RCC_CONFIG;
  const file = given === undefined ? undefined : expandHome(given, home);
  const warnings: string[] = [];
  const config =
    preset !== undefined
      ? { layer: configLayer(preset.keys, preset.where) }
      : file === undefined
        ? { layer: {} }
        : await readConfig(file);
  if (config.warning !== undefined) warnings.push(config.warning);
  const layers: Layer[] = [fromFlags(flags), fromEnv(env), config.layer];
  const sources = ["flag", "env", "config"] as const;
  const text = (key: (typeof CONFIG_KEYS)[number]) => asString(pick(layers, key)?.value, key);
  /** A file path setting: `~` expanded, and from the config file, relative to the config file's folder. */
  const filePath = (key: (typeof CONFIG_KEYS)[number]): string | undefined => {
    const picked = pick(layers, key);
    const value = asString(picked?.value, key);
    if (value === undefined) return undefined;
    return picked?.layer === 2 && file !== undefined ? configFilePath(value, file, home) : expandHome(value, home);
  };

  const environment = text("env");
  if (environment !== undefined && environment !== "ppe" && environment !== "prod") {
    throw new CliError(`--env must be 'ppe' or 'prod', got '${environment}'`, EXIT.usage);
  }
  const authPick = pick(layers, "authUrl");
  const envPick = pick(layers, "env");
  // The more specific of --auth-url and --env wins when both come from the same layer; otherwise precedence.
  let authUrl = asString(authPick?.value, "authUrl");
  if (envPick && (!authPick || envPick.layer < authPick.layer)) authUrl = AUTH_URLS[environment as "ppe" | "prod"];

  const passwordPick = pick(layers, "password");
  const filePick = pick(layers, "passwordFile");
  let password: string | undefined;
  let passwordSource: Settings["passwordSource"];
  if (filePick && (!passwordPick || filePick.layer <= passwordPick.layer)) {
    const path = filePath("passwordFile") ?? "";
    const { text: content, warning } = await readSecretFile(path, "password file");
    password = content.replace(/\r?\n$/, "");
    if (warning !== undefined) warnings.push(warning);
    passwordSource = "file";
  } else if (passwordPick) {
    password = asString(passwordPick.value, "password");
    passwordSource = sources[passwordPick.layer];
  }

  const urlsValue = pick(layers, "urls")?.value;
  if (urlsValue !== undefined && (!Array.isArray(urlsValue) || !urlsValue.every((url) => typeof url === "string"))) {
    throw new CliError("'urls' must be an array of WebSocket URLs", EXIT.usage);
  }
  const urls = endpointUrls(layers, urlsValue);
  // Library logs are off by default so that a failure shows as one clear line; --log-level warn
  // shows retries and reconnects.
  const logLevel = text("logLevel") ?? "silent";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got '${logLevel}'`, EXIT.usage);
  const logFormat = text("logFormat") ?? defaultLogFormat();
  if (logFormat !== "json" && logFormat !== "pretty")
    throw new CliError(`--log-format must be json or pretty, got '${logFormat}'`, EXIT.usage);

  const postMode = text("postMode") ?? "off-stream";
  if (!(POST_MODES as readonly string[]).includes(postMode))
    throw new CliError(`--post-mode must be one of ${POST_MODES.join(", ")}, got '${postMode}'`, EXIT.usage);
  const loginName = text("loginName");
  // A DACS user name goes into the Login's Key.Name as is (§4A.5): control characters would only be refused there.
  if (loginName !== undefined && /\p{Cc}/u.test(loginName))
    throw new CliError("--login-name must not contain control characters", EXIT.usage);

  const settings: Settings = {
    connectTimeoutMs: parseConnectTimeout(pick(layers, "connectTimeout")?.value),
    // The most detailed log level shows the frames too: that is what a trace of a connection is.
    trace: parseTrace(pick(layers, "trace")?.value) || logLevel === "trace",
    warnings,
    urls,
    appId: text("appId") ?? "256",
    service: text("service") ?? "DDS_TRCE",
    postMode: postMode as PostMode,
    logLevel,
    logFormat,
  };
  const optional = {
    user: text("user"),
    clientId: text("clientId"),
    clientSecret: text("clientSecret"),
    position: text("position"),
    ca: filePath("ca"),
    loginName,
    authUrl,
    scope: text("scope"),
    password,
    passwordSource,
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  return settings;
}

/** Schemes of `--scheme`: TLS (the default, what RCC takes) or plain (a local simulator or ADS). */
export const SCHEMES = ["wss", "ws"] as const;

/** How each layer names the endpoint settings, for messages. */
const ENDPOINT_NAMES = {
  hostname: ["--hostname", "RCC_HOSTNAME", "'hostname' in the config file"],
  port: ["--port", "RCC_PORT", "'port' in the config file"],
  urls: ["--url", "RCC_URLS", "'urls' in the config file"],
} as const;

/**
 * The endpoints: the `urls`, or the one URL that `hostname`, `port` and `scheme` build (the tutorial's way),
 * whichever comes from the higher layer.
 * @throws CliError (exit 1) when `port` has no `hostname`, or `hostname` and `urls` come from the same layer.
 */
function endpointUrls(layers: Layer[], urls: string[] | undefined): string[] {
  const hostPick = pick(layers, "hostname");
  const portPick = pick(layers, "port");
  const urlsPick = pick(layers, "urls");
  if (portPick && !hostPick) {
    throw new CliError(
      `${ENDPOINT_NAMES.port[portPick.layer]} needs --hostname (or RCC_HOSTNAME): the endpoint is wss://HOST:PORT/WebSocket; or give the whole URL with --url`,
      EXIT.usage,
    );
  }
  if (!hostPick) return urls ?? [];
  if (urlsPick && urlsPick.layer === hostPick.layer) {
    throw new CliError(
      `${ENDPOINT_NAMES.hostname[hostPick.layer]} and ${ENDPOINT_NAMES.urls[urlsPick.layer]} both give the RCC endpoint: use one of them`,
      EXIT.usage,
    );
  }
  if (urlsPick && urlsPick.layer < hostPick.layer) return urls ?? [];
  const scheme = asString(pick(layers, "scheme")?.value, "scheme") ?? "wss";
  return [endpointUrl(asString(hostPick.value, "hostname") ?? "", portPick?.value, scheme)];
}

/**
 * The tutorial's endpoint `<scheme>://<hostname>:<port>/WebSocket` (without `:<port>` when `port` is undefined:
 * the scheme's own, 443 for wss and 80 for ws). An IPv6 address is bracketed. Pure.
 * @param port 1–65535, a string of digits or a whole number (a config file may hold either).
 * @param scheme one of {@link SCHEMES}.
 * @throws CliError (exit 1) on a host that is not a host name or IP address (a URL included), a port out of
 * range, or another scheme.
 */
export function endpointUrl(hostname: string, port: unknown, scheme: string): string {
  if (!(SCHEMES as readonly string[]).includes(scheme))
    throw new CliError(`--scheme must be one of ${SCHEMES.join(", ")}, got '${scheme}'`, EXIT.usage);
  const host = hostname.trim();
  if (host.includes("/")) {
    throw new CliError(
      `--hostname takes a host name or IP address only, got '${host}'; give a whole URL with --url instead`,
      EXIT.usage,
    );
  }
  const ipv6 = /^\[?[\da-f:.]+\]?$/i.test(host) && host.includes(":");
  if (!ipv6 && !/^[a-z\d_](?:[a-z\d_.-]*[a-z\d_])?$/i.test(host)) {
    const withPort = /^[^:]+:\d+$/.test(host) ? "; give the port with --port" : "";
    throw new CliError(`--hostname must be a host name or an IP address, got '${host}'${withPort}`, EXIT.usage);
  }
  const shownHost = ipv6 && !host.startsWith("[") ? `[${host}]` : host;
  if (port === undefined) return `${scheme}://${shownHost}/WebSocket`;
  const number =
    typeof port === "number" ? port : typeof port === "string" && /^\s*\d+\s*$/.test(port) ? Number(port) : NaN;
  if (!Number.isInteger(number) || number < 1 || number > 65_535) {
    throw new CliError(
      `--port must be a whole number from 1 to 65535, got '${typeof port === "string" ? port : JSON.stringify(port)}'`,
      EXIT.usage,
    );
  }
  return `${scheme}://${shownHost}:${number}/WebSocket`;
}

/**
 * Reads `--connect-timeout` / `RCC_CONNECT_TIMEOUT` / `connectTimeout`: whole milliseconds, as `--ack-timeout`.
 * @returns milliseconds; {@link DEFAULT_CONNECT_TIMEOUT_MS} when not set.
 * @throws CliError (exit 1) on anything but a positive whole number (a string of digits or a JSON number).
 */
export function parseConnectTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_CONNECT_TIMEOUT_MS;
  const ms =
    typeof value === "number" ? value : typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new CliError(
      `--connect-timeout must be a positive whole number of milliseconds, got '${typeof value === "string" ? value : JSON.stringify(value)}'`,
      EXIT.usage,
    );
  }
  return ms;
}

/**
 * Reads `--trace` / `RCC_TRACE` / `trace`: true, or one of `1`, `true`, `yes`, `on` (any case) → on; false,
 * `0`, `false`, `no`, `off` → off; not set → off.
 * @throws CliError (exit 1) on anything else.
 */
export function parseTrace(value: unknown): boolean {
  if (value === undefined || typeof value === "boolean") return value === true;
  const word = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (["1", "true", "yes", "on"].includes(word)) return true;
  if (["0", "false", "no", "off"].includes(word)) return false;
  throw new CliError(
    `RCC_TRACE (or 'trace') must be 1 or 0 (true/false), got '${typeof value === "string" ? value : JSON.stringify(value)}'`,
    EXIT.usage,
  );
}
