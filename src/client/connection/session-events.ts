/**
 * What a session tells its owner (the status events the contributor and the consumer publish: typed events,
 * `status()` iterator, STYLE habit 3), what it tells the post pipeline, and the collaborators it is built on.
 */
import type { Clock } from "../../util/clock.js";
import type { Logger } from "../../util/logger.js";
import type { NakError } from "../errors.js";
import type { InboundMessage, openLink } from "./link.js";
import type { SessionLogin } from "./login-tokens.js";
import type { ProtocolWarnings } from "./protocol-warnings.js";
import type { RateGovernor } from "./rate-governor.js";
import type { SessionState } from "./session-state.js";

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
  /** An Update on an item stream (a consumer's, §4A.3); when absent, Updates are only counted by the link. */
  readonly onItemUpdate?: (message: InboundMessage) => void;
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
  /** Opens the connection; for tests, which drive the session over a fake link. @default the real `openLink` */
  openLink?: typeof openLink;
}
