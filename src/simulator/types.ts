/**
 * Contracts shared by the simulator's parts: the token endpoint (auth/), the RCC WebSocket server (rcc/),
 * the admin API and the assembly in index.ts.
 */
import type { FieldDefinition } from "../protocol/field-table.js";
import type { Logger } from "../util/logger.js";
import type { Clock } from "../util/clock.js";
import type { FaultRegistry } from "./faults.js";
import type { SimulatorState } from "./state.js";

/** A machine-ID account known to the simulated RDP Auth Gateway. */
export interface Account {
  /** Machine ID, sent as `username` (e.g. `GE-A-00000000-1-0000`). */
  user: string;
  /** Password of the machine ID. */
  password: string;
  /** Client id (app key) accepted for this user; for RCC the machine ID itself is usually reused. */
  clientId: string;
  /** RIC names or glob patterns (`*` matches any run of characters) this account may contribute to. @default ["*"] */
  rics: string[];
}

/** What the token endpoint knows about an access token it issued (checklist item 9). */
export interface AccessTokenInfo {
  user: string;
  /** RDP session (refresh chain) the token belongs to. */
  sessionId: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

/** Result of validating an access token presented in a Login. */
export type AccessTokenCheck =
  | { ok: true; info: AccessTokenInfo }
  | { ok: false; reason: "unknown" | "expired" | "revoked" };

/** Read side of the token store, used by the WebSocket server to validate Login tokens (item 9). */
export interface TokenValidator {
  validateAccessToken(token: string, nowMs: number): AccessTokenCheck;
}

/** Rate policy for posts beyond `TRCE:MaxMessagesPerSecond` (§3.4). */
type RatePolicy = "nak" | "disconnect" | "delay";

/** Fully resolved simulator configuration (defaults applied). All durations in the unit their name says. */
export interface SimulatorConfig {
  host: string;
  accounts: Account[];
  /** Known RICs or glob patterns; a post to any other RIC is Nak'd `SymbolUnknown`. */
  rics: string[];
  accessTokenLifetimeSec: number;
  refreshTokenLifetimeSec: number;
  sessionLifetimeSec: number;
  /** HTTP status of the "Session quota is reached." refusal (item 6). @default 401 */
  sessionQuotaStatus: number;
  pingIntervalMs: number;
  /** Inbound-silence ping intervals after which a connection is cut (RCC: 3). */
  missedPingsBeforeDisconnect: number;
  maxMessagesPerSecond: number;
  ratePolicy: RatePolicy;
  maxMessageBytes: number;
  /** Service names accepted on posts, and their numeric ids. */
  services: Record<string, number>;
  /** Extra or overriding field definitions. */
  fields: Record<string, FieldDefinition>;
  /** Code sent when a Login token is invalid or expired (item 14). */
  invalidTokenCode: string;
  /** Item 16: what to do when a session's token expires without re-login. */
  expiredSessionPolicy: "ignore" | "close";
  /** Host name shown in "Login accepted by host …". */
  hostName: string;
  /** Most RICs in the last-value table (new RICs beyond are Nak'd `NoResources`). @default 100_000 */
  maxRics: number;
  /** Longest RIC name, characters (longer ones are Nak'd `SymbolUnknown`). @default 32 */
  maxRicLength: number;
  /** Most fields in one RIC's last values. @default 1_000 */
  maxFieldsPerRic: number;
  /** Largest string field value, UTF-8 bytes. @default 4_096 */
  maxFieldValueBytes: number;
  /** Size of the ring of recent posts kept for `/admin/contributions`. */
  recentPostsLimit: number;
  /** Size of the ring of recorded inbound messages (item 32). */
  recordedMessagesLimit: number;
  /** Server imitated by the WebSocket listeners: RCC or an on-site ADS (§4A). @default "rcc" */
  profile: SimulatorProfile;
  /** Most WebSocket connections open at once, all listeners together; more are refused with HTTP 503. @default 10_000 */
  maxConnections: number;
  /** Time a socket has to complete its HTTP request (TLS, headers, body), milliseconds. @default 5_000 */
  handshakeTimeoutMs: number;
  /** Most bytes waiting to be written to one peer; beyond it the connection is terminated. @default 4_194_304 */
  maxBufferedBytes: number;
  /** Most converter Errors answered per inbound frame; the rest are summed up in one Error. @default 100 */
  maxErrorsPerFrame: number;
  /** Most messages accepted before a Login is accepted; the next one closes the connection (1008). @default 10 */
  maxMessagesBeforeLogin: number;
  /** Messages of one connection handled before other connections get a turn. @default 1_000 */
  messagesPerSlice: number;
}

/** Which server the WebSocket listeners imitate (§4A). */
export type SimulatorProfile = "rcc" | "ads";

/** What every part of the simulator is built from. */
export interface SimulatorContext {
  config: SimulatorConfig;
  clock: Clock;
  faults: FaultRegistry;
  state: SimulatorState;
  log: Logger;
}
