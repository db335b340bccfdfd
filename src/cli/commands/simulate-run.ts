/** The work of `rcc simulate` (see simulate.ts). */
import { randomBytes } from "node:crypto";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type FaultSpec, startSimulator, type SimulatorOptions } from "../../simulator/index.js";
import { processSecrets } from "../../internal.js";
import { onOutputClosed } from "../closed-output.js";
import { CliError, EXIT } from "../exit-codes.js";
import { createCliLogger } from "../logging.js";
import {
  commandLineSecretWarning,
  defaultLogFormat,
  LOG_FORMATS,
  type LogFormat,
  readSecretFile,
} from "../settings.js";

/** Flags of `rcc simulate`. */
export interface SimulateFlags {
  host: string;
  httpPort: number;
  wsPort?: number[];
  listeners: number;
  accounts?: string;
  config?: string;
  tokenLifetime?: number;
  refreshLifetime?: number;
  sessionLifetime?: number;
  pingInterval?: number;
  maxMessagesPerSecond?: number;
  ratePolicy?: "nak" | "disconnect" | "delay";
  maxMessageBytes?: number;
  profile?: "rcc" | "ads";
  tls?: boolean;
  cert?: string;
  key?: string;
  /** Where to write the certificate clients must trust (with TLS on). */
  certOut?: string;
  fault?: FaultSpec[];
  adminToken?: string;
  adminTokenFile?: string;
  json?: boolean;
  logLevel: string;
  /** `--log-format`; else RCC_LOG_FORMAT, else pretty on a terminal and JSON otherwise. */
  logFormat?: LogFormat;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(
      `cannot read the ${what} file '${path}': ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      EXIT.usage,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`the ${what} file '${path}' is not valid JSON: ${(error as Error).message}`, EXIT.usage);
  }
}

/**
 * The admin token: `--admin-token` (with a warning, as `--password` gets), else `--admin-token-file` (with a
 * warning when other users can read it), else RCC_SIM_ADMIN_TOKEN. Registered as a secret, so the simulator's
 * logs never show it.
 * @throws CliError (exit 1) when both flags are given, or the file cannot be read or is empty.
 */
async function adminTokenOf(flags: SimulateFlags): Promise<string | undefined> {
  if (flags.adminToken !== undefined && flags.adminTokenFile !== undefined) {
    throw new CliError("--admin-token and --admin-token-file exclude each other", EXIT.usage);
  }
  let token: string | undefined;
  if (flags.adminToken !== undefined) {
    process.stderr.write(`${commandLineSecretWarning("--admin-token", "--admin-token-file or RCC_SIM_ADMIN_TOKEN")}\n`);
    token = flags.adminToken;
  } else if (flags.adminTokenFile !== undefined) {
    const { text, warning } = await readSecretFile(flags.adminTokenFile, "admin token file");
    if (warning !== undefined) process.stderr.write(`${warning}\n`);
    token = text.split(/\r?\n/, 1)[0]?.trim() ?? "";
    if (token === "") throw new CliError(`the admin token file '${flags.adminTokenFile}' is empty`, EXIT.usage);
  } else {
    const fromEnv = process.env.RCC_SIM_ADMIN_TOKEN;
    token = fromEnv === "" ? undefined : fromEnv;
  }
  processSecrets.add(token, "credential");
  return token;
}

/**
 * The simulator's log format, by the rule of the other commands: `--log-format`, else RCC_LOG_FORMAT, else
 * pretty when stderr is a terminal and JSON lines otherwise.
 * @throws CliError (exit 1) on an RCC_LOG_FORMAT that is neither.
 */
function logFormatOf(flags: Pick<SimulateFlags, "logFormat">, env: NodeJS.ProcessEnv = process.env): LogFormat {
  if (flags.logFormat !== undefined) return flags.logFormat;
  const fromEnv = env.RCC_LOG_FORMAT;
  if (fromEnv === undefined || fromEnv === "") return defaultLogFormat();
  if (!(LOG_FORMATS as readonly string[]).includes(fromEnv))
    throw new CliError(`RCC_LOG_FORMAT must be json or pretty, got '${fromEnv}'`, EXIT.usage);
  return fromEnv as LogFormat;
}

/** Runs the simulator until SIGINT or SIGTERM. */
export async function runSimulate(flags: SimulateFlags): Promise<void> {
  const fromFile = flags.config === undefined ? {} : ((await readJsonFile(flags.config, "config")) as SimulatorOptions);
  const adminToken = await adminTokenOf(flags);
  if (!isLoopback(flags.host) && adminToken === undefined) {
    throw new CliError(
      `binding to ${flags.host} exposes the admin API: pass --admin-token (or RCC_SIM_ADMIN_TOKEN)`,
      EXIT.usage,
    );
  }
  if ((flags.cert === undefined) !== (flags.key === undefined))
    throw new CliError("--cert and --key go together", EXIT.usage);
  const options: SimulatorOptions = {
    ...fromFile,
    host: flags.host,
    httpPort: flags.httpPort,
    listeners: flags.listeners,
  };
  if (flags.wsPort) options.wsPorts = flags.wsPort;
  if (flags.accounts !== undefined)
    options.accounts = (await readJsonFile(flags.accounts, "accounts")) as SimulatorOptions["accounts"];
  if (flags.tokenLifetime !== undefined) options.accessTokenLifetimeSec = flags.tokenLifetime;
  if (flags.refreshLifetime !== undefined) options.refreshTokenLifetimeSec = flags.refreshLifetime;
  if (flags.sessionLifetime !== undefined) options.sessionLifetimeSec = flags.sessionLifetime;
  if (flags.pingInterval !== undefined) options.pingIntervalMs = flags.pingInterval * 1000;
  if (flags.maxMessagesPerSecond !== undefined) options.maxMessagesPerSecond = flags.maxMessagesPerSecond;
  if (flags.ratePolicy !== undefined) options.ratePolicy = flags.ratePolicy;
  if (flags.maxMessageBytes !== undefined) options.maxMessageBytes = flags.maxMessageBytes;
  if (flags.profile !== undefined) options.profile = flags.profile;
  if (flags.cert !== undefined && flags.key !== undefined) {
    options.tls = { cert: await readFile(flags.cert, "utf8"), key: await readFile(flags.key, "utf8") };
  } else if (flags.tls) {
    options.tls = true;
  }
  if (adminToken !== undefined) options.adminToken = adminToken;
  options.log = createCliLogger(flags.logLevel, logFormatOf(flags)).child({ name: "rcc-sim" });

  let sim;
  try {
    sim = await startSimulator(options);
  } catch (error) {
    throw new CliError(`the simulator could not start: ${(error as Error).message}`, EXIT.usage);
  }
  for (const fault of flags.fault ?? []) sim.faults.add(fault);
  let caFile: { path: string; temporary: boolean } | undefined;
  try {
    caFile = sim.certificate === undefined ? undefined : await writeCertificate(sim.certificate, flags);
  } catch (error) {
    await sim.close();
    throw error;
  }

  // Ctrl+C from the moment the ready line can be seen (not only a turn later) stops the simulator cleanly.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      offClosed();
      void sim
        .close()
        .then(() => (caFile?.temporary === true ? rm(caFile.path, { force: true }) : undefined))
        .then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    const offClosed = onOutputClosed(stop);
  });

  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ authUrl: sim.authUrl, wsUrls: sim.wsUrls, adminUrl: sim.adminUrl, dashboardUrl: sim.dashboardUrl, accounts: sim.accounts, ...(sim.certificate === undefined ? {} : { certificate: sim.certificate }), ...(caFile === undefined ? {} : { certificateFile: caFile.path }) })}\n`,
    );
  } else {
    const lines = [
      "RCC simulator ready (Ctrl+C to stop)",
      `  token endpoint  ${sim.authUrl}`,
      ...sim.wsUrls.map(
        (url, index) => `  RCC WebSocket   ${url}${sim.wsUrls.length > 1 ? `  (listener ${index})` : ""}`,
      ),
      `  admin API       ${sim.adminUrl}/state`,
      `  dashboard       ${sim.dashboardUrl}${adminToken === undefined ? "" : "?token=<admin token>"}`,
      ...sim.accounts.map(
        (account) =>
          `  account         user ${account.user}  password ${account.password}  client id ${account.clientId}`,
      ),
      "  known RICs      " + sim.config.rics.join(", "),
      ...(caFile === undefined
        ? []
        : [
            `  certificate     ${caFile.path}  (self-signed: clients trust it with --ca ${caFile.path})`,
            `  e.g.            rcc post --ca ${caFile.path} --auth-url ${sim.authUrl} --url ${sim.wsUrls[0] ?? ""} --user ${sim.accounts[0]?.user ?? ""} --ric TRCCTEST01 --field BID=1`,
          ]),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }

  await stopped;
}

