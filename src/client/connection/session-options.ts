/**
 * Options of the WebSocket session (connection, login, heartbeat, reconnect, failover): the type with JSDoc on
 * every field, {@link DEFAULT_SESSION_OPTIONS} (the one place a default is written, STYLE habit 14), and the
 * resolver that validates them once (option-checks.ts); read-only afterwards (STYLE habit 8).
 */
import { type BackoffPolicy, DEFAULT_BACKOFF, resolveBackoffPolicy } from "../../util/backoff.js";
import { InvalidOptionsError } from "../errors.js";
import {
  anyOf,
  bool,
  checkObject,
  list,
  nested,
  num,
  oneOf,
  optional,
  positiveInt,
  required,
  type Spec,
  satisfies,
  str,
  withDefault,
} from "../option-checks.js";
import { checkEndpointUrl } from "./endpoint-pool.js";

/** Which way a traced WebSocket frame went: written by us, or read from the server. */
export type FrameDirection = "sent" | "received";

/**
 * Receives the text of every WebSocket text frame of a session, as it went over the wire (§2.2): Logins,
 * Pongs, Closes, item Requests and (batched) post frames sent; Refreshes, Statuses, Acks, Pings, Updates and
 * Errors received. Secrets are masked first: the `AuthenticationToken` of a Login and every password, client
 * secret and token the process knows read `[redacted]`. The text is otherwise the server's own: escape it
 * before it reaches a terminal. Called synchronously on the socket's path, so keep it cheap; an exception it
 * throws is logged (debug) and ignored.
 */
export type FrameTracer = (direction: FrameDirection, text: string) => void;

/** A PEM string or buffer, or a list of them (Node's TLS option shape). */
export type PemInput = string | Buffer | (string | Buffer)[];

/** TLS settings of the WebSocket (and, when the contributor builds the token manager, the token) connection. */
export interface TlsOptions {
  /** Extra trusted CA certificates, PEM. @default undefined (Node's bundled roots) */
  ca?: PemInput;
  /** Client certificate, PEM. @default undefined */
  cert?: PemInput;
  /** Client private key, PEM. @default undefined */
  key?: PemInput;
  /** Verify the server certificate. Only an explicit `false` turns it off. @default true */
  rejectUnauthorized?: boolean;
}

/**
 * Options of the WebSocket session (connection, login, heartbeat, reconnect, failover). Each default is the
 * field of {@link DEFAULT_SESSION_OPTIONS} named in its `@default`.
 */
