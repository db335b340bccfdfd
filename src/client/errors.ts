/**
 * The client's one errors module (STYLE habit 14): every error class of the library, and {@link ERROR_CODES},
 * the one table of their stable codes. Every error carries a `code` taken from that table (callers branch on
 * it, never on message text), a `retriable` flag and, where there is one, a `cause` (STYLE habit 4).
 *
 * Messages may quote a peer (a Login refusal's text, a token endpoint's `error_description`, which a hostile
 * endpoint can fill with what we sent it): `RccError` masks the exact secrets of the process in every message
 * (secret-registry.ts) before the message and its stack trace exist, so none holds a password, client secret or
 * token.
 */
import { RETRIABLE_NAK_CODES, type NakCode } from "../protocol/codes.js";
import { processSecrets } from "../util/secret-registry.js";

/** The stable `code` of every error class, by name. Codes never change once published. */
export const ERROR_CODES = {
  /** {@link InvalidOptionsError}: an option failed validation. */
  invalidOptions: "RCC_INVALID_OPTIONS",
  /** {@link CertificateError}: the server's TLS certificate did not verify. */
  certificate: "RCC_TLS_CERTIFICATE",
  /** {@link NakError}. */
  nak: "RCC_NAK",
  /** {@link ContentError}. */
  content: "RCC_CONTENT_ERROR",
  /** {@link AckTimeoutError}. */
  ackTimeout: "RCC_ACK_TIMEOUT",
  /** {@link QueueFullError}. */
  queueFull: "RCC_QUEUE_FULL",
  /** {@link ConnectionLostError}. */
  connectionLost: "RCC_CONNECTION_LOST",
  /** {@link ValidationError}. */
  validation: "RCC_VALIDATION",
  /** {@link SessionClosedError}. */
  sessionClosed: "RCC_SESSION_CLOSED",
  /** {@link LoginRefusedError}. */
  loginRefused: "RCC_LOGIN_REFUSED",
  /** {@link ItemStreamError}. */
  itemStreamRefused: "RCC_ITEM_STREAM_REFUSED",
  /** {@link SupersededError}. */
  superseded: "RCC_SUPERSEDED",
  /** {@link InvalidCredentialsError}: password grant refused with 400/401: wrong user, password or client id (fatal). */
  invalidCredentials: "RCC_AUTH_INVALID_CREDENTIALS",
  /** {@link AuthForbiddenError}: 403/404/410/451, the account or endpoint is forbidden or gone; never retried (fatal). */
  forbidden: "RCC_AUTH_FORBIDDEN",
  /** {@link AuthUnavailableError}: 429/5xx/network/timeouts still failing after the retry budget (retriable later). */
  unavailable: "RCC_AUTH_UNAVAILABLE",
  /** An {@link AuthError}: the token manager was stopped while the call was waiting. */
  stopped: "RCC_AUTH_STOPPED",
  /** An {@link AuthError}: a 2xx answer that is not a valid token response (e.g. bad `expires_in`). */
  invalidResponse: "RCC_AUTH_INVALID_RESPONSE",
  /** An {@link AuthError}: too many redirects, a redirect without `Location`, or an https → http downgrade. */
  redirect: "RCC_AUTH_REDIRECT",
  /** An {@link AuthError}: a refresh grant refused with 400/401 (internal: triggers the password-grant fallback, §1.6). */
  refreshRefused: "RCC_AUTH_REFRESH_REFUSED",
  /** {@link AuthEndpointNotFoundError}: the token endpoint answered 404: the URL is wrong (fatal). */
  endpointNotFound: "RCC_AUTH_ENDPOINT_NOT_FOUND",
} as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The entries of {@link ERROR_CODES} named by `keys`: a view for callers that check one family of errors. */
function codesOf<const K extends keyof typeof ERROR_CODES>(
  keys: readonly K[],
): { readonly [P in K]: (typeof ERROR_CODES)[P] } {
  return Object.freeze(Object.fromEntries(keys.map((key) => [key, ERROR_CODES[key]]))) as {
    readonly [P in K]: (typeof ERROR_CODES)[P];
  };
}

