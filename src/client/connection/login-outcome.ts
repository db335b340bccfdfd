/**
 * Reading Login Refresh / Status messages (§2.5, §2.6, §2.10, §3.3), leniently: enum values as strings or
 * numbers, `Key.Name` as a string, null or absent, element values plain or typed, texts with trailing
 * whitespace. Pure.
 */
import { DATA_STATES, STATE_CODES, STREAM_STATES, enumName } from "../../protocol/codes.js";
import { MAX_MESSAGES_PER_SECOND_ELEMENT } from "../../protocol/messages.js";
import type { InboundMessage } from "./link.js";
import { LoginRefusedError } from "../errors.js";

/**
 * State codes that say "this user/token may not log in". Decision: on a token that was never
 * used in a login before they are fatal; otherwise the session fetches a new token and retries once.
 */
const TOKEN_SUSPECT_CODES: ReadonlySet<string> = new Set([
  "NotEntitled",
  "UserUnknownToPermSys",
  "UserAccessToAppDenied",
  "AppAuthorizationFailed",
]);

/** Top-level Login Refresh element of an ADS: seconds of silence it tolerates (§4A.5). */
const PING_TIMEOUT_ELEMENT = "PingTimeout";

/** Stream states that end the login stream, and with it the session (§2.10 client rule). */
const ENDING_STREAMS: ReadonlySet<string> = new Set(["Closed", "ClosedRecover", "Redirected", "NonStreaming"]);

/** What a login-stream message means for the session. */
export type LoginOutcome =
  | {
      kind: "accepted";
      maxMessagesPerSecond: number | undefined;
      /** Set when the advertised rate limit was unusable or out of range (see {@link readRateLimit}). */
      rateProblem: ElementReading | undefined;
      /** Set when the advertised `PingTimeout` was unusable or out of range (see {@link readPingTimeout}). */
      pingTimeoutProblem: ElementReading | undefined;
      /** The ADS's `PingTimeout` (§4A.5) in milliseconds; undefined when the Refresh has none (RCC). */
      pingTimeoutMs: number | undefined;
      text: string;
      user: string | undefined;
    }
  | { kind: "ended"; error: LoginRefusedError; tokenSuspect: boolean }
  | { kind: "other"; stream: string; data: string; text: string };

/** Normalised `State` of a Refresh or Status. */
export interface ParsedState {
  stream: string | undefined;
  data: string | undefined;
  code: string | undefined;
  text: string;
}

/** Reads a `State` object; unknown enum values are kept as their string form. */
export function parseState(state: unknown): ParsedState {
  if (typeof state !== "object" || state === null)
    return { stream: undefined, data: undefined, code: undefined, text: "" };
  const record = state as Record<string, unknown>;
  const name = (table: Record<string, number>, value: unknown): string | undefined => {
    if (value === undefined || value === null) return undefined;
    const known = enumName(table, value);
    if (known !== undefined) return known;
    return typeof value === "string" || typeof value === "number" ? String(value) : JSON.stringify(value);
  };
  return {
    stream: name(STREAM_STATES, record.Stream),
    data: name(DATA_STATES, record.Data),
    code: name(STATE_CODES, record.Code),
    text: typeof record.Text === "string" ? record.Text.trim() : "",
  };
}

/** Classifies a Refresh or Status on the login stream. */
export function classifyLoginMessage(message: InboundMessage): LoginOutcome {
  const state = parseState(message.State);
  const isRefresh = message.Type === "Refresh" || message.Type === 2;
  const stream = state.stream ?? (isRefresh ? "Open" : "Unspecified");
  const data = state.data ?? (isRefresh ? "Ok" : "NoChange");
  if (ENDING_STREAMS.has(stream)) {
    const tokenSuspect = state.code !== undefined && TOKEN_SUSPECT_CODES.has(state.code);
    // A closed login is retriable unless it is about the user or token (the session decides, see above).
    return { kind: "ended", error: new LoginRefusedError(stream, state.code, state.text, !tokenSuspect), tokenSuspect };
  }
  if (isRefresh && stream === "Open" && data === "Ok") {
    const key = message.Key as Record<string, unknown> | undefined;
    const user = typeof key?.Name === "string" ? key.Name : undefined;
    const rate = readRateLimit(message);
    const pingTimeout = readPingTimeout(message);
    return {
      kind: "accepted",
      maxMessagesPerSecond: rate.value,
      rateProblem: rate.problem === undefined ? undefined : rate,
      pingTimeoutMs: pingTimeout.value === undefined ? undefined : pingTimeout.value * 1000,
      pingTimeoutProblem: pingTimeout.problem === undefined ? undefined : pingTimeout,
      text: state.text,
      user,
    };
  }
  return { kind: "other", stream, data, text: state.text };
}