/**
 * Writes the certificate clients must trust to `--cert-out`, else (unless `--cert` names the file it came from)
 * to a file of its own in the OS temp directory, removed when the simulator stops. Mode 0644: a certificate is
 * public, and whoever runs the clients must be able to read it.
 * @returns the file and whether it is temporary.
 * @throws CliError (exit 1) when it cannot be written.
 */
async function writeCertificate(
  certificate: string,
  flags: Pick<SimulateFlags, "certOut" | "cert">,
): Promise<{ path: string; temporary: boolean }> {
  if (flags.certOut === undefined && flags.cert !== undefined) return { path: resolve(flags.cert), temporary: false };
  // In the shared temp directory: a fresh random name, created exclusively (never through a planted symlink).
  const temporary = flags.certOut === undefined;
  const path = resolve(flags.certOut ?? join(tmpdir(), `rcc-simulator-${randomBytes(6).toString("hex")}-ca.pem`));
  try {
    await writeFile(path, certificate, { mode: 0o644, flag: temporary ? "wx" : "w" });
    await chmod(path, 0o644); // writeFile's mode applies only to a new file (and through the umask)
  } catch (error) {
    throw new CliError(
      `cannot write the certificate to '${path}' (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      EXIT.usage,
    );
  }
  return { path, temporary };
}
