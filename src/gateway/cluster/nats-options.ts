/**
 * How a cluster gateway reaches NATS (docs/cluster.md, "Configuration"): servers, credentials, TLS, and the
 * names of the streams and buckets the cluster shares. Checked before anything connects; secrets are read from
 * files where the option says so and never echoed in an error.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { NodeConnectionOptions } from "@nats-io/transport-node";

/** The cluster-mode options of a gateway (`nats:` in the configuration file, `--nats` on the command line). */
export interface GatewayNatsOptions {
  /** NATS server URLs (`nats://host:port`, `tls://host:port`); the client fails over between them. */
  servers: readonly string[];
  /** User and password (`authorization { user, password }` on the server). @default none */
  user?: string;
  pass?: string;
  /** A token (`authorization { token }`). @default none */
  token?: string;
  /** A `.creds` file (JWT and NKey seed, from `nsc`). @default none */
  credsFile?: string;
  /** A file holding an NKey seed (`SU…`). @default none */
  nkeySeedFile?: string;
  /**
   * TLS towards NATS (server certificate verified; a client certificate when `certFile` and `keyFile` are given).
   * A `tls://` server URL turns TLS on with the system's CAs. @default none
   */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** First tokens of every subject (subjects.ts). @default "rcc" */
  prefix?: string;
  /** The inbound stream's name. @default "RCC_INBOUND" */
  inboundStream?: string;
  /** The outcomes stream's name. @default "RCC_OUTCOMES" */
  outcomeStream?: string;
  /** The KV bucket of the account leases and gateway presence. @default "rcc-leases" */
  leaseBucket?: string;
  /** The KV bucket of the Idempotency-Key claims. @default "rcc-requests" */
  requestBucket?: string;
  /** Copies of every stream and bucket message (1, 3 or 5: a 3-node NATS cluster wants 3). @default 1 */
  replicas?: number;
  /**
   * How long an account's lease lives after its last renewal, milliseconds: a dead leader is replaced this long
   * after its last renewal (plus one login). @default 5_000
   */
  leaseTtlMs?: number;
  /**
   * How long JetStream waits for an item's ack before it delivers it again, milliseconds. The leader reports the
   * items it holds in progress every half of it, so only a dead or cut-off leader's items are delivered again, to
   * the next leader, which takes over after about a lease time: the two are best equal. @default leaseTtlMs
   */
  ackWaitMs?: number;
  /** This gateway's id in the cluster. @default `<hostname>-<pid>-<random>` (a new one per start) */
  gatewayId?: string;
}

/** The defaults of {@link GatewayNatsOptions}. */
const DEFAULT_NATS_OPTIONS = Object.freeze({
  prefix: "rcc",
  inboundStream: "RCC_INBOUND",
  outcomeStream: "RCC_OUTCOMES",
  leaseBucket: "rcc-leases",
  requestBucket: "rcc-requests",
  replicas: 1,
  leaseTtlMs: 5_000,
});

/** {@link GatewayNatsOptions} checked, with defaults. */
export type ResolvedNatsOptions = Required<
  Omit<GatewayNatsOptions, "user" | "pass" | "token" | "credsFile" | "nkeySeedFile" | "tls">
> &
  Pick<GatewayNatsOptions, "user" | "pass" | "token" | "credsFile" | "nkeySeedFile" | "tls">;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Checks `options` and applies the defaults.
 * @throws Error naming the bad option (never its value when it is a secret).
 */
export function resolveNatsOptions(options: GatewayNatsOptions): ResolvedNatsOptions {
  const servers = options.servers;
  if (!Array.isArray(servers) || servers.length === 0) throw new Error("nats.servers: give at least one NATS URL");
  for (const server of servers) {
    if (typeof server !== "string" || !/^(nats|tls):\/\/[^\s/]+$/.test(server)) {
      throw new Error(`nats.servers: ${JSON.stringify(server)} is not a nats://host:port or tls://host:port URL`);
    }
  }
  const credentials = [options.user ?? options.pass, options.token, options.credsFile, options.nkeySeedFile];
  if (credentials.filter((value) => value !== undefined).length > 1) {
    throw new Error("nats: give one of user/pass, token, credsFile or nkeySeedFile");
  }
  if ((options.user === undefined) !== (options.pass === undefined)) {
    throw new Error("nats: user and pass go together");
  }
  const withDefaults = { ...DEFAULT_NATS_OPTIONS, gatewayId: defaultGatewayId(), ...options };
  const settings = {
    ...withDefaults,
    ackWaitMs: options.ackWaitMs ?? withDefaults.leaseTtlMs,
    servers: (servers as readonly string[]).slice(),
  };
  for (const key of ["inboundStream", "outcomeStream", "leaseBucket", "requestBucket"] as const) {
    if (!NAME.test(settings[key])) throw new Error(`nats.${key} must be 1–64 letters, digits, _ or -`);
  }
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(settings.prefix)) {
    throw new Error("nats.prefix must be tokens of letters, digits, _ and - joined by '.'");
  }
  if (![1, 3, 5].includes(settings.replicas)) throw new Error("nats.replicas must be 1, 3 or 5");
  if (!(Number.isSafeInteger(settings.leaseTtlMs) && settings.leaseTtlMs >= 1_000)) {
    throw new Error("nats.leaseTtlMs must be a whole number of milliseconds ≥ 1000");
  }
  if (!(Number.isSafeInteger(settings.ackWaitMs) && settings.ackWaitMs >= 1_000)) {
    throw new Error("nats.ackWaitMs must be a whole number of milliseconds ≥ 1000");
  }
  if (typeof settings.gatewayId !== "string" || !/^[\x21-\x7e]{1,128}$/.test(settings.gatewayId)) {
    throw new Error("nats.gatewayId must be 1–128 visible ASCII characters");
  }
  return settings;
}

function defaultGatewayId(): string {
  return `${hostname().replace(/[^\x21-\x7e]/g, "_")}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/**
 * The nats.js connection options for `options`: credentials read from their files now (an unreadable file is an
 * Error naming it), reconnecting for ever, TLS verified.
 */
export async function natsConnectionOptions(options: ResolvedNatsOptions): Promise<NodeConnectionOptions> {
  const { credsAuthenticator, nkeyAuthenticator } = await import("@nats-io/transport-node");
  const read = (path: string, what: string): Uint8Array => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`nats.${what}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`, {
        cause: error,
      });
    }
  };
  const connection: NodeConnectionOptions = {
    servers: [...options.servers],
    name: `rcc-gateway ${options.gatewayId}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 2_000,
    maxPingOut: 2,
    // No async stack traces: two Error objects per request were ~10 % of the cluster gateway's CPU (bench/cluster).
    noAsyncTraces: true,
  };
  if (options.user !== undefined) {
    connection.user = options.user;
    connection.pass = options.pass;
  }
  if (options.token !== undefined) connection.token = options.token;
  if (options.credsFile !== undefined)
    connection.authenticator = credsAuthenticator(read(options.credsFile, "credsFile"));
  if (options.nkeySeedFile !== undefined) {
    const seed = new TextDecoder().decode(read(options.nkeySeedFile, "nkeySeedFile")).trim();
    connection.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (options.tls !== undefined) {
    for (const key of ["caFile", "certFile", "keyFile"] as const) {
      const path = options.tls[key];
      if (path !== undefined) read(path, `tls.${key}`); // fail now, by name, rather than at the handshake
    }
    connection.tls = { ...options.tls };
  }
  return connection;
}
