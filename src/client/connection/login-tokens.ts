/**
 * How a session logs in (a token, or a DACS user name through an on-site ADS, §4A.5), which token a
 * (re)connect uses, and what a token-related login refusal means (a design decision): a refusal on a token
 * never used in a login before is fatal; a refusal on a token used before makes the next attempt fetch a
 * new token, once. A user name cannot change, so a refusal about it is always fatal.
 */
import { type LoginRequest, buildLoginRequest } from "../../protocol/messages.js";
import { AUTH_ERROR_CODES, AuthError } from "../errors.js";
import type { AccessToken, AuthProvider } from "../auth/auth-provider.js";
import { buildUserNameLogin } from "../../protocol/messages.js";

/** How a session logs in. */
export type SessionLogin =
  /** RDP access tokens from a provider in NameType AuthnToken Logins, re-logging in on every refresh (§2.4). */
  | { kind: "token"; auth: AuthProvider }
  /** A DACS user name in `Key.Name`, as an on-site ADS takes it (§4A.5): nothing to fetch or refresh. */
  | { kind: "name"; name: string };

/**
 * Whether a Login refused with a user/token state code (`UserUnknownToPermSys`, `NotEntitled`, …) ends the
 * session: always for a user name (the next attempt would send the same name), and for a token only when
 * it had never been used in a login (`freshToken` while logging in).
 */
export function isFatalLoginRefusal(login: SessionLogin, loggingIn: boolean, freshToken: boolean): boolean {
  return login.kind === "name" || (loggingIn && freshToken);
}

/**
 * Subscribes to the provider's refreshed tokens (each answered by a `Refresh:false` re-login, §2.4) and to
 * failures of its refresh schedule; a user-name login has neither. @returns the unsubscribe functions.
 */
export function watchTokens(
  login: SessionLogin,
  listeners: { onToken: (token: AccessToken) => void; onError: (error: Error) => void },
): (() => void)[] {
  if (login.kind === "name") return [];
  return [login.auth.onToken(listeners.onToken), login.auth.onError(listeners.onError)];
}

/** Whether a token failure should stop the session rather than be retried. */
export function isFatalAuthError(error: Error): boolean {
  return error instanceof AuthError && !error.retriable && error.code !== AUTH_ERROR_CODES.stopped;
}

/** Token bookkeeping and Login requests of one session (token and user-name Logins). */
export class LoginTokens {
  readonly #applicationId: string;
  readonly #position: string;
  #lastLoginToken: string | undefined;
  #fresh = false;
  #forceNew = false;
  #expiresAtMs = 0;
  #deferred: AccessToken | undefined;

  /** @param applicationId and @param position go into every Login (§2.4). */
  constructor(applicationId: string, position: string) {
    this.#applicationId = applicationId;
    this.#position = position;
  }

  /** The Login for `token` (`refresh: false` for a re-login on the open socket, §2.4); notes the token as used. */
  login(token: AccessToken, refresh = true): LoginRequest {
    this.#lastLoginToken = token.accessToken;
    this.#expiresAtMs = token.expiresAtMs;
    const request = { token: token.accessToken, applicationId: this.#applicationId, position: this.#position };
    return buildLoginRequest(refresh ? request : { ...request, refresh: false });
  }

  /**
   * What the next connection logs in with: a user-name Login, or the Login of a token fetched from the
   * provider (valid for `configuredMs` more, see {@link minValidityMs}). The returned function builds the
   * Login when it is sent, which notes the token as used.
   * @throws the provider's errors (typed `AuthError`s).
   */
  async next(login: SessionLogin, configuredMs: number, nowMs: number): Promise<() => object> {
    if (login.kind === "name") return () => this.nameLogin(login.name);
    const token = await login.auth.getToken({ minValidityMs: this.minValidityMs(configuredMs, nowMs) });
    this.obtained(token);
    return () => this.login(token);
  }

  /** The Login of a DACS user (§4A.5), for a session without tokens. */
  nameLogin(name: string): object {
    return buildUserNameLogin({ user: name, applicationId: this.#applicationId, position: this.#position });
  }

  /** Keeps a token refreshed while a Login is in progress, for a re-login once it is accepted. */
  defer(token: AccessToken): void {
    this.#deferred = token;
  }

  /** The token kept by {@link defer}, if any, forgetting it. */
  takeDeferred(): AccessToken | undefined {
    const token = this.#deferred;
    this.#deferred = undefined;
    return token;
  }

  /**
   * `minValidityMs` for the next `getToken`: the configured margin, or — after a token-related refusal —
   * one millisecond more than the current token has left, which makes any provider fetch a new one.
   */
  minValidityMs(configuredMs: number, nowMs: number): number {
    return this.#forceNew ? Math.max(configuredMs, this.#expiresAtMs - nowMs + 1) : configuredMs;
  }

  /** A token was obtained for a (re)connect. */
  obtained(token: AccessToken): void {
    this.#forceNew = false;
    this.#fresh = token.accessToken !== this.#lastLoginToken;
    this.#expiresAtMs = token.expiresAtMs;
  }

  /** Whether the token of the current attempt had never been used in a login. */
  get fresh(): boolean {
    return this.#fresh;
  }

  /** The next attempt must fetch a new token. */
  forceNew(): void {
    this.#forceNew = true;
  }
}
