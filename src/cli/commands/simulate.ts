/**
 * `rcc simulate`: runs the local RCC simulator (token endpoint, RCC WebSocket listeners, admin API) until
 * interrupted. With --json it prints exactly one JSON line on stdout once ready.
 */
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { Command, InvalidArgumentError, Option } from "commander";
import { createLogger } from "../../util/logger.js";
import { FAULT_TYPES, startSimulator, type FaultSpec, type SimulatorOptions } from "../../simulator/index.js";
import { CliError, EXIT } from "../exit-codes.js";

function positiveInt(name: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${raw}'`);
    return value;
  };
}

function port(raw: string, previous: number[] = []): number[] {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535)
    throw new InvalidArgumentError(`a port is 0–65535, got '${raw}'`);
  return [...previous, value];
}

/**
 * Parses `--fault TYPE[,key=value…]`, e.g. `nak,code=AccessDenied,ric=TRCCTEST02` or `delay-acks,ms=500`.
 * Numeric keys (listener, durationMs, count, ms, status, seconds) are parsed as integers.
 */
export function parseFault(raw: string, previous: FaultSpec[] = []): FaultSpec[] {
  const [type = "", ...pairs] = raw.split(",");
  if (!(FAULT_TYPES as readonly string[]).includes(type)) {
    throw new InvalidArgumentError(`unknown fault '${type}'; known: ${FAULT_TYPES.join(", ")}`);
  }
  const spec: Record<string, unknown> = { type };
  const numeric = new Set(["listener", "durationMs", "count", "ms", "status", "seconds"]);
  const text = new Set(["connection", "code", "text", "ric"]);
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    if (numeric.has(key)) {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 0)
        throw new InvalidArgumentError(`fault key '${key}' needs a whole number, got '${value}'`);
      spec[key] = number;
    } else if (text.has(key)) {
      spec[key] = value;
    } else {
      throw new InvalidArgumentError(`unknown fault key '${key}' in '${raw}'`);
    }
  }
  return [...previous, spec as unknown as FaultSpec];
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

interface SimulateFlags {
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
  tls?: boolean;
  cert?: string;
  key?: string;
  fault?: FaultSpec[];
  adminToken?: string;
  json?: boolean;
  logLevel: string;
}

/** Registers `rcc simulate` on the program. */
export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description("run a local simulator of the RDP token endpoint and the RCC WebSocket server")
    .option("--host <address>", "interface to bind (non-loopback addresses need --admin-token)", "127.0.0.1")
    .option(
      "--http-port <port>",
      "port of the token endpoint and admin API (0 = any free port)",
      (v) => port(v)[0] ?? 0,
      0,
    )
    .option("--ws-port <port>", "port of a WebSocket listener; repeat for several (failover)", port)
    .option("--listeners <n>", "number of WebSocket listeners on free ports", positiveInt("--listeners"), 1)
    .option("--accounts <file>", 'JSON array of accounts: [{"user","password","clientId","rics":[…]}]')
    .option("--config <file>", "JSON file of simulator options (see docs/simulator.md); flags override it")
    .option("--token-lifetime <seconds>", "access-token lifetime (expires_in)", positiveInt("--token-lifetime"))
    .option("--refresh-lifetime <seconds>", "refresh-token lifetime", positiveInt("--refresh-lifetime"))
    .option("--session-lifetime <seconds>", "RDP session maximum lifetime", positiveInt("--session-lifetime"))
    .option("--ping-interval <seconds>", "server ping interval", positiveInt("--ping-interval"))
    .option(
      "--max-messages-per-second <n>",
      "TRCE:MaxMessagesPerSecond advertised and enforced",
      positiveInt("--max-messages-per-second"),
    )
    .addOption(
      new Option("--rate-policy <policy>", "what happens to posts over the rate").choices([
        "nak",
        "disconnect",
        "delay",
      ]),
    )
    .option("--max-message-bytes <n>", "largest inbound frame before disconnecting", positiveInt("--max-message-bytes"))
    .option("--tls", "serve https:// and wss:// with a generated self-signed certificate")
    .option("--cert <file>", "PEM certificate for TLS (with --key)")
    .option("--key <file>", "PEM private key for TLS (with --cert)")
    .option("--fault <spec>", "start with a fault, e.g. nak,code=AccessDenied,ric=TRCCTEST02 (repeatable)", parseFault)
    .option(
      "--admin-token <token>",
      "require 'Authorization: Bearer <token>' on the admin API (or RCC_SIM_ADMIN_TOKEN)",
    )
    .option("--json", "print one JSON line with the URLs and accounts once ready")
    .addOption(
      new Option("--log-level <level>", "log level on stderr")
        .choices(["trace", "debug", "info", "warn", "error", "silent"])
        .default("info"),
    )
    .addHelpText(
      "after",
      `
Examples:
  rcc simulate                         # token endpoint, one RCC listener, admin API on free ports
  rcc simulate --json                  # one JSON line: {"authUrl","wsUrls","adminUrl","accounts"}
  rcc simulate --listeners 2 --tls     # two wss:// endpoints for failover tests
  rcc simulate --token-lifetime 30 --ping-interval 5 --max-messages-per-second 50
  curl -X POST -d '{"type":"system-busy"}' http://127.0.0.1:<port>/admin/faults`,
    )
    .action(async (flags: SimulateFlags) => {
      await simulate(flags);
    });
}

async function simulate(flags: SimulateFlags): Promise<void> {
  const fromFile = flags.config === undefined ? {} : ((await readJsonFile(flags.config, "config")) as SimulatorOptions);
  const adminToken = flags.adminToken ?? process.env.RCC_SIM_ADMIN_TOKEN;
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
  if (flags.cert !== undefined && flags.key !== undefined) {
    options.tls = { cert: await readFile(flags.cert, "utf8"), key: await readFile(flags.key, "utf8") };
  } else if (flags.tls) {
    options.tls = true;
  }
  if (adminToken !== undefined) options.adminToken = adminToken;
  options.log = createLogger({ level: flags.logLevel, name: "rcc-sim" });

  let sim;
  try {
    sim = await startSimulator(options);
  } catch (error) {
    throw new CliError(`the simulator could not start: ${(error as Error).message}`, EXIT.usage);
  }
  for (const fault of flags.fault ?? []) sim.faults.add(fault);

  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ authUrl: sim.authUrl, wsUrls: sim.wsUrls, adminUrl: sim.adminUrl, dashboardUrl: sim.dashboardUrl, accounts: sim.accounts })}\n`,
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
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void sim.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
