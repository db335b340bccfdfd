/**
 * Errors of the RDP token manager (§1.6). Callers branch on `code` (or the class), never on the message.
 * Messages may quote the server's `error_description`, which a hostile endpoint can fill with what we sent it:
 * it passes through `redactSecrets`, and every message through the exact secrets of the process
 * (secret-registry.ts, applied by `RccError`), so none holds a password, client secret or token.
 */
import { RccError } from "../errors.js";

/** Stable codes of {@link AuthError} and its subclasses. */
export const AUTH_ERROR_CODES = {
  /** Password grant refused with 400/401: wrong user, password or client id (fatal). */
  invalidCredentials: "RCC_AUTH_INVALID_CREDENTIALS",
  /** 403/404/410/451: the account or endpoint is forbidden or gone; never retried (fatal). */
  forbidden: "RCC_AUTH_FORBIDDEN",
  /** 429/5xx/network/timeouts still failing after the retry budget (retriable later). */
  unavailable: "RCC_AUTH_UNAVAILABLE",
  /** The manager was stopped while the call was waiting. */
  stopped: "RCC_AUTH_STOPPED",
  /** A 2xx answer that is not a valid token response (e.g. bad `expires_in`). */
  invalidResponse: "RCC_AUTH_INVALID_RESPONSE",
  /** Too many redirects, a redirect without `Location`, or an https → http downgrade. */
  redirect: "RCC_AUTH_REDIRECT",
  /** A refresh grant refused with 400/401 (internal: triggers the password-grant fallback, §1.6). */
  refreshRefused: "RCC_AUTH_REFRESH_REFUSED",
} as const;

/** One of {@link AUTH_ERROR_CODES}. */
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[keyof typeof AUTH_ERROR_CODES];

/** Details every auth error may carry. */
export interface AuthErrorOptions {
  /** HTTP status of the token endpoint's answer, when there was one. */
  status?: number;
  /** OAuth2 `error` code of the answer (e.g. "invalid_grant"), when there was one. */
  oauthError?: string;
  /** The underlying failure (network error, parse error …). */
  cause?: unknown;
  /** Whether a later identical call may succeed. @default false */
  retriable?: boolean;
}

/** Base class of token-manager failures; `code` starts with "RCC_AUTH_". */
export class AuthError extends RccError {
  /** HTTP status of the failing answer, if any. */
  readonly status?: number;
  /** OAuth2 `error` code of the failing answer, if any. */
  readonly oauthError?: string;

  constructor(code: AuthErrorCode | `RCC_AUTH_${string}`, message: string, options: AuthErrorOptions = {}) {
    super(code, message, { retriable: options.retriable ?? false, cause: options.cause });
    if (options.status !== undefined) this.status = options.status;
    if (options.oauthError !== undefined) this.oauthError = options.oauthError;
  }
}

/** Details of the fixed-code subclasses (their `retriable` flag is fixed too). */
export type AuthErrorDetails = Omit<AuthErrorOptions, "retriable">;

/** The password grant was refused (400/401): fix the credentials; not retried (§1.6). */
export class InvalidCredentialsError extends AuthError {
  constructor(message: string, details: AuthErrorDetails = {}) {
    super(AUTH_ERROR_CODES.invalidCredentials, message, { ...details, retriable: false });
  }
}

/** 403/404/410/451: official clients stop retrying on these (§1.6); not retried. */
export class AuthForbiddenError extends AuthError {
  constructor(message: string, details: AuthErrorDetails = {}) {
    super(AUTH_ERROR_CODES.forbidden, message, { ...details, retriable: false });
  }
}

/** 429/5xx/network/timeouts persisted through the retry budget; trying again later may work. */
export class AuthUnavailableError extends AuthError {
  constructor(message: string, details: AuthErrorDetails = {}) {
    super(AUTH_ERROR_CODES.unavailable, message, { ...details, retriable: true });
  }
}

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
 * {@link AuthForbiddenError}; anything else → a retriable {@link AuthUnavailableError}.
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
        ? new AuthError(AUTH_ERROR_CODES.refreshRefused, `refresh grant refused (${reason})`, details)
        : new InvalidCredentialsError(`password grant refused for ${user} (${reason})`, details);
    case "forbidden":
      return new AuthForbiddenError(`token request forbidden for ${user} (${reason})`, details);
    case "success":
    case "redirect":
    case "transient":
      return new AuthUnavailableError(`token endpoint answered ${reason}`, details);
  }
}
