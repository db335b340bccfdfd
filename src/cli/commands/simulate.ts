/**
 * `rcc simulate`: runs the local RCC simulator (token endpoint, RCC WebSocket listeners, admin API) until
 * interrupted. With --json it prints exactly one JSON line on stdout once ready. The work is in
 * simulate-run.ts, loaded only when run.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { FaultSpec, FaultType } from "../../simulator/index.js";
import { LOG_FORMATS } from "../settings.js";
import type { SimulateFlags } from "./simulate-run.js";

/**
 * The simulator's fault types (its FAULT_TYPES, in the same order), spelled out rather than imported: `--fault`
 * is checked while the arguments are parsed, and importing the simulator entry there would load all of the
 * simulator on every `rcc` start. `satisfies` makes the compiler reject a type missing here or one that is not
 * a fault type.
 */
const FAULT_TYPE_NAMES = Object.keys({
  "system-busy": true,
  disconnect: true,
  "stop-pings": true,
  "drop-acks": true,
  "delay-acks": true,
  nak: true,
  "reject-logins": true,
  "token-errors": true,
  "token-redirect": true,
  "token-delay": true,
  "token-expires-in": true,
} satisfies Record<FaultType, true>);

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
  if (!FAULT_TYPE_NAMES.includes(type)) {
    throw new InvalidArgumentError(`unknown fault '${type}'; known: ${FAULT_TYPE_NAMES.join(", ")}`);
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
    .addOption(
      new Option(
        "--profile <profile>",
        "server to imitate: rcc, or ads (an on-site ADS: user-name logins, Source directory, on-stream posts)",
      ).choices(["rcc", "ads"]),
    )
    .option("--tls", "serve https:// and wss:// with a generated self-signed certificate")
    .option("--cert <file>", "PEM certificate for TLS (with --key)")
    .option("--key <file>", "PEM private key for TLS (with --cert)")
    .option(
      "--cert-out <file>",
      "with TLS, write the certificate clients must trust here, mode 0644 (default: a file in the OS temp directory, removed on stop); give it to clients as --ca <file>",
    )
    .option("--fault <spec>", "start with a fault, e.g. nak,code=AccessDenied,ric=TRCCTEST02 (repeatable)", parseFault)
    .option(
      "--admin-token <token>",
      "require 'Authorization: Bearer <token>' on the admin API; visible to other users of this machine (ps), prefer --admin-token-file or RCC_SIM_ADMIN_TOKEN",
    )
    .option("--admin-token-file <file>", "read the admin token from a file (first line); keep it private: chmod 600")
    .option("--json", "print one JSON line with the URLs and accounts once ready")
    .addOption(
      new Option("--log-level <level>", "log level on stderr")
        .choices(["trace", "debug", "info", "warn", "error", "silent"])
        .default("info"),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "log format on stderr, as for the other commands (RCC_LOG_FORMAT) (default: pretty on a terminal, else json)",
      ).choices(LOG_FORMATS),
    )
    .addHelpText(
      "after",
      `
Examples:
  rcc simulate                         # token endpoint, one RCC listener, admin API on free ports
  rcc simulate --json                  # one JSON line: {"authUrl","wsUrls","adminUrl","dashboardUrl","accounts"}
  rcc simulate --listeners 2 --tls     # two wss:// endpoints for failover tests; prints the --ca file to use
  rcc simulate --tls --cert-out sim-ca.pem --json   # the certificate in sim-ca.pem (and the JSON's certificateFile)
  rcc simulate --token-lifetime 30 --ping-interval 5 --max-messages-per-second 50
  curl -X POST -d '{"type":"system-busy"}' http://127.0.0.1:<port>/admin/faults

Exit codes:
  0    stopped with Ctrl+C (SIGINT) or SIGTERM
  1    bad usage, or the simulator could not start (e.g. a port is taken)
  141  stdout or stderr closed by its reader, e.g. piped to head (silent)`,
    )
    .action(async (flags: SimulateFlags) => {
      const { runSimulate } = await import("./simulate-run.js");
      await runSimulate(flags);
    });
}
