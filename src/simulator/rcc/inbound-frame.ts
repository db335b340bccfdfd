/**
 * Helpers for inbound WebSocket frames: size, text, and the redaction applied before a message is
 * recorded (checklist items 30 and 32).
 */
import type { RawData } from "ws";
import { type JsonObject, isJsonObject } from "./message-keys.js";

/** Size of a received frame in bytes. */
export function frameByteLength(data: RawData): number {
  if (Buffer.isBuffer(data)) return data.length;
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

/** A received frame decoded as UTF-8 (ws has already rejected invalid UTF-8 in text frames). */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  return Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString("utf8");
}

/** What a redacted string value is recorded as. */
const REDACTED = "[redacted]";

/** Keys of a Login whose string values are never secret, lower-cased: kept wherever they appear. */
const PUBLIC_LOGIN_KEYS: ReadonlySet<string> = new Set(["applicationid", "position"]);

/**
 * Keys whose string value is an enumeration name, lower-cased, with the names they may hold (lower-cased): such a
 * value is kept only when it is one of them, so that a secret placed under, say, `Type` is still masked.
 */
const ENUMERATION_VALUES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [
    "type",
    new Set(
      [
        ...["Request", "Refresh", "Status", "Update", "Close", "Ack", "Generic", "Post", "Ping", "Pong", "Error"],
        // Typed element values of ADS Logins (§4A.5): {"Type":"AsciiString","Data":…}.
        ...["AsciiString", "RMTES", "UTF8", "Int", "UInt", "Real", "Float", "Double", "Enum", "Date", "Time"],
        ...["DateTime", "Buffer", "Array", "ElementList", "FieldList", "Map", "Vector", "Series", "FilterList"],
      ].map((name) => name.toLowerCase()),
    ),
  ],
  ["domain", new Set(["login", "source", "dictionary", "marketprice"])],
  ["nametype", new Set(["unspecified", "name", "emailaddress", "token", "cookie", "authntoken"])],
]);

/** Depth beyond which a Login's content is recorded as one redacted value: the walk must never overflow. */
const MAX_REDACTION_DEPTH = 32;

/**
 * Masks every secret a Login may carry before it is recorded (item 32): recorded messages are served by the admin
 * API, and tokens are never echoed. A client may put its token anywhere (`Key.Name`, an array, top-level
 * `Elements`, a key of another case), so in a Login (`Domain` "Login" or 1, under a key of any case) every string
 * value is masked except `ApplicationId` and `Position` (any place, any case), enumeration names under `Type`,
 * `Domain` and `NameType`, and the user name (`Key.Name`) of a user-name Login (no `NameType`, or `Name` / 1, as
 * login-handler.ts reads it, §4A.5). Numbers, booleans and null stay. Other messages pass through as they are,
 * except a `Key.Elements.AuthenticationToken`, which is masked wherever it is sent. Never throws.
 */
export function redactForRecord(message: unknown): unknown {
  if (!isJsonObject(message)) return message;
  if (isLoginMessage(message)) return redactLogin(message, userNameLoginKey(message), 0);
  if (!isJsonObject(message.Key)) return message;
  const elements = message.Key.Elements;
  if (!isJsonObject(elements) || elements.AuthenticationToken === undefined) return message;
  return { ...message, Key: { ...message.Key, Elements: { ...elements, AuthenticationToken: REDACTED } } };
}

/** Whether any key spelled "domain" in any case names the Login domain; the hot path only compares lengths. */
function isLoginMessage(message: JsonObject): boolean {
  for (const key in message) {
    if (key.length !== 6 || key.toLowerCase() !== "domain") continue;
    const value = message[key];
    if (value === 1 || (typeof value === "string" && value.toLowerCase() === "login")) return true;
  }
  return false;
}

/** The `Key` object of a user-name Login (its `Name` is the user, not a secret), or undefined. */
function userNameLoginKey(message: JsonObject): JsonObject | undefined {
  const key = ownValue(message, "key");
  if (!isJsonObject(key)) return undefined;
  let nameType: unknown;
  for (const name in key) if (name.toLowerCase() === "nametype") nameType = nameType ?? key[name];
  return nameType === undefined || nameType === 1 || nameType === "Name" ? key : undefined;
}

function ownValue(object: JsonObject, lowerKey: string): unknown {
  for (const key in object) if (key.toLowerCase() === lowerKey) return object[key];
  return undefined;
}

/** A copy of `value` with every string masked but the public ones (see {@link redactForRecord}). */
function redactLogin(value: unknown, userKey: JsonObject | undefined, depth: number): unknown {
  if (typeof value === "string") return REDACTED;
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_REDACTION_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactLogin(item, userKey, depth + 1));
  const copy: JsonObject = {};
  for (const [key, inner] of Object.entries(value as JsonObject)) {
    const lower = key.toLowerCase();
    if (typeof inner === "string") {
      const names = ENUMERATION_VALUES.get(lower);
      const keep =
        PUBLIC_LOGIN_KEYS.has(lower) ||
        (names !== undefined && names.has(inner.toLowerCase())) ||
        (value === userKey && lower === "name");
      copy[key] = keep ? inner : REDACTED;
    } else {
      copy[key] = redactLogin(inner, userKey, depth + 1);
    }
  }
  return copy;
}
