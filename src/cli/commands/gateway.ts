/**
 * `rcc gateway`: runs the contribution service (HTTP API + durable outbox + one RCC session) until stopped.
 * Without an RCC target it runs against the embedded simulator and prints a demo key and a curl command. The
 * work is in gateway-run.ts, loaded only when run.
 */
import type { Command } from "commander";
import { addConnectionOptions } from "../connection-options.js";
import { DEFAULT_GATEWAY_PORT, nonNegativeIntOption, positiveIntOption } from "./shared.js";
import type { GatewayFlags } from "./gateway-run.js";

/** Registers `rcc gateway`. */
export function registerGateway(program: Command): void {
  addConnectionOptions(
    program
      .command("gateway")
      .description("run an HTTP contribution service: a durable outbox in front of an RCC session"),
    { postMode: true, endpointParts: false, configFile: false },
  )
    .option(
      "--new-key <name>",
      "make a producer key for <name> and print it with its --api-key-file entry, then exit (starts nothing)",
    )
    .option(
      "--config <file>",
      "JSON file with several accounts and the producers' keys (docs/gateway.md); flags below override its outbox, host and port",
    )
    .option("--outbox <file>", "the SQLite outbox file (default: rcc-gateway.db here; the demo: a temporary file)")
    .option(
      "--nats <urls>",
      "run as one gateway of a cluster on NATS JetStream, comma-separated nats:// or tls:// URLs (docs/cluster.md); overrides the config file's nats.servers",
    )
    .option("--nats-creds <file>", "a NATS .creds file (JWT and NKey seed) for --nats")
    .option("--host <address>", "address the HTTP API listens on (default: 127.0.0.1)")
    .option(
      "--port <port>",
      `port the HTTP API listens on, 0 = any free port (default: ${DEFAULT_GATEWAY_PORT})`,
      nonNegativeIntOption("--port"),
    )
    .option("--rics <patterns>", "RIC patterns the account contributes, comma-separated (* and ? wildcards)", "*")
    .option(
      "--conflate",
      "merge items of one RIC waiting in the outbox (a backlog) into the newest before sending; the older end conflated",
    )
    .option(
      "--api-key-file <file>",
      'JSON array of producer keys: [{"name","sha256":"sha256:<hex>","accounts":["*"],"rics":["*"]}] (default: a key is generated and printed)',
    )
    .option("--tls-cert <file>", "serve HTTPS with this PEM certificate (with --tls-key)")
    .option("--tls-key <file>", "PEM private key of --tls-cert")
    .option(
      "--retention <hours>",
      "keep final items, outcomes and Idempotency-Keys this long before compacting them (default: 24, or the config file's retentionHours)",
      positiveIntOption("--retention"),
    )
    .option(
      "--shutdown-timeout <ms>",
      "on SIGTERM/SIGINT, how long to wait for the Acks of posts on the wire",
      positiveIntOption("--shutdown-timeout"),
      10_000,
    )
    .addHelpText(
      "after",
      `
Examples:
  rcc gateway                          # embedded simulator: prints the URL, a demo key and a curl command
  rcc gateway --json                   # one JSON line {"url","outbox","accounts","apiKey"} on stdout, logs on stderr
  rcc gateway --config /etc/rcc/gateway.json   # several accounts and the producers' keys
  rcc gateway --new-key pricing-engine --json   # a key and its entry for --api-key-file / apiKeys
  rcc gateway --config /etc/rcc/gateway.json --nats nats://10.0.0.1:4222,nats://10.0.0.2:4222
                                       # one gateway of a cluster: each account led by one gateway at a time
  RCC_PASSWORD_FILE=~/.rcc-pass rcc gateway --env prod --url wss://host/WebSocket --user GE-A-… \\
      --outbox /var/lib/rcc/outbox.db --api-key-file /etc/rcc/keys.json --port 8787

  curl -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
      -d '{"ric":"TRCCTEST01","fields":{"BID":451.55}}' 'http://127.0.0.1:8787/v1/contributions?wait=ack'

Exit codes:
  0    stopped with SIGTERM/SIGINT/SIGHUP (items not yet final stay in the outbox for the next start)
  1    bad usage, or the gateway could not start (outbox unreadable, port taken, bad key file, NATS unreachable)
  130  stopped by a second signal before the Acks on the wire were in`,
    )
    .action(async (flags: GatewayFlags) => {
      const { runGateway } = await import("./gateway-run.js");
      await runGateway(flags);
    });
}