/** The codes of the post and session errors (a view of {@link ERROR_CODES}). */
export const POST_ERROR_CODES = codesOf([
  "nak",
  "content",
  "ackTimeout",
  "queueFull",
  "connectionLost",
  "validation",
  "sessionClosed",
  "loginRefused",
  "itemStreamRefused",
  "superseded",
]);

/** The codes of {@link AuthError} and its subclasses, all starting with "RCC_AUTH_" (a view of {@link ERROR_CODES}). */
export const AUTH_ERROR_CODES = codesOf([
  "invalidCredentials",
  "forbidden",
  "unavailable",
  "stopped",
  "invalidResponse",
  "redirect",
  "refreshRefused",
  "endpointNotFound",
]);

/** One of {@link AUTH_ERROR_CODES}. */
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[keyof typeof AUTH_ERROR_CODES];

/** Stable code of {@link CertificateError}. */
export const CERTIFICATE_ERROR_CODE = ERROR_CODES.certificate;

/** Base class of every error the library raises. */
export class RccError extends Error {
  /** Stable machine-readable code, e.g. "RCC_NAK". */
  readonly code: string;
  /** Whether repeating the same operation later may succeed. */
  readonly retriable: boolean;

  /**
   * @param message may quote a peer (a Login refusal's text, a token endpoint's description): any secret of the
   *   process in it is masked here, before the message (and the stack trace built from it) exists.
   */
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(processSecrets.redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/**
 * Options failed validation: the message names each bad key and what it must be, never the value (values may
 * be secrets). Not retriable: the same options fail again.
 */
export class InvalidOptionsError extends RccError {
  /** @param message e.g. "invalid session options: pingIntervalMs: must be a whole number". */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ERROR_CODES.invalidOptions, message, { cause: options.cause });
  }
}

/**
 * TLS verification failures, as OpenSSL and Node name them in `error.code`: the server's certificate is
 * self-signed, signed by a CA not trusted here, expired or not yet valid, or made out to another host.
 */
export const CERTIFICATE_FAILURE_CODES: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The error in `error`'s cause chain (up to six deep) that carries a TLS verification code, and the code. */
function findCertificateFailure(error: unknown): { code: string; message: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof CertificateError) return { code: current.certificateCode, message: current.message };
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && CERTIFICATE_FAILURE_CODES.has(code)) {
      const message = (current as { message?: unknown }).message;
      return { code, message: typeof message === "string" ? message : code };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The TLS verification code behind `error`: its own `code` or that of a cause (fetch wraps the socket's error
 * in `TypeError: fetch failed`). Undefined when the failure is not a certificate's.
 */
export function certificateFailureCode(error: unknown): string | undefined {
  return findCertificateFailure(error)?.code;
}

/**
 * The server's TLS certificate failed verification (`certificateCode` says how, e.g.
 * "DEPTH_ZERO_SELF_SIGNED_CERT"). Retrying with the same trust settings cannot help, so it is not retriable:
 * trust the CA that signed it (`tls.ca`) or fix the URL. `cause` is the failure as the TLS stack reported it.
 */
export class CertificateError extends RccError {
  /** The TLS verification code (one of {@link CERTIFICATE_FAILURE_CODES}). */
  readonly certificateCode: string;

  /**
   * @param origin the server refused, `protocol//host:port` (no path, user-info or query).
   * @param certificateCode the TLS verification code.
   * @param detail the TLS stack's own words, e.g. "self-signed certificate".
   * @param cause the failure as reported (its cause chain holds the TLS error).
   */
  constructor(origin: string, certificateCode: string, detail: string, cause?: unknown) {
    super(
      ERROR_CODES.certificate,
      `the TLS certificate of ${origin} is not trusted (${certificateCode}: ${detail}); trust the CA that signed it (tls.ca) or check the URL`,
      { retriable: false, cause },
    );
    this.certificateCode = certificateCode;
  }
}

/** A {@link CertificateError} for a failure to reach `url` when a certificate is behind it; else undefined. */
export function certificateErrorFor(url: string, error: unknown): CertificateError | undefined {
  if (error instanceof CertificateError) return error;
  const failure = findCertificateFailure(error);
  if (failure === undefined) return undefined;
  let origin = url;
  try {
    const parsed = new URL(url);
    origin = `${parsed.protocol}//${parsed.host}`;
  } catch {
    // keep the text as given; callers pass URLs they validated
  }
  return new CertificateError(origin, failure.code, failure.message, error);
}

/** Identifies the post an error is about. */
export interface PostRef {
  /** The RIC that was posted to. */
  ric: string;
  /** The PostID the post carried on the wire (unique within one connection). */
  postId: number;
}

/**
 * Base class of the errors about one post that was sent: each carries the post's RIC and the PostID it
 * carried on the wire, so callers can tell which post failed without parsing the message.
 */
export class PostError extends RccError {
  /** The RIC that was posted to. */
  readonly ric: string;
  /** The PostID the post carried on its last send (unique within one connection). */
  readonly postId: number;

  constructor(code: ErrorCode, message: string, post: PostRef, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code, message, options);
    this.ric = post.ric;
    this.postId = post.postId;
  }
}

