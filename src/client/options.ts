/**
 * Options of the session and of the post pipeline, one type per component, validated once (option-checks.ts) and
 * read-only afterwards (STYLE habit 8). `ContributorOptions` (contributor.ts) combines them with the
 * authentication options.
 */
import type { BackoffPolicy } from "../util/backoff.js";
import { resolveBackoffPolicy } from "../util/backoff.js";
import { assertWebSocketUrl } from "./connection/endpoint-pool.js";
import { RccError } from "./errors.js";
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
} from "./option-checks.js";

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

/** Options of the WebSocket session (connection, login, heartbeat, reconnect, failover). */
export interface SessionOptions {
  /** RCC WebSocket endpoints (`wss://host/WebSocket`) in failover order (§3.2, §3.6). */
  urls: readonly string[];
  /** DACS application id sent in the Login, a numeric string (§2.4). @default "256" */
  applicationId?: string;
  /** Login `Position`, "ip/hostname" (§2.4). @default first non-internal IPv4 + "/" + os.hostname() */
  position?: string;
  /** Time allowed from opening the socket to the Login Refresh, milliseconds. @default 10_000 */
  loginTimeoutMs?: number;
  /** Time allowed for the TCP/TLS/WebSocket handshake, milliseconds. @default 10_000 */
  connectTimeoutMs?: number;
  /** The server's ping interval (RCC: 20 s, §2.7), milliseconds. @default 20_000 */
  pingIntervalMs?: number;
  /** Ping intervals without any inbound message after which the link is declared dead (§2.7). @default 3 */
  missedPings?: number;
  /** Rate limit used when the Login Refresh carries no `TRCE:MaxMessagesPerSecond` (§3.3), msg/s. @default 1000 */
  defaultMaxMessagesPerSecond?: number;
  /** Fraction of the advertised rate actually used, (0, 1]. @default 1 */
  safetyFactor?: number;
  /**
   * Extra milliseconds a control message (Pong, Login, item Request, Close) counts toward the one-second
   * rate window, absorbing delays in transit and in the server (a delayed frame must not make two windows'
   * worth look like one). Posts need no margin: they count from their Ack's arrival, which bounds their
   * arrival at the server whatever the delay (§3.4, rate-governor.ts); nothing answers control messages.
   * @default 20
   */
  rateWindowMarginMs?: number;
  /**
   * Posts go out in bursts of at most this many milliseconds' worth of the allowed rate, spread over the
   * window rather than all at its start (lower Ack latency at the same throughput); 0 = no pacing. Also how
   * long a stall of our event loop may be and still be caught up with: measured at 1,000 msg/s under CPU
   * contention, 50 kept 99.8 % of the limit where 20 dropped to 98.7 %, with the same Ack latency.
   * @default 50
   */
  rateBurstMs?: number;
  /** Reconnect policy: exponential, capped, full jitter. @default { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, maxAttempts: Infinity } */
  backoff?: Partial<BackoffPolicy>;
  /** Time "ready" after which the reconnect attempt counter resets, milliseconds. @default 30_000 */
  stableAfterMs?: number;
  /** A (re)connect asks the auth provider for a token valid at least this long, milliseconds (§3.6). @default 60_000 */
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
}

/** Options of the post pipeline (batching, acks, backpressure). */
export interface PipelineOptions {
  /** `Key.Service` of every post, a name or numeric id (§3.1). @default "DDS_TRCE" */
  service?: string | number;
  /**
   * A post not settled this long after `contribute()` accepted it rejects with `AckTimeoutError`, milliseconds
   * (checked every tenth of it, at most every second). The time runs whether the post was sent or is still
   * queued (held by the rate limit, `maxInFlight` or a reconnect; then `sent: false`), and across re-sends.
   * A caller waiting for room in a full queue is accepted when it gets in; its time starts then.
   * @default 15_000
   */
  ackTimeoutMs?: number;
  /** Posts sent and awaiting an Ack, at most. @default 1000 */
  maxInFlight?: number;
  /** Posts accepted but not yet sent, at most; then `contribute()` waits (or rejects with `{ wait: false }`). @default 10_000 */
  maxQueued?: number;
  /** Largest WebSocket frame sent, bytes (§2.2). @default 61_440 */
  maxFrameBytes?: number;
  /**
   * Re-send posts in flight when a connection drops (first on the next connection, in order, new PostIDs);
   * `false` rejects them with `ConnectionLostError`. A re-send never overwrites a newer value: fields that a
   * newer post to the same RIC, acknowledged before the drop, carried are left out of the re-sent post (its
   * Ack then covers the reduced post), and a post left with no field is not re-sent but rejects with
   * `SupersededError`. @default true
   */
  resendInFlight?: boolean;
  /** Merge a post into a still-queued post to the same RIC (default for every `contribute()`). @default false */
  conflate?: boolean;
  /** `close()` waits this long for queued and in-flight posts to be acknowledged, milliseconds. @default 5_000 */
  drainTimeoutMs?: number;
  /** Optional `PostUserInfo` on every post (§2.8): dotted IPv4 `address` and numeric `userId`. @default undefined */
  postUserInfo?: { address: string; userId: number };
  /**
   * `"off-stream"`: every post names its item in a `Key` and rides on the login stream (§2.8, what RCC
   * documents). `"on-stream"`: the contributor opens an item stream per RIC with a streaming Request and
   * posts on its ID without a `Key` (§4A.6, as through an on-site ADS); a RIC whose stream is refused
   * rejects its posts with `ItemStreamError`. Updates the server fans out on those streams are ignored.
   * @default "off-stream"
   */
  postMode?: PostMode;
}

