/**
 * How the token manager reads the HTTP status of a token endpoint's answer (§1.6), and the typed error for a
 * failed grant. Messages may quote the server's `error_description`: it is redacted by `RccError`.
 */
import {
  AuthEndpointNotFoundError,
  AuthError,
  type AuthErrorDetails,
  AuthForbiddenError,
  AuthUnavailableError,
  ERROR_CODES,
  InvalidCredentialsError,
} from "../errors.js";

/** How the token manager treats an HTTP status of the token endpoint (§1.6). */
export type TokenStatusClass = "success" | "redirect" | "refused" | "forbidden" | "transient";

const STATUS_CLASSES: ReadonlyMap<number, TokenStatusClass> = new Map<number, TokenStatusClass>([
  [301, "redirect"],
  [302, "redirect"],
  [307, "redirect"],
  [308, "redirect"],
  [400, "refused"],
  [401, "refused"],
  [403, "forbidden"],
  [404, "forbidden"],
  [410, "forbidden"],
  [451, "forbidden"],
]);

/** Classifies a status; anything not listed in §1.6 (429, 5xx, other 4xx) counts as transient. */
export function classifyTokenStatus(status: number): TokenStatusClass {
  if (status >= 200 && status < 300) return "success";
  return STATUS_CLASSES.get(status) ?? "transient";
}

/** A non-2xx answer of the token endpoint, with its OAuth2 error already made safe to show. */
export interface TokenErrorAnswer {
  status: number;
  /** OAuth2 `error`, if any. */
  error?: string;
  /** OAuth2 `error_description`, if any (not a secret, §1.6; redacted anyway). */
  description?: string;
}

/**
 * The typed error for a failed grant (§1.6): a refused refresh → `RCC_AUTH_REFRESH_REFUSED` (the caller falls
 * back to a password grant); a refused password grant → {@link InvalidCredentialsError}; 403/404/410/451 →
 * {@link AuthForbiddenError} (404: {@link AuthEndpointNotFoundError}); anything else → a retriable {@link AuthUnavailableError}.
 */
export function authErrorForAnswer(
  grant: "password" | "refresh_token",
  user: string,
  answer: TokenErrorAnswer,
): AuthError {
  const { status, error, description } = answer;
  const details: AuthErrorDetails = error === undefined ? { status } : { status, oauthError: error };
  const reason = `HTTP ${status}${error === undefined ? "" : ` ${error}`}${description === undefined ? "" : `: ${description}`}`;
  switch (classifyTokenStatus(status)) {
    case "refused":
      return grant === "refresh_token"
        ? new AuthError(ERROR_CODES.refreshRefused, `refresh grant refused (${reason})`, details)
        : new InvalidCredentialsError(`password grant refused for ${user} (${reason})`, details);
    case "forbidden":
      // A 404 says the URL serves no tokens, not that the account is forbidden: a distinct code, so callers
      // can tell a wrong --auth-url from a locked account.
      if (status === 404) return new AuthEndpointNotFoundError(`token endpoint not found (${reason})`, details);
      return new AuthForbiddenError(`token request forbidden for ${user} (${reason})`, details);
    case "success":
    case "redirect":
    case "transient":
      return new AuthUnavailableError(`token endpoint answered ${reason}`, details);
  }
}
