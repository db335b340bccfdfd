/**
 * Refusals of the simulated token endpoint, as OAuth2 error answers (RFC 6749 §5.2, docs/protocol.md §1.6).
 * Every refusal is thrown or returned as an {@link OAuthError} and written by the service as
 * `{"error","error_description"}` JSON, never as HTML or a stack trace.
 */

/** OAuth2 `error` codes the simulator answers with. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unsupported_grant_type"
  | "access_denied"
  | "not_found"
  | "too_many_requests"
  | "server_error"
  | "temporarily_unavailable"
  | "unavailable_for_legal_reasons"
  | "gone";

/** A refusal: HTTP status, OAuth2 error code and a description that never contains a secret. */
export class OAuthError extends Error {
  /** HTTP status code of the answer. */
  readonly status: number;
  /** OAuth2 `error` value. */
  readonly error: OAuthErrorCode;
  /** Extra response headers (`Allow`, `Retry-After`, `WWW-Authenticate`…). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, error: OAuthErrorCode, description: string, headers: Record<string, string> = {}) {
    super(description);
    this.name = "OAuthError";
    this.status = status;
    this.error = error;
    this.headers = headers;
  }

  /** The JSON body (RFC 6749 §5.2). */
  toBody(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

/** 400 `invalid_request`: missing, repeated or malformed parameter (§1.6). */
export function invalidRequest(description: string): OAuthError {
  return new OAuthError(400, "invalid_request", description);
}

/** 400 `invalid_grant`: bad credentials or an unusable refresh token (§1.6, §1.7). */
export function invalidGrant(description: string): OAuthError {
  return new OAuthError(400, "invalid_grant", description);
}

/** 401 `invalid_client`, with the challenge RFC 6749 §5.2 asks for when client authentication failed. */
export function invalidClient(description: string): OAuthError {
  return new OAuthError(401, "invalid_client", description, { "WWW-Authenticate": 'Basic realm="RDP"' });
}

/** OAuth2-style code for an injected HTTP failure status (checklist item 8). */
export function errorCodeForStatus(status: number): OAuthErrorCode {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "invalid_client";
    case 403:
      return "access_denied";
    case 404:
      return "not_found";
    case 410:
      return "gone";
    case 429:
      return "too_many_requests";
    case 451:
      return "unavailable_for_legal_reasons";
    case 500:
      return "server_error";
    default:
      return status >= 500 ? "temporarily_unavailable" : "invalid_request";
  }
}
