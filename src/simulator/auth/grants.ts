/**
 * The two v1 grants (docs/protocol.md §1.3–§1.7; checklist items 3–7): validation, session rules and the
 * success body. Pure of HTTP: each method takes the parsed form and the resolved client id and returns the
 * tokens or throws an {@link OAuthError}.
 */
import type { SimulatorConfig } from "../types.js";
import type { AccountBook } from "./account-book.js";
import { type FormParameters, parseExclusiveSignOn, requireParameter } from "./form.js";
import { OAuthError, invalidClient, invalidGrant, invalidRequest } from "./oauth-error.js";
import { newPasswordProblem } from "./password-policy.js";
import type { RefreshRefusal, SignOnSession, TokenStore } from "./token-store.js";

/** The exact success body of §1.5; `expires_in` is a string of integer seconds. */
interface TokenResponseBody {
  access_token: string;
  refresh_token: string;
  expires_in: string;
  scope: string;
  token_type: "Bearer";
}

/** A successful grant, with what may be logged about it. */
export interface GrantResult {
  body: TokenResponseBody;
  grantType: "password" | "refresh_token";
  user: string;
  sessionId: string;
  expiresInSec: number;
  /** Sessions of the same user revoked by `takeExclusiveSignOnControl=true`. */
  revokedSessions: number;
  passwordChanged: boolean;
}

/** Exact text of the quota refusal; lseg-data matches on it (§1.6). */
const SESSION_QUOTA_DESCRIPTION = "Session quota is reached.";

const REFRESH_REFUSALS: Record<RefreshRefusal, string> = {
  unknown: "Refresh token is unknown.",
  expired: "Refresh token has expired; sign on again with the password.",
  consumed: "Refresh token has already been used; only the most recent refresh token is valid.",
  revoked: "Session was taken over by another sign-on with takeExclusiveSignOnControl=true.",
  "session-ended": "Session has reached its maximum lifetime; sign on again with the password.",
};

/** Dependencies of {@link GrantHandlers}. */
export interface GrantDependencies {
  config: SimulatorConfig;
  accounts: AccountBook;
  store: TokenStore;
  /**
   * Standard `expires_in`, seconds, for the grant being issued; called once per success, so a count-limited
   * `token-expires-in` fault is only used up by a grant that succeeds.
   */
  standardLifetimeSec: () => number;
}

/** Password and refresh grants. */
export class GrantHandlers {
  readonly #deps: GrantDependencies;

  constructor(deps: GrantDependencies) {
    this.#deps = deps;
  }

  /**
   * `grant_type=password` (§1.3): credentials, optional `newPassword` (item 7), then the session rule of
   * `takeExclusiveSignOnControl` (item 6).
   * @throws OAuthError
   */
  password(form: FormParameters, clientId: string, nowMs: number): GrantResult {
    const { accounts, store, config } = this.#deps;
    const user = requireParameter(form, "username");
    const password = requireParameter(form, "password");
    const exclusive = parseExclusiveSignOn(form);
    if (!accounts.isClientAllowed(clientId, user)) throw invalidClient("Unknown client_id for this user.");
    if (!accounts.verifyPassword(user, password)) throw invalidGrant("Invalid username or password.");

    const newPassword = form.get("newPassword");
    let passwordChanged = false;
    if (newPassword !== undefined) {
      const problem = newPasswordProblem(newPassword, accounts.currentPassword(user) ?? "");
      if (problem !== undefined) throw invalidRequest(problem);
    }

    const others = store.activeSessions(user, nowMs);
    if (!exclusive && others.length > 0) {
      throw new OAuthError(config.sessionQuotaStatus, "access_denied", SESSION_QUOTA_DESCRIPTION);
    }
    if (newPassword !== undefined) {
      accounts.changePassword(user, newPassword);
      passwordChanged = true;
    }
    store.revoke(others);

    const scope = form.get("scope") ?? "";
    const session = store.startSession(user, clientId, scope, nowMs);
    const expiresInSec = Math.min(this.#deps.standardLifetimeSec(), secondsLeft(session, nowMs));
    return {
      ...this.#issue(session, nowMs, expiresInSec),
      grantType: "password",
      revokedSessions: others.length,
      passwordChanged,
    };
  }

  /**
   * `grant_type=refresh_token` (§1.4, §1.7): only the latest refresh token of a live session works; near the
   * session's end of life `expires_in` shrinks to the time left (item 5).
   * @throws OAuthError
   */
  refresh(form: FormParameters, clientId: string, nowMs: number): GrantResult {
    const { accounts, store } = this.#deps;
    const refreshToken = requireParameter(form, "refresh_token");
    const user = requireParameter(form, "username");
    if (!accounts.isClientAllowed(clientId, user)) throw invalidClient("Unknown client_id for this user.");

    const lookup = store.findRefresh(refreshToken, nowMs);
    if (!lookup.ok) throw invalidGrant(REFRESH_REFUSALS[lookup.reason]);
    const { session } = lookup;
    if (session.user !== user) throw invalidGrant("Refresh token was not issued to this user.");
    if (session.clientId !== clientId) throw invalidGrant("Refresh token was not issued to this client.");

    const left = secondsLeft(session, nowMs);
    if (left < 1) throw invalidGrant(REFRESH_REFUSALS["session-ended"]);
    const scope = form.get("scope");
    if (scope !== undefined) session.scope = scope;
    const expiresInSec = Math.min(this.#deps.standardLifetimeSec(), left);
    return {
      ...this.#issue(session, nowMs, expiresInSec),
      grantType: "refresh_token",
      revokedSessions: 0,
      passwordChanged: false,
    };
  }

  #issue(
    session: SignOnSession,
    nowMs: number,
    expiresInSec: number,
  ): Pick<GrantResult, "body" | "user" | "sessionId" | "expiresInSec"> {
    const tokens = this.#deps.store.issue(session, nowMs, expiresInSec);
    return {
      body: {
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        expires_in: String(expiresInSec),
        scope: session.scope,
        token_type: "Bearer",
      },
      user: session.user,
      sessionId: session.id,
      expiresInSec,
    };
  }
}

/** Whole seconds left in the session; floored so no access token outlives its session. */
function secondsLeft(session: SignOnSession, nowMs: number): number {
  return Math.floor((session.endsAtMs - nowMs) / 1000);
}
