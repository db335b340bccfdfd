/**
 * Simulator options: what callers may pass, validated once with zod, and the defaults.
 */
import { z } from "zod";
import type { Account, SimulatorConfig } from "./types.js";

/** The account that works out of the box (`rcc simulate`, `rcc demo`). Not a secret: a local simulator. */
export const DEMO_ACCOUNT: Account = {
  user: "GE-A-00000001-1-0001",
  password: "demo-password-not-a-secret",
  clientId: "GE-A-00000001-1-0001",
  rics: ["*"],
};

/** The RIC that works out of the box. */
export const DEMO_RIC = "TRCCTEST01";

const accountSchema = z.object({
  user: z.string().min(1),
  password: z.string().min(1),
  clientId: z.string().min(1).optional(),
  rics: z.array(z.string().min(1)).optional(),
});

const fieldSchema = z.object({
  fid: z.number().int(),
  type: z.enum(["real", "int", "uint", "enum", "date", "time", "datetime", "rmtes", "ascii", "buffer"]),
  maxLength: z.number().int().positive().optional(),
});

/** Schema of the configurable part of {@link SimulatorConfig}; every key optional. */
const simulatorConfigSchema = z.object({
  /** Interface to bind. @default "127.0.0.1" */
  host: z.string().default("127.0.0.1"),
  /** Accounts; `clientId` defaults to `user`, `rics` to ["*"]. @default [DEMO_ACCOUNT] */
  accounts: z.array(accountSchema).min(1).default([DEMO_ACCOUNT]),
  /** Known RICs or glob patterns. @default ["TRCCTEST*"] */
  rics: z.array(z.string().min(1)).default(["TRCCTEST*"]),
  /** Access-token lifetime, seconds. @default 600 */
  accessTokenLifetimeSec: z.number().int().positive().default(600),
  /** Refresh-token lifetime, seconds. @default 900 */
  refreshTokenLifetimeSec: z.number().int().positive().default(900),
  /** RDP session (refresh chain) maximum lifetime, seconds. @default 86_400 */
  sessionLifetimeSec: z.number().int().positive().default(86_400),
  /** HTTP status of "Session quota is reached.". @default 401 */
  sessionQuotaStatus: z.number().int().min(400).max(499).default(401),
  /** Server ping interval, milliseconds. @default 20_000 */
  pingIntervalMs: z.number().int().positive().default(20_000),
  /** Ping intervals without inbound traffic before the server cuts the connection. @default 3 */
  missedPingsBeforeDisconnect: z.number().int().positive().default(3),
  /** `TRCE:MaxMessagesPerSecond` advertised and enforced. @default 1000 */
  maxMessagesPerSecond: z.number().int().positive().default(1000),
  /** What happens to posts over the rate (§3.4). @default "nak" */
  ratePolicy: z.enum(["nak", "disconnect", "delay"]).default("nak"),
  /** Largest inbound frame, bytes; a larger one disconnects (item 30). @default 61_440 */
  maxMessageBytes: z.number().int().positive().default(61_440),
  /** Accepted service names and their numeric ids. @default { DDS_TRCE: 1 } */
  services: z.record(z.string(), z.number().int().min(0).max(65_535)).default({ DDS_TRCE: 1 }),
  /** Extra field definitions merged over the built-in table. @default {} */
  fields: z.record(z.string(), fieldSchema).default({}),
  /** Status code for a Login with an invalid or expired token (item 14). @default "NotEntitled" */
  invalidTokenCode: z.string().default("NotEntitled"),
  /** Item 16: on access-token expiry without re-login, "ignore" or "close" the session. @default "ignore" */
  expiredSessionPolicy: z.enum(["ignore", "close"]).default("ignore"),
  /** Host name in "Login accepted by host …". @default "rcc-sim" */
  hostName: z.string().default("rcc-sim"),
  /** Most RICs the last-value table holds; a post that would add one more is Nak'd `NoResources`. @default 100_000 */
  maxRics: z.number().int().positive().default(100_000),
  /** Longest RIC name, characters; a post to a longer one is Nak'd `SymbolUnknown` (real RICs are short). @default 32 */
  maxRicLength: z.number().int().positive().max(255).default(32),
  /** Most fields one RIC's last values hold; a post that would add more is Nak'd `NoResources`. @default 1_000 */
  maxFieldsPerRic: z.number().int().positive().default(1_000),
  /**
   * Largest string field value, UTF-8 bytes, whatever the field table's `maxLength` (which the built-in fields keep
   * far below it); a larger value is Nak'd `InvalidContent`. @default 4_096
   */
  maxFieldValueBytes: z.number().int().positive().default(4_096),
  /** Posts kept for `/admin/contributions`. @default 2_000 */
  recentPostsLimit: z.number().int().min(0).default(2_000),
  /** Inbound messages recorded (item 32). @default 2_000 */
  recordedMessagesLimit: z.number().int().min(0).default(2_000),
  /**
   * Which server the WebSocket listeners imitate (§4A): `"rcc"` is RCC as documented (token logins only, the RCC
   * Login Refresh, off-stream posts); `"ads"` is an on-site ADS (user-name logins as well, the ADS Login Refresh,
   * the Source directory, on-stream posts, nested Refresh posts). Both serve MarketPrice subscriptions.
   * @default "rcc"
   */
  profile: z.enum(["rcc", "ads"]).default("rcc"),
  /**
   * Most WebSocket connections open at once, all listeners together (file descriptors and memory are the
   * process's); one more upgrade is refused with HTTP 503 and a plain-text reason. @default 10_000
   */
  maxConnections: z.number().int().positive().default(10_000),
  /**
   * Time a socket has to complete its HTTP request (the WebSocket upgrade, a token or admin request: TLS
   * handshake, request line and headers, and the body), milliseconds; a socket that has not is destroyed.
   * @default 5_000
   */
  handshakeTimeoutMs: z.number().int().positive().default(5_000),
  /**
   * Most bytes a connection may have waiting to be written to a peer that does not read; one more frame beyond
   * it ends the connection (terminated: a close frame could not get through either). @default 4_194_304 (4 MiB)
   */
  maxBufferedBytes: z.number().int().positive().default(4_194_304),
  /**
   * Most converter Errors answered for one inbound frame; the other bad messages of that frame get one final
   * Error saying how many were not answered. @default 100
   */
  maxErrorsPerFrame: z.number().int().positive().default(100),
  /**
   * Most messages a connection may send while no Login is accepted (Logins, Pings and all); each is answered
   * as usual, and the next one closes the connection with 1008. @default 10
   */
  maxMessagesBeforeLogin: z.number().int().positive().default(10),
  /**
   * Messages of one connection handled in one go; a larger frame (or a burst of frames) is handled in slices
   * of this many with other connections served in between, and the socket is paused meanwhile. @default 1_000
   */
  messagesPerSlice: z.number().int().positive().default(1_000),
});

/** Configurable part of the simulator, as callers pass it. */
export type SimulatorConfigInput = z.input<typeof simulatorConfigSchema>;

/**
 * Validates and completes a configuration.
 * @throws Error naming every invalid key.
 */
export function resolveConfig(input: SimulatorConfigInput = {}): SimulatorConfig {
  const result = simulatorConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`invalid simulator options: ${problems.join("; ")}`);
  }
  const parsed = result.data;
  return {
    ...parsed,
    accounts: parsed.accounts.map((account) => ({
      user: account.user,
      password: account.password,
      clientId: account.clientId ?? account.user,
      rics: account.rics ?? ["*"],
    })),
  };
}

/** Whether `name` matches a RIC pattern where `*` stands for any run of characters. */
function matchesRicPattern(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name;
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`).test(name);
}

/** Whether any of `patterns` matches `name`. */
export function matchesAnyRic(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => matchesRicPattern(pattern, name));
}