export interface SessionOptions {
  /** RCC WebSocket endpoints (`wss://host/WebSocket`) in failover order (§3.2, §3.6). Required. */
  urls: readonly string[];
  /** DACS application id sent in the Login, a numeric string (§2.4). @default DEFAULT_SESSION_OPTIONS.applicationId */
  applicationId?: string;
  /** Login `Position`, "ip/hostname" (§2.4). @default first non-internal IPv4 + "/" + os.hostname() */
  position?: string;
  /** Time allowed from opening the socket to the Login Refresh, milliseconds. @default DEFAULT_SESSION_OPTIONS.loginTimeoutMs */
  loginTimeoutMs?: number;
  /** Time allowed for the TCP/TLS/WebSocket handshake, milliseconds. @default DEFAULT_SESSION_OPTIONS.connectTimeoutMs */
  connectTimeoutMs?: number;
  /** The server's ping interval (RCC: 20 s, §2.7), milliseconds. @default DEFAULT_SESSION_OPTIONS.pingIntervalMs */
  pingIntervalMs?: number;
  /**
   * Ping intervals without any inbound message after which the link is declared dead (§2.7).
   * @default DEFAULT_SESSION_OPTIONS.missedPings
   */
  missedPings?: number;
  /**
   * Rate limit used when the Login Refresh carries no `TRCE:MaxMessagesPerSecond` (§3.3), msg/s.
   * @default DEFAULT_SESSION_OPTIONS.defaultMaxMessagesPerSecond
   */
  defaultMaxMessagesPerSecond?: number;
  /** Fraction of the advertised rate actually used, (0, 1]. @default DEFAULT_SESSION_OPTIONS.safetyFactor */
  safetyFactor?: number;
  /**
   * Extra milliseconds a control message (Pong, Login, item Request, Close) counts toward the one-second
   * rate window, absorbing delays in transit and in the server (a delayed frame must not make two windows'
   * worth look like one). Posts need no margin: they count from their Ack's arrival, which bounds their
   * arrival at the server whatever the delay (§3.4, rate-governor.ts); nothing answers control messages.
   * @default DEFAULT_SESSION_OPTIONS.rateWindowMarginMs
   */
  rateWindowMarginMs?: number;
  /**
   * Posts go out in bursts of at most this many milliseconds' worth of the allowed rate, spread over the
   * window rather than all at its start (lower Ack latency at the same throughput); 0 = no pacing. Also how
   * long a stall of our event loop may be and still be caught up with: measured at 1,000 msg/s under CPU
   * contention, 50 kept 99.8 % of the limit where 20 dropped to 98.7 %, with the same Ack latency.
   * @default DEFAULT_SESSION_OPTIONS.rateBurstMs
   */
  rateBurstMs?: number;
  /**
   * Reconnect policy: exponential, capped, full jitter; absent keys come from the default policy.
   * @default DEFAULT_SESSION_OPTIONS.backoff (DEFAULT_BACKOFF)
   */
  backoff?: Partial<BackoffPolicy>;
  /** Time "ready" after which the reconnect attempt counter resets, milliseconds. @default DEFAULT_SESSION_OPTIONS.stableAfterMs */
  stableAfterMs?: number;
  /**
   * Give up reconnecting once the session has been without a ready connection this long since the first
   * failure of the current run of failures, milliseconds (`Infinity` = never; `backoff.maxAttempts` still
   * applies). Bounding by time rather than by a count keeps a few seconds of server restart from ending a
   * long-running session whatever the backoff's delays are (§3.6).
   * @default DEFAULT_SESSION_OPTIONS.reconnectForMs (Infinity)
   */
  reconnectForMs?: number;
  /**
   * A (re)connect asks the auth provider for a token valid at least this long, milliseconds (§3.6).
   * @default DEFAULT_SESSION_OPTIONS.tokenMinValidityMs
   */
  tokenMinValidityMs?: number;
  /**
   * HTTP(S) proxy URL for the WebSocket (HTTP CONNECT) and, when the contributor builds the token manager,
   * for token requests; `false` ignores the HTTPS_PROXY / HTTP_PROXY environment. Loopback hosts and hosts
   * matching NO_PROXY bypass environment proxies.
   * @default undefined (from the environment)
   */
  proxy?: string | false;
  /** TLS settings; certificate verification is on unless `rejectUnauthorized: false`. @default {} */
  tls?: TlsOptions;
  /**
   * Called with every WebSocket text frame sent and received, secrets masked (see {@link FrameTracer}); for
   * debugging a connection as LSEG's tutorial prints its `SENT:` / `RECEIVED:` frames. Unset, it costs nothing:
   * no frame text is built or masked for it.
   * @default undefined (no tracing)
   */
  traceFrames?: FrameTracer;
}

/** {@link SessionOptions} with defaults applied (the backoff policy completed). */
export type ResolvedSessionOptions = Readonly<
  Required<Omit<SessionOptions, "position" | "proxy" | "backoff" | "tls" | "traceFrames">> & {
    position: string | undefined;
    traceFrames: FrameTracer | undefined;
    proxy: string | false | undefined;
    backoff: BackoffPolicy;
    tls: TlsOptions;
  }
>;

