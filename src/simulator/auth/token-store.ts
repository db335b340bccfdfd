/**
 * Sessions (refresh chains) and the tokens issued for them (docs/protocol.md §1.5, §1.7; checklist items
 * 4, 5, 6 and 9). Tokens are opaque random strings. Memory stays bounded: expired records are swept
 * lazily every {@link SWEEP_EVERY_ISSUES} issues, and a session is forgotten once it can no longer be
 * refreshed and none of its access tokens is still worth reporting.
 */
import { randomBytes } from "node:crypto";
import type { AccessTokenCheck, AccessTokenInfo } from "../types.js";

/** Issues between two sweeps of expired records. */
export const SWEEP_EVERY_ISSUES = 64;
/**
 * How long an expired access token is still remembered, milliseconds, so a Login with it is reported
 * "expired" rather than "unknown".
 */
const EXPIRED_TOKEN_MEMORY_MS = 600_000;

/** One RDP session: the chain of tokens started by a password grant. */
export interface SignOnSession {
  readonly id: string;
  readonly user: string;
  readonly clientId: string;
  readonly startedAtMs: number;
  /** Session end of life (§1.7): no refresh succeeds at or after this time. */
  readonly endsAtMs: number;
  /** Scope granted, echoed on refreshes that do not send one. */
  scope: string;
  /** Set when another sign-on with `takeExclusiveSignOnControl=true` took over (item 6). */
  revoked: boolean;
  /** Only this refresh token can extend the session (§1.7). */
  latestRefreshToken: string;
  refreshExpiresAtMs: number;
  /** Expiry of the newest access token of the session. */
  lastAccessExpiresAtMs: number;
}

/** Why a refresh token cannot be used. */
export type RefreshRefusal = "unknown" | "expired" | "consumed" | "revoked" | "session-ended";

/** Outcome of looking up a refresh token. */
export type RefreshLookup =
  | { ok: true; session: SignOnSession }
  | { ok: false; reason: RefreshRefusal; session?: SignOnSession };

/** Tokens of one successful grant. */
export interface TokenIssue {
  accessToken: string;
  refreshToken: string;
  accessExpiresAtMs: number;
}

interface RefreshRecord {
  sessionId: string;
  expiresAtMs: number;
}

/** Lifetimes the store needs, seconds. */
export interface TokenStoreLifetimes {
  refreshTokenLifetimeSec: number;
  sessionLifetimeSec: number;
}

/** The in-memory token database of the simulated gateway. */
export class TokenStore {
  readonly #lifetimes: TokenStoreLifetimes;
  readonly #sessions = new Map<string, SignOnSession>();
  readonly #accessTokens = new Map<string, AccessTokenInfo>();
  readonly #refreshTokens = new Map<string, RefreshRecord>();
  #nextSession = 1;
  #issuesSinceSweep = 0;

  constructor(lifetimes: TokenStoreLifetimes) {
    this.#lifetimes = lifetimes;
  }