/**
 * The server refused a post with an Ack carrying a `NakCode` (§2.9). `retriable` is true for the codes of
 * {@link RETRIABLE_NAK_CODES} (NoResources, NoResponse, SourceDown, GatewayDown).
 */
export class NakError extends PostError {
  /**
   * The wire Nak code (a {@link NakCode} such as "SymbolUnknown"); an unknown number or string is kept as a
   * string (as sent: escape it before showing it), and a `NakCode` that is no code at all (a boolean, an
   * object, a fraction, an empty string) reads "Malformed".
   */
  readonly nakCode: string;
  /** The server's text, trimmed (RCC texts may end with a newline); empty when absent. */
  readonly text: string;

  constructor(nakCode: string, text: string, post: PostRef) {
    const trimmed = text.trim();
    super(
      ERROR_CODES.nak,
      `post ${post.postId} to ${post.ric} refused: ${nakCode}${trimmed ? ` (${trimmed})` : ""}`,
      post,
      { retriable: RETRIABLE_NAK_CODES.has(nakCode as NakCode) },
    );
    this.nakCode = nakCode;
    this.text = trimmed;
  }
}

/**
 * The server answered a post with a converter `Error` message instead of an Ack (§2.11), e.g. for an
 * unknown field acronym ("JSON Unexpected FID"). Not retriable: the same content fails again.
 */
export class ContentError extends PostError {
  /** The Error's `Text`, trimmed. */
  readonly text: string;

  constructor(text: string, post: PostRef) {
    const trimmed = text.trim();
    super(ERROR_CODES.content, `post ${post.postId} to ${post.ric} rejected by the server: ${trimmed}`, post);
    this.text = trimmed;
  }
}

/**
 * No Ack arrived within `ackTimeoutMs` of `contribute()` accepting the post. The outcome is unknown when the
 * post was sent (it may have been applied), so it is flagged retriable only in the sense that re-sending may
 * succeed; re-send only if that is idempotent for you. A post that was never sent (`sent: false`: held by
 * the rate limit, `maxInFlight` or a reconnect all that time) certainly was not applied.
 */
export class AckTimeoutError extends PostError {
  /** The timeout that elapsed, milliseconds. */
  readonly timeoutMs: number;
  /** Whether the post had been sent (on this or an earlier connection) when it timed out. */
  readonly sent: boolean;

  /** @param sent whether the post was ever sent. @default true */
  constructor(post: PostRef, timeoutMs: number, sent = true) {
    const message = sent
      ? `no Ack for post ${post.postId} to ${post.ric} within ${timeoutMs} ms`
      : `post to ${post.ric} not sent within ${timeoutMs} ms (held by the rate limit, maxInFlight or a reconnect)`;
    super(ERROR_CODES.ackTimeout, message, post, { retriable: true });
    this.timeoutMs = timeoutMs;
    this.sent = sent;
  }
}

