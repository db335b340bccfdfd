/**
 * The session's lifecycle as one string union, the legal moves between states, and the status events the
 * contributor publishes (typed events, `status()` iterator). STYLE habits 2 and 3.
 */
import type { Clock } from "../../util/clock.js";
import type { Logger } from "../../util/logger.js";
import type { NakError } from "../post-errors.js";
import type { ProtocolWarnings } from "./protocol-warnings.js";
import type { RateGovernor } from "./rate-governor.js";
import type { InboundMessage } from "./link.js";
import type { SessionLogin } from "./login-tokens.js";

/** Where a session is in its life. */
export type SessionState =
  | "idle"
  | "authenticating"
  | "connecting"
  | "logging-in"
  | "ready"
  | "backing-off"
  | "closing"
  | "closed";

/**
 * Legal moves. Every running state may go to "backing-off" (a retriable failure), "closing" (the user
 * called close()) or straight to "closed" (a fatal failure); "closed" is final.
 */
export const LEGAL_TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  idle: ["authenticating", "closing", "closed"],
  authenticating: ["connecting", "backing-off", "closing", "closed"],
  connecting: ["logging-in", "backing-off", "closing", "closed"],
  "logging-in": ["ready", "backing-off", "closing", "closed"],
  ready: ["backing-off", "closing", "closed"],
  "backing-off": ["authenticating", "closing", "closed"],
  closing: ["closed"],
  closed: [],
};

/** Whether `from → to` is a legal move. */
export function isLegalTransition(from: SessionState, to: SessionState): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

/** A state change. */
export interface StateChange {
  from: SessionState;
  to: SessionState;
  /** Why, when there is an error behind it (a lost link, a refused login, a fatal failure). */
  cause?: Error;
}

/** The session logged in and posts flow. */
export interface ReadyInfo {
  /** The endpoint connected to. */
  url: string;
  /** The rate limit in force, messages per second (advertised or the configured default, §3.3). */
  maxMessagesPerSecond: number;
  /** Whether the Login Refresh advertised `TRCE:MaxMessagesPerSecond`. */
  advertised: boolean;
  /** `State.Text` of the Login Refresh, e.g. "Login accepted by host …". */
  text: string;
}

/** A reconnect is scheduled. */
export interface ReconnectInfo {
  /** Consecutive failed attempts so far (1 after the first failure). */
  attempt: number;
  /** Wait before the next attempt, milliseconds. */
  delayMs: number;
  /** The endpoint the next attempt goes to. */
  url: string;
  cause: Error;
}

/** A token refresh was applied with a `Refresh:false` re-login (§2.4). */
export interface TokenRefreshInfo {
  /** Expiry of the new token, epoch milliseconds. */
  expiresAtMs: number;
}

/** One status event, as yielded by `status()` (a discriminated union on `type`). */
export type StatusEvent =
  | ({ type: "state" } & StateChange)
  | ({ type: "ready" } & ReadyInfo)
  | ({ type: "reconnecting" } & ReconnectInfo)
  | ({ type: "token-refreshed" } & TokenRefreshInfo)
  | { type: "nak"; error: NakError }
  | { type: "error"; error: Error }
  | { type: "closed"; error?: Error };

/** Typed event map of the contributor's EventEmitter. */
export interface ContributorEvents {
  state: [StateChange];
  ready: [ReadyInfo];
  reconnecting: [ReconnectInfo];
  "token-refreshed": [TokenRefreshInfo];
  nak: [NakError];
  /** Emitted only when at least one listener is attached (an unhandled "error" would throw). */
  error: [Error];
  closed: [Error | undefined];
}

/** What the post pipeline hears from the session. */
export interface SessionPipeline {
  /** Logged in on a new connection: PostIDs restart, queued posts may flow. */
  readonly onReady: () => void;
  /** The connection that was ready is gone; posts in flight lost their Acks. */
  readonly onDisconnected: (cause: Error) => void;
  /** An Ack or Nak arrived at monotonic `nowMs` (hot path). */
  readonly onAck: (message: InboundMessage, nowMs: number) => void;
  /** A server Error arrived (§2.11). */
  readonly onServerError: (message: InboundMessage) => void;
  /** Held-back control messages went out; posts may continue. */
  readonly onWritable: () => void;
  /** A Refresh, Status or Update on a stream other than the login stream (on-stream posting, §4A.6). */
  readonly onItemMessage: (message: InboundMessage) => void;
}

/** Collaborators of a session. */
export interface SessionDeps {
  /** How to log in: tokens from a provider, or a DACS user name (§4A.5). */
  login: SessionLogin;
  clock: Clock;
  random: () => number;
  log: Logger;
  governor: RateGovernor;
  pipeline: SessionPipeline;
  publish: (event: StatusEvent) => void;
  /** Where unusable Login Refresh elements are reported; reset for every connection. */
  warnings: ProtocolWarnings;
}

/** Counters of a session. */
export interface SessionCounters {
  /** Reconnects scheduled (entries into "backing-off"). */
  reconnects: number;
  /** Tokens received from the provider's refresh schedule. */
  tokenRefreshes: number;
  /** Entries into each state. */
  transitions: Record<SessionState, number>;
}

/** Zeroed counters of a session that starts "idle". */
export function newSessionCounters(): SessionCounters {
  const transitions = Object.fromEntries(Object.keys(LEGAL_TRANSITIONS).map((state) => [state, 0]));
  return { reconnects: 0, tokenRefreshes: 0, transitions: { ...transitions, idle: 1 } as Record<SessionState, number> };
}