/** The defaults of {@link SessionOptions}: the one place each is written. */
export const DEFAULT_SESSION_OPTIONS = Object.freeze({
  applicationId: "256",
  loginTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 20_000,
  missedPings: 3,
  defaultMaxMessagesPerSecond: 1000,
  safetyFactor: 1,
  rateWindowMarginMs: 20,
  rateBurstMs: 50,
  backoff: DEFAULT_BACKOFF,
  stableAfterMs: 30_000,
  reconnectForMs: Number.POSITIVE_INFINITY,
  tokenMinValidityMs: 60_000,
}) satisfies Partial<ResolvedSessionOptions>;

const pemItem = (item: unknown): boolean => typeof item === "string" || Buffer.isBuffer(item);
const pem = satisfies(
  (value) => pemItem(value) || (Array.isArray(value) && value.every(pemItem)),
  "must be a PEM string, a Buffer or an array of them",
);

const defaults = DEFAULT_SESSION_OPTIONS;
const sessionSpec: Spec = {
  urls: required(
    list(
      satisfies((url) => checkEndpointUrl(url) === undefined, "must be ws:// or wss://"),
      1,
    ),
  ),
  applicationId: withDefault(
    str({ pattern: /^\d{1,5}$/, patternText: "must be a numeric string" }),
    defaults.applicationId,
  ),
  position: optional(str({ nonEmpty: true })),
  loginTimeoutMs: withDefault(positiveInt, defaults.loginTimeoutMs),
  connectTimeoutMs: withDefault(positiveInt, defaults.connectTimeoutMs),
  pingIntervalMs: withDefault(positiveInt, defaults.pingIntervalMs),
  missedPings: withDefault(num({ int: true, min: 1 }), defaults.missedPings),
  defaultMaxMessagesPerSecond: withDefault(positiveInt, defaults.defaultMaxMessagesPerSecond),
  safetyFactor: withDefault(num({ gt: 0, max: 1 }), defaults.safetyFactor),
  rateWindowMarginMs: withDefault(num({ min: 0, max: 1000 }), defaults.rateWindowMarginMs),
  rateBurstMs: withDefault(num({ min: 0, max: 1000 }), defaults.rateBurstMs),
  stableAfterMs: withDefault(positiveInt, defaults.stableAfterMs),
  reconnectForMs: withDefault(
    anyOf("must be a whole number greater than 0 or Infinity", oneOf([Number.POSITIVE_INFINITY]), positiveInt),
    defaults.reconnectForMs,
  ),
  tokenMinValidityMs: withDefault(num({ int: true, min: 0 }), defaults.tokenMinValidityMs),
  proxy: optional(anyOf("must be an http(s) URL or false", oneOf([false]), satisfies(isUrl, ""))),
  tls: withDefault(
    nested({ ca: optional(pem), cert: optional(pem), key: optional(pem), rejectUnauthorized: optional(bool) }),
    () => ({}),
  ),
  traceFrames: optional(satisfies((value) => typeof value === "function", "must be a function")),
};

/** Whether `value` is an absolute URL. */
function isUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates session options and applies defaults.
 * @throws InvalidOptionsError naming each bad key (values are never echoed: they may be secrets).
 */
export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const checked = checkObject(options, sessionSpec);
  if (checked.problems.length > 0) {
    throw new InvalidOptionsError(`invalid session options: ${checked.problems.join("; ")}`);
  }
  const data = checked.value as Omit<ResolvedSessionOptions, "backoff">;
  let backoff: BackoffPolicy;
  try {
    backoff = resolveBackoffPolicy(options.backoff, defaults.backoff);
  } catch (error) {
    throw new InvalidOptionsError(`invalid session options: backoff: ${(error as Error).message}`);
  }
  const { tls, ...rest } = data;
  return Object.freeze({
    ...rest,
    position: rest.position,
    proxy: rest.proxy,
    traceFrames: rest.traceFrames,
    urls: Object.freeze([...rest.urls]),
    backoff,
    tls: Object.freeze({ ...tls }),
  });
}
