/**
 * The wire side of the token manager: grant forms and headers (§1.2–1.4), one POST with manual redirects
 * and a timeout (§1.2), status classification (§1.6) and response parsing (§1.5). No retries and no state:
 * the manager decides what to do with each outcome.
 */
import type { Clock } from "../../util/clock.js";
import { redactSecrets } from "../../util/logger.js";
import { processSecrets, type SecretRegistry } from "../../util/secret-registry.js";
import { classifyTokenStatus } from "./token-status.js";
import { certificateErrorFor, AUTH_ERROR_CODES, AuthError } from "../errors.js";

/** OAuth2 grant types of RDP v1. */
export type GrantType = "password" | "refresh_token";

/** What a successful grant returns (§1.5). Both tokens rotate on every success. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Access-token lifetime, seconds. */
  expiresInSec: number;
}

/** Credentials the forms and headers are built from. */
export interface GrantCredentials {
  user: string;
  password: string;
  clientId: string;
  clientSecret: string | undefined;
  takeExclusiveSignOnControl: boolean;
  scope: string | undefined;
}

/** Password-grant form (§1.3). */
export function passwordGrantForm(credentials: GrantCredentials): URLSearchParams {
  const form = new URLSearchParams({
    grant_type: "password",
    username: credentials.user,
    password: credentials.password,
    client_id: credentials.clientId,
    takeExclusiveSignOnControl: credentials.takeExclusiveSignOnControl ? "true" : "false",
  });
  if (credentials.scope !== undefined) form.set("scope", credentials.scope);
  if (credentials.clientSecret !== undefined) form.set("client_secret", credentials.clientSecret);
  return form;
}

/** Refresh-grant form (§1.4): no scope and no takeExclusiveSignOnControl. */
export function refreshGrantForm(credentials: GrantCredentials, refreshToken: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: "refresh_token",
    username: credentials.user,
    refresh_token: refreshToken,
    client_id: credentials.clientId,
  });
}

/** Request headers (§1.2): Basic of `client_id:` plus the secret when there is one. */
export function tokenRequestHeaders(clientId: string, clientSecret: string | undefined): Record<string, string> {
  const basic = Buffer.from(`${clientId}:${clientSecret ?? ""}`, "utf8").toString("base64");
  return {
    Accept: "application/json",
    "Content-Type": "application/x-www-form-urlencoded",
    Authorization: `Basic ${basic}`,
  };
}

/** Transport settings of {@link postTokenForm}. */
export interface TokenTransport {
  fetch: typeof globalThis.fetch;
  dispatcher: unknown;
  clock: Clock;
  requestTimeoutMs: number;
  maxRedirects: number;
}

/** The final (non-redirect) answer of a POST. */
export interface TokenHttpResponse {
  status: number;
  /** Parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
  /** Target of the last 301/308 on the way, to be used from now on (§1.2, RTSDK behaviour). */
  movedTo?: string;
}

/** The request never got an HTTP answer: network error or timeout. Retriable. */
export class TokenTransportError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TokenTransportError";
  }
}

/**
 * POSTs `form` to `url`, re-POSTing the same body to `Location` on 301/302/307/308 (official clients do not
 * let the HTTP stack follow redirects, since that would turn the POST into a GET, §1.2).
 *
 * @throws the abort reason of `signal` when it fires; `CertificateError` (not retriable) when the endpoint's
 *   TLS certificate fails verification; {@link TokenTransportError} on any other network failure or timeout;
 *   AuthError `RCC_AUTH_REDIRECT` on a redirect loop, a missing `Location` or an https → http hop.
 */