  /** Starts a session (a password grant); call {@link issue} next to give it tokens. */
  startSession(user: string, clientId: string, scope: string, nowMs: number): SignOnSession {
    const session: SignOnSession = {
      id: `s${this.#nextSession++}`,
      user,
      clientId,
      startedAtMs: nowMs,
      endsAtMs: nowMs + this.#lifetimes.sessionLifetimeSec * 1000,
      scope,
      revoked: false,
      latestRefreshToken: "",
      refreshExpiresAtMs: nowMs,
      lastAccessExpiresAtMs: nowMs,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** Sessions of `user` that could still be used (not revoked, not ended, some token still valid). */
  activeSessions(user: string, nowMs: number): SignOnSession[] {
    return [...this.#sessions.values()].filter((session) => session.user === user && isActive(session, nowMs));
  }

  /** Revokes the given sessions: their refresh tokens fail and their access tokens report "revoked". */
  revoke(sessions: readonly SignOnSession[]): void {
    for (const session of sessions) session.revoked = true;
  }

  /**
   * Issues a new access token and refresh token for `session`; the previous refresh token becomes
   * "consumed" (rotation, §1.7). The refresh token never outlives the session.
   */
  issue(session: SignOnSession, nowMs: number, expiresInSec: number): TokenIssue {
    this.#maybeSweep(nowMs);
    const accessToken = randomBytes(96).toString("base64url");
    const refreshToken = randomBytes(48).toString("base64url");
    const accessExpiresAtMs = nowMs + expiresInSec * 1000;
    const refreshExpiresAtMs = Math.min(nowMs + this.#lifetimes.refreshTokenLifetimeSec * 1000, session.endsAtMs);
    this.#accessTokens.set(accessToken, {
      user: session.user,
      sessionId: session.id,
      issuedAtMs: nowMs,
      expiresAtMs: accessExpiresAtMs,
    });
    this.#refreshTokens.set(refreshToken, { sessionId: session.id, expiresAtMs: refreshExpiresAtMs });
    session.latestRefreshToken = refreshToken;
    session.refreshExpiresAtMs = refreshExpiresAtMs;
    session.lastAccessExpiresAtMs = Math.max(session.lastAccessExpiresAtMs, accessExpiresAtMs);
    return { accessToken, refreshToken, accessExpiresAtMs };
  }

  /** The session a refresh token may extend, or why it may not (§1.7). */
  findRefresh(refreshToken: string, nowMs: number): RefreshLookup {
    const record = this.#refreshTokens.get(refreshToken);
    const session = record === undefined ? undefined : this.#sessions.get(record.sessionId);
    if (record === undefined || session === undefined) return { ok: false, reason: "unknown" };
    if (session.revoked) return { ok: false, reason: "revoked", session };
    if (session.latestRefreshToken !== refreshToken) return { ok: false, reason: "consumed", session };
    if (nowMs >= session.endsAtMs) return { ok: false, reason: "session-ended", session };
    if (nowMs >= record.expiresAtMs) return { ok: false, reason: "expired", session };
    return { ok: true, session };
  }

  /** Checklist item 9: whether an access token presented in a Login is usable. */
  validateAccessToken(token: string, nowMs: number): AccessTokenCheck {
    const info = this.#accessTokens.get(token);
    if (info === undefined) return { ok: false, reason: "unknown" };
    const session = this.#sessions.get(info.sessionId);
    if (session === undefined) return { ok: false, reason: "unknown" };
    if (session.revoked) return { ok: false, reason: "revoked" };
    if (nowMs >= info.expiresAtMs) return { ok: false, reason: "expired" };
    return { ok: true, info: { ...info } };
  }

  /** Numbers of records held (to check that memory stays bounded). */
  get sizes(): { sessions: number; accessTokens: number; refreshTokens: number } {
    return {
      sessions: this.#sessions.size,
      accessTokens: this.#accessTokens.size,
      refreshTokens: this.#refreshTokens.size,
    };
  }

  /** Forgets every record that can no longer change an answer, except expired access tokens still recent. */
  sweep(nowMs: number): void {
    this.#issuesSinceSweep = 0;
    for (const [token, info] of this.#accessTokens) {
      if (nowMs >= info.expiresAtMs + EXPIRED_TOKEN_MEMORY_MS) this.#accessTokens.delete(token);
    }
    for (const [id, session] of this.#sessions) {
      const refreshable = !session.revoked && nowMs < session.endsAtMs && nowMs < session.refreshExpiresAtMs;
      const reportable = nowMs < session.lastAccessExpiresAtMs + EXPIRED_TOKEN_MEMORY_MS;
      if (!refreshable && !reportable) this.#sessions.delete(id);
    }
    for (const [token, record] of this.#refreshTokens) {
      const session = this.#sessions.get(record.sessionId);
      // A consumed token is kept until it would have expired, so its reuse is reported precisely.
      if (session === undefined || nowMs >= record.expiresAtMs) this.#refreshTokens.delete(token);
    }
  }

  #maybeSweep(nowMs: number): void {
    this.#issuesSinceSweep += 1;
    if (this.#issuesSinceSweep >= SWEEP_EVERY_ISSUES) this.sweep(nowMs);
  }
}

/** A session counts against the quota while it is not revoked, not ended and holds a valid token. */
function isActive(session: SignOnSession, nowMs: number): boolean {
  if (session.revoked || nowMs >= session.endsAtMs) return false;
  return nowMs < Math.max(session.refreshExpiresAtMs, session.lastAccessExpiresAtMs);
}