/**
 * The connection dropped before this post's Ack arrived, and a NEWER post to the same RIC had already been
 * acknowledged carrying every field of this one (`resendInFlight: true`). Re-sending it would overwrite the
 * newer values with older ones, so it was not re-sent: the RIC's value at the server is the newer post's.
 * Whether this post itself reached the server is unknown, and no longer matters. `postId` is the PostID it
 * carried on the lost connection. Not retriable: re-sending it would do the harm the client just avoided.
 */
export class SupersededError extends PostError {
  constructor(post: PostRef) {
    super(
      ERROR_CODES.superseded,
      `a newer post to ${post.ric} was acknowledged before the Ack of post ${post.postId} arrived, so it was not re-sent`,
      post,
    );
  }
}

/** `contribute(…, { wait: false })` found the queue full (`maxQueued`). Retriable once the queue drains. */
export class QueueFullError extends RccError {
  readonly ric: string;
  /** The configured queue bound. */
  readonly maxQueued: number;

  constructor(ric: string, maxQueued: number) {
    super(ERROR_CODES.queueFull, `queue full (${maxQueued} posts waiting); post to ${ric} not accepted`, {
      retriable: true,
    });
    this.ric = ric;
    this.maxQueued = maxQueued;
  }
}

/**
 * The connection was lost: for a post that was in flight (with `resendInFlight: false`; its outcome is
 * unknown), or for the session when reconnecting gave up.
 */
export class ConnectionLostError extends RccError {
  /** The post, when the error is about one. */
  readonly ric?: string;
  readonly postId?: number;

  constructor(message: string, options: { cause?: unknown; post?: PostRef; retriable?: boolean } = {}) {
    super(ERROR_CODES.connectionLost, message, { retriable: options.retriable ?? true, cause: options.cause });
    if (options.post) {
      this.ric = options.post.ric;
      this.postId = options.post.postId;
    }
  }
}

/** A post failed validation before anything was sent (bad RIC, field name or value). Not retriable. */
export class ValidationError extends RccError {
  /** The offending field name, when the problem is one field. */
  readonly field?: string;

  constructor(message: string, field?: string) {
    super(ERROR_CODES.validation, message);
    if (field !== undefined) this.field = field;
  }
}

/** Where an unsettled post stood when its contributor closed (see {@link SessionClosedError}). */
export interface UnsettledPost {
  ric: string;
  /** PostID of its last send (0 when never sent). */
  postId: number;
  /** The connection of its last send, counted from 1 per contributor (0 when never sent). */
  connection: number;
  /** Times it was written to a connection (0 = never sent). */
  sends: number;
}

/**
 * The contributor is closing or closed: the post was not accepted or could not be delivered. For a post that
 * was accepted, {@link sent} says whether it had been written to a connection: if not, the server never saw it;
 * if so, its outcome is unknown (the server may have applied it) and `postId`/`connection` name its last send.
 */
export class SessionClosedError extends RccError {
  /** The post had been written to a connection at least once; false for a post never sent (or none). */
  readonly sent: boolean;
  /** The post's RIC, when the error is about one post. */
  readonly ric?: string;
  /** PostID of its last send, when {@link sent}. */
  readonly postId?: number;
  /** Connection of its last send (from 1 per contributor), when {@link sent}. */
  readonly connection?: number;

  constructor(message = "the contributor is closed", options: { cause?: unknown; post?: UnsettledPost } = {}) {
    super(ERROR_CODES.sessionClosed, message, { cause: options.cause });
    const post = options.post;
    this.sent = post !== undefined && post.sends > 0;
    if (post !== undefined) this.ric = post.ric;
    if (post !== undefined && this.sent) {
      this.postId = post.postId;
      this.connection = post.connection;
    }
  }
}

/**
 * The server refused or ended the login (Login Status/Refresh with a closed stream state, §2.6, §2.10).
 * Fatal refusals (e.g. NotEntitled on a freshly obtained token) stop the session; others are retriable.
 */