export async function postTokenForm(
  url: string,
  form: URLSearchParams,
  headers: Record<string, string>,
  transport: TokenTransport,
  signal: AbortSignal,
): Promise<TokenHttpResponse> {
  signal.throwIfAborted();
  const attempt = new AbortController();
  const timedOut = new Error("token request timed out");
  const onAbort = (): void => attempt.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const timer = transport.clock.setTimeout(() => attempt.abort(timedOut), transport.requestTimeoutMs);
  let target = url;
  try {
    let movedTo: string | undefined;
    for (let hops = 0; ; hops++) {
      const init: RequestInit = {
        method: "POST",
        headers,
        body: form.toString(),
        redirect: "manual",
        signal: attempt.signal,
      };
      // An undici Dispatcher (proxy, custom CA); typed `unknown` so callers need not depend on undici's types.
      if (transport.dispatcher !== undefined) init.dispatcher = transport.dispatcher as RequestInit["dispatcher"];
      const response = await transport.fetch(target, init);
      const text = await response.text();
      if (classifyTokenStatus(response.status) !== "redirect") {
        return { status: response.status, body: parseJson(text), ...(movedTo === undefined ? {} : { movedTo }) };
      }
      if (hops >= transport.maxRedirects) {
        throw new AuthError(AUTH_ERROR_CODES.redirect, `token endpoint redirected more than ${hops} times`, {
          status: response.status,
        });
      }
      const next = redirectTarget(target, response.headers.get("location"), response.status);
      if (response.status === 301 || response.status === 308) movedTo = next;
      target = next;
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof AuthError) throw error;
    if (attempt.signal.aborted && attempt.signal.reason === timedOut) {
      throw new TokenTransportError(`token request timed out after ${transport.requestTimeoutMs} ms`, true);
    }
    // An untrusted certificate stays untrusted however often we ask: not a transient failure (§1.6).
    const certificate = certificateErrorFor(target, error);
    if (certificate !== undefined) throw certificate;
    throw new TokenTransportError(`token request failed: ${describeNetworkError(error)}`, false, { cause: error });
  } finally {
    transport.clock.clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

/** undici reports "fetch failed" with the useful part (e.g. ECONNREFUSED) in `cause`. */
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : undefined;
  return detail === undefined ? error.message : `${error.message} (${detail})`;
}

/** Resolves a `Location` against the URL that answered; refuses a missing header or a downgrade to http. */
function redirectTarget(from: string, location: string | null, status: number): string {
  if (location === null || location === "") {
    throw new AuthError(AUTH_ERROR_CODES.redirect, `token endpoint answered ${status} without a Location`, { status });
  }
  let next: URL;
  try {
    next = new URL(location, from);
  } catch (error) {
    throw new AuthError(AUTH_ERROR_CODES.redirect, `token endpoint redirected to an invalid URL`, {
      status,
      cause: error,
    });
  }
  const previous = new URL(from);
  // The body carries the password or refresh token: never let a redirect move it off TLS.
  if (next.protocol !== "https:" && (previous.protocol === "https:" || next.protocol !== "http:")) {
    throw new AuthError(
      AUTH_ERROR_CODES.redirect,
      `refusing to follow a token redirect to ${next.protocol}//${next.host}`,
      {
        status,
      },
    );
  }
  return next.toString();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads `expires_in` (§1.5): a JSON string in RDP v1 ("600"), a number elsewhere; both accepted.
 * @returns whole seconds > 0, or undefined when the value is anything else.
 */
export function parseExpiresIn(value: unknown): number | undefined {
  let seconds: number;
  if (typeof value === "number") seconds = value;
  else if (typeof value === "string" && /^\s*\d+\s*$/.test(value)) seconds = Number(value);
  else return undefined;
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * Extracts the tokens of a 2xx body.
 * @throws AuthError `RCC_AUTH_INVALID_RESPONSE` when a token is missing or `expires_in` is not a positive integer.
 */
export function parseTokenBody(body: unknown): IssuedTokens {
  const record = isRecord(body) ? body : {};
  const accessToken = record.access_token;
  const refreshToken = record.refresh_token;
  const expiresInSec = parseExpiresIn(record.expires_in);
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new AuthError(AUTH_ERROR_CODES.invalidResponse, "token response has no access_token");
  }
  if (typeof refreshToken !== "string" || refreshToken === "") {
    throw new AuthError(AUTH_ERROR_CODES.invalidResponse, "token response has no refresh_token");
  }
  if (expiresInSec === undefined) {
    const shown =
      typeof record.expires_in === "string" ? JSON.stringify(record.expires_in.slice(0, 20)) : typeof record.expires_in;
    throw new AuthError(AUTH_ERROR_CODES.invalidResponse, `token response has an invalid expires_in (${shown})`);
  }
  return { accessToken, refreshToken, expiresInSec };
}

/** The OAuth2 error of an error body (§1.6), made safe to show. */
export interface OAuthErrorBody {
  error?: string;
  description?: string;
}

/**
 * Reads `error` / `error_description`; texts are redacted and shortened since they end up in messages.
 * @param secrets the exact secrets to mask (before shortening, so no cut-off piece of one is left).
 *   @default processSecrets
 */
export function parseOAuthError(body: unknown, secrets: SecretRegistry = processSecrets): OAuthErrorBody {
  if (!isRecord(body)) return {};
  const result: OAuthErrorBody = {};
  if (typeof body.error === "string") result.error = safeText(body.error, 64, secrets);
  if (typeof body.error_description === "string") {
    result.description = safeText(body.error_description, 200, secrets);
  }
  return result;
}

function safeText(text: string, maxLength: number, secrets: SecretRegistry): string {
  const clean = redactSecrets(secrets.redact(text));
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Origin and path only, for log lines: no user-info or query string. */
export function safeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
