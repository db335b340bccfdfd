/**
 * Which token a (re)connect uses, and what a token-related login refusal means (issue 3 decision): a
 * refusal on a token never used in a login before is fatal; a refusal on a token used before makes the
 * next attempt fetch a new token, once.
 */
import { type LoginRequest, buildLoginRequest } from "../protocol/messages.js";
import { AUTH_ERROR_CODES, AuthError } from "./auth-errors.js";
import type { AccessToken } from "./auth-provider.js";

/** Whether a token failure should stop the session rather than be retried. */
export function isFatalAuthError(error: Error): boolean {
  return error instanceof AuthError && !error.retriable && error.code !== AUTH_ERROR_CODES.stopped;
}

/** Token bookkeeping and Login requests of one session. */
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
