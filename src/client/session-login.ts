/**
 * Reading Login Refresh / Status messages (§2.5, §2.6, §2.10, §3.3), leniently: enum values as strings or
 * numbers, `Key.Name` as a string, null or absent, element values plain or typed, texts with trailing
 * whitespace. Pure.
 */
import { DATA_STATES, STATE_CODES, STREAM_STATES, enumName } from "../protocol/codes.js";
import { MAX_MESSAGES_PER_SECOND_ELEMENT } from "../protocol/messages.js";
import type { InboundMessage } from "./session-link.js";
import { LoginRefusedError } from "./post-errors.js";

/**
 * State codes that say "this user/token may not log in". Decision (issue 3): on a token that was never
 * used in a login before they are fatal; otherwise the session fetches a new token and retries once.
 */
export const TOKEN_SUSPECT_CODES: ReadonlySet<string> = new Set([
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
    const maxMessagesPerSecond = readMaxMessagesPerSecond(message);
    const pingTimeoutSec = readPositiveElement(message, PING_TIMEOUT_ELEMENT);
    const pingTimeoutMs = pingTimeoutSec === undefined ? undefined : pingTimeoutSec * 1000;
    return { kind: "accepted", maxMessagesPerSecond, pingTimeoutMs, text: state.text, user };
  }
  return { kind: "other", stream, data, text: state.text };
}

/**
 * `TRCE:MaxMessagesPerSecond` from `Key.Elements` (or, leniently, top-level `Elements`) as a positive
 * number; plain, typed (`{"Type":"UInt","Data":1000}`) or a numeric string. Undefined when absent or unusable.
 */
export function readMaxMessagesPerSecond(message: InboundMessage): number | undefined {
  return readPositiveElement(message, MAX_MESSAGES_PER_SECOND_ELEMENT);
}

/**
 * A positive number from `Key.Elements` or top-level `Elements` (RCC puts its element in the first, the
 * ADS its `PingTimeout` in the second, §2.5, §4A.5): plain, typed or a numeric string.
 */
function readPositiveElement(message: InboundMessage, name: string): number | undefined {
  const key = message.Key as Record<string, unknown> | undefined;
  for (const elements of [key?.Elements, message.Elements]) {
    if (typeof elements !== "object" || elements === null) continue;
    let value: unknown = (elements as Record<string, unknown>)[name];
    if (typeof value === "object" && value !== null && "Data" in value) value = value.Data;
    const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof number === "number" && Number.isFinite(number) && number > 0) return number;
  }
  return undefined;
}