/** Highest `TRCE:MaxMessagesPerSecond` taken as advertised, msg/s; a larger value is clamped to it. */
export const MAX_ADVERTISED_RATE = 10_000_000;
/** Range of an ADS `PingTimeout` taken as advertised, seconds (§4A.5); a value outside is clamped into it. */
const PING_TIMEOUT_RANGE_S = { min: 1, max: 3600 } as const;

/** A numeric Login Refresh element as the client will use it. */
export interface ElementReading {
  /** The value to use; undefined when the element is absent or unusable (the client's default applies). */
  value: number | undefined;
  /** Set when the element was present but not used as sent: "ignored" (unusable) or "clamped". */
  problem: "ignored" | "clamped" | undefined;
  /** The element as sent (for the warning); undefined when absent. */
  advertised: unknown;
}

/** A string the element may arrive as (§4A.7 lenient forms): decimal digits, an optional fraction, spaces around. */
const DECIMAL = /^\s*[0-9]+(\.[0-9]+)?\s*$/;

/**
 * `TRCE:MaxMessagesPerSecond` from `Key.Elements` (or, leniently, top-level `Elements`) as a positive
 * number; plain, typed (`{"Type":"UInt","Data":1000}`) or a numeric string. Undefined when absent or unusable.
 */
export function readMaxMessagesPerSecond(message: InboundMessage): number | undefined {
  return readRateLimit(message).value;
}

/**
 * `TRCE:MaxMessagesPerSecond` (§3.3) checked for use by the rate governor: a number of at least 1 (plain,
 * typed or a decimal string), at most {@link MAX_ADVERTISED_RATE}. Zero, negative and non-numeric values
 * ("abc", "0x10", true, {}) are ignored; a fraction below 1 is raised to 1 and a larger value (1e9) lowered to
 * the maximum: a hostile or broken server must neither stop our posts nor turn the governor off.
 */
export function readRateLimit(message: InboundMessage): ElementReading {
  return readElement(message, MAX_MESSAGES_PER_SECOND_ELEMENT, 1, MAX_ADVERTISED_RATE);
}

/** An ADS `PingTimeout` (§4A.5), seconds, clamped into {@link PING_TIMEOUT_RANGE_S} (a timer must stay sane). */
export function readPingTimeout(message: InboundMessage): ElementReading {
  return readElement(message, PING_TIMEOUT_ELEMENT, PING_TIMEOUT_RANGE_S.min, PING_TIMEOUT_RANGE_S.max);
}

/**
 * A numeric element from `Key.Elements` or top-level `Elements` (RCC puts its element in the first, the ADS
 * its `PingTimeout` in the second, §2.5, §4A.5): plain, typed or a decimal string; a positive value is
 * clamped into [min, max], anything else ignored.
 */
function readElement(message: InboundMessage, name: string, min: number, max: number): ElementReading {
  const key = message.Key as Record<string, unknown> | null | undefined;
  for (const elements of [key?.Elements, message.Elements]) {
    if (typeof elements !== "object" || elements === null || !Object.hasOwn(elements, name)) continue;
    const advertised: unknown = (elements as Record<string, unknown>)[name];
    let value = advertised;
    if (typeof value === "object" && value !== null && "Data" in value) value = value.Data;
    const number = typeof value === "string" && DECIMAL.test(value) ? Number(value) : value;
    if (typeof number !== "number" || !Number.isFinite(number) || !(number > 0)) {
      return { value: undefined, problem: "ignored", advertised };
    }
    if (number < min || number > max) {
      return { value: Math.min(max, Math.max(min, number)), problem: "clamped", advertised };
    }
    return { value: number, problem: undefined, advertised };
  }
  return { value: undefined, problem: undefined, advertised: undefined };
}