export class LoginRefusedError extends RccError {
  /** `State.Stream` of the refusal, e.g. "Closed". */
  readonly streamState: string;
  /** `State.Code` (a StateCode such as "NotEntitled" or "NoResources"), when present. */
  readonly stateCode?: string;
  /** `State.Text`, trimmed. */
  readonly text: string;

  constructor(streamState: string, stateCode: string | undefined, text: string, retriable: boolean) {
    const trimmed = text.trim();
    super(
      ERROR_CODES.loginRefused,
      `login ${retriable ? "ended" : "refused"}: ${streamState}/${stateCode ?? "None"}${trimmed ? ` (${trimmed})` : ""}`,
      { retriable },
    );
    this.streamState = streamState;
    if (stateCode !== undefined) this.stateCode = stateCode;
    this.text = trimmed;
  }
}

/** What refused an item stream: a Status closing it, a converter Error on its Request, or no answer in time. */
export type ItemStreamRefusal = "status" | "error" | "timeout";

/**
 * On-stream posting (§4A.6): the item stream a post needs could not be opened, so the post was not sent.
 * The server closed the Request with a Status (e.g. `NotFound` for an unknown RIC, `NotEntitled`), answered
 * it with a converter Error (e.g. an unknown service name, §4A.3), or did not answer within `ackTimeoutMs`.
 * The refusal holds for the rest of the connection; a reconnect asks again. Retriable when the server
 * said `ClosedRecover` or nothing at all.
 */
export class ItemStreamError extends RccError {
  readonly ric: string;
  /** What refused the stream. */
  readonly reason: ItemStreamRefusal;
  /** `State.Stream` of a Status refusal, e.g. "Closed". */
  readonly streamState?: string;
  /** `State.Code` of a Status refusal, e.g. "NotFound". */
  readonly stateCode?: string;
  /** The server's text (Status `State.Text` or Error `Text`), trimmed; empty when there was none. */
  readonly text: string;

  constructor(
    ric: string,
    refusal: { reason: ItemStreamRefusal; streamState?: string; stateCode?: string; text: string },
  ) {
    const text = refusal.text.trim();
    const what =
      refusal.reason === "status"
        ? `${refusal.streamState ?? "Closed"}/${refusal.stateCode ?? "None"}`
        : refusal.reason === "error"
          ? "server Error"
          : "no answer";
    super(ERROR_CODES.itemStreamRefused, `item stream for ${ric} refused: ${what}${text ? ` (${text})` : ""}`, {
      retriable: refusal.reason === "timeout" || refusal.streamState === "ClosedRecover",
    });
    this.ric = ric;
    this.reason = refusal.reason;
    if (refusal.streamState !== undefined) this.streamState = refusal.streamState;
    if (refusal.stateCode !== undefined) this.stateCode = refusal.stateCode;
    this.text = text;
  }
}

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
    super(ERROR_CODES.invalidCredentials, message, { ...details, retriable: false });
  }
}

/** 403/404/410/451: official clients stop retrying on these (§1.6); not retried. */
export class AuthForbiddenError extends AuthError {
  constructor(message: string, details: AuthErrorDetails = {}) {
    super(ERROR_CODES.forbidden, message, { ...details, retriable: false });
  }
}

/** 429/5xx/network/timeouts persisted through the retry budget; trying again later may work. */
export class AuthUnavailableError extends AuthError {
  constructor(message: string, details: AuthErrorDetails = {}) {
    super(ERROR_CODES.unavailable, message, { ...details, retriable: true });
  }
}

/**
 * The token endpoint answered HTTP 404: nothing serves tokens at that URL, so the URL (`authUrl`) is wrong — a
 * typo in the path, or the address of another service. Not a verdict on the credentials, and never retried
 * (§1.6): the same URL answers the same.
 */
export class AuthEndpointNotFoundError extends AuthError {
  constructor(message: string, details: AuthErrorDetails = {}) {
    super(ERROR_CODES.endpointNotFound, message, { ...details, retriable: false });
  }
}