/** Where posts ride: on the login stream with a Key, or on an item stream per RIC (§2.8, §4A.6). */
export type PostMode = "off-stream" | "on-stream";

/** {@link SessionOptions} with defaults applied (the backoff policy completed). */
export type ResolvedSessionOptions = Readonly<
  Required<Omit<SessionOptions, "position" | "proxy" | "backoff" | "tls">> & {
    position: string | undefined;
    proxy: string | false | undefined;
    backoff: BackoffPolicy;
    tls: TlsOptions;
  }
>;

/** {@link PipelineOptions} with defaults applied. */
export type ResolvedPipelineOptions = Readonly<
  Required<Omit<PipelineOptions, "postUserInfo">> & { postUserInfo: PipelineOptions["postUserInfo"] }
>;

const pemItem = (item: unknown): boolean => typeof item === "string" || Buffer.isBuffer(item);
const pem = satisfies(
  (value) => pemItem(value) || (Array.isArray(value) && value.every(pemItem)),
  "must be a PEM string, a Buffer or an array of them",
);

const sessionSpec: Spec = {
  urls: required(
    list(
      satisfies((url) => typeof url === "string" && isWebSocketUrl(url), "must be ws:// or wss://"),
      1,
    ),
  ),
  applicationId: withDefault(str({ pattern: /^\d{1,5}$/, patternText: "must be a numeric string" }), "256"),
  position: optional(str({ nonEmpty: true })),
  loginTimeoutMs: withDefault(positiveInt, 10_000),
  connectTimeoutMs: withDefault(positiveInt, 10_000),
  pingIntervalMs: withDefault(positiveInt, 20_000),
  missedPings: withDefault(num({ int: true, min: 1 }), 3),
  defaultMaxMessagesPerSecond: withDefault(positiveInt, 1000),
  safetyFactor: withDefault(num({ gt: 0, max: 1 }), 1),
  rateWindowMarginMs: withDefault(num({ min: 0, max: 1000 }), 20),
  rateBurstMs: withDefault(num({ min: 0, max: 1000 }), 50),
  stableAfterMs: withDefault(positiveInt, 30_000),
  tokenMinValidityMs: withDefault(num({ int: true, min: 0 }), 60_000),
  proxy: optional(anyOf("must be an http(s) URL or false", oneOf([false]), satisfies(isUrl, ""))),
  tls: withDefault(
    nested({ ca: optional(pem), cert: optional(pem), key: optional(pem), rejectUnauthorized: optional(bool) }),
    () => ({}),
  ),
};

const pipelineSpec: Spec = {
  service: withDefault(
    anyOf(
      "must be a service name or a number 0–65535",
      str({ nonEmpty: true }),
      num({ int: true, min: 0, max: 65_535 }),
    ),
    "DDS_TRCE",
  ),
  ackTimeoutMs: withDefault(positiveInt, 15_000),
  maxInFlight: withDefault(positiveInt, 1000),
  maxQueued: withDefault(positiveInt, 10_000),
  maxFrameBytes: withDefault(num({ int: true, min: 256 }), 61_440),
  resendInFlight: withDefault(bool, true),
  conflate: withDefault(bool, false),
  drainTimeoutMs: withDefault(num({ int: true, min: 0 }), 5_000),
  postMode: withDefault(oneOf(["off-stream", "on-stream"]), "off-stream"),
  postUserInfo: optional(
    nested({
      address: required(str({ pattern: /^\d{1,3}(\.\d{1,3}){3}$/, patternText: "must be a dotted IPv4" })),
      userId: required(num({ int: true, min: 0 })),
    }),
  ),
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

function isWebSocketUrl(url: string): boolean {
  try {
    assertWebSocketUrl(url);
    return true;
  } catch {
    return false;
  }
}

/** One error naming every bad key (values are never echoed: they may be secrets). */
function invalid(component: string, problems: readonly string[]): RccError {
  return new RccError("RCC_INVALID_OPTIONS", `invalid ${component} options: ${problems.join("; ")}`);
}

/**
 * Validates session options and applies defaults.
 * @throws RccError code "RCC_INVALID_OPTIONS" naming each bad key.
 */
export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const checked = checkObject(options, sessionSpec);
  if (checked.problems.length > 0) throw invalid("session", checked.problems);
  const parsed = { data: checked.value as Omit<ResolvedSessionOptions, "backoff"> };
  let backoff: BackoffPolicy;
  try {
    backoff = resolveBackoffPolicy(options.backoff);
  } catch (error) {
    throw new RccError("RCC_INVALID_OPTIONS", `invalid session options: backoff: ${(error as Error).message}`);
  }
  const { tls, ...rest } = parsed.data;
  return Object.freeze({
    ...rest,
    position: rest.position,
    proxy: rest.proxy,
    urls: Object.freeze([...rest.urls]),
    backoff,
    tls: Object.freeze({ ...tls }),
  });
}

/**
 * Validates pipeline options and applies defaults.
 * @throws RccError code "RCC_INVALID_OPTIONS" naming each bad key.
 */
export function resolvePipelineOptions(options: PipelineOptions): ResolvedPipelineOptions {
  const checked = checkObject(options, pipelineSpec);
  if (checked.problems.length > 0) throw invalid("pipeline", checked.problems);
  const data = checked.value as ResolvedPipelineOptions;
  return Object.freeze({ ...data, postUserInfo: data.postUserInfo });
}
