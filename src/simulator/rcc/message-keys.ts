/**
 * Readers for the keys every inbound message may carry (§2.3), lenient like RTSDK's converter: enum keys
 * as string or number (§4A.7). Each returns the value, or a {@link ConverterFailure} to answer with an
 * Error message (§2.11).
 */
import { MESSAGE_TYPES } from "../../protocol/codes.js";
import { ConverterFailure, missingKey, tokenTypeError, unexpectedValue } from "./converter-errors.js";

/** A JSON object as parsed. */
export type JsonObject = Record<string, unknown>;

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Message types a client may send: the RWF classes plus the JSON-only Ping, Pong and Error (§2.3). */
export type InboundType = keyof typeof MESSAGE_TYPES | "Ping" | "Pong" | "Error";

const TYPE_BY_NAME: ReadonlyMap<string, InboundType> = new Map<string, InboundType>(
  [...Object.keys(MESSAGE_TYPES), "Ping", "Pong", "Error"].map((name) => [name, name as InboundType]),
);
const TYPE_BY_NUMBER: ReadonlyMap<number, InboundType> = new Map(
  Object.entries(MESSAGE_TYPES).map(([name, number]) => [number, name as InboundType]),
);

/** Domain names and numbers (§4A.7, RTSDK `rsslRDM.h`). */
const DOMAIN_NUMBERS: Readonly<Record<string, number>> = {
  Login: 1,
  Source: 4,
  Dictionary: 5,
  MarketPrice: 6,
  MarketByOrder: 7,
  MarketByPrice: 8,
  MarketMaker: 9,
  SymbolList: 10,
  ServiceProviderStatus: 11,
  History: 12,
  Headline: 13,
  Story: 14,
  ReplayHeadline: 15,
  ReplayStory: 16,
  Transaction: 17,
  YieldCurve: 22,
  Contribution: 27,
  ProviderAdmin: 29,
  Analytics: 30,
  Reference: 31,
  NewsTextAnalytics: 33,
  EconomicIndicator: 34,
  Poll: 35,
  Forecast: 36,
  MarketByTime: 37,
  System: 127,
};
const DOMAIN_BY_NUMBER: ReadonlyMap<number, string> = new Map(
  Object.entries(DOMAIN_NUMBERS).map(([name, number]) => [number, name]),
);

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** Reads a stream id (`ID`): an int32 number. Failures carry ID 0 because the id is what is broken. */
export function readStreamId(value: unknown): number | ConverterFailure {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX
      ? value
      : unexpectedValue(value, "ID", 0);
  }
  if (typeof value === "boolean" || value === null) return unexpectedValue(value, "ID", 0);
  return tokenTypeError("ID", "PRIMITIVE", value, 0);
}

/** Reads `Type` (default `Request`). */
export function readType(value: unknown, id: number): InboundType | ConverterFailure {
  if (value === undefined) return "Request";
  if (typeof value === "string") return TYPE_BY_NAME.get(value) ?? unexpectedValue(value, "Type", id);
  if (typeof value === "number") return TYPE_BY_NUMBER.get(value) ?? unexpectedValue(value, "Type", id);
  if (typeof value === "boolean" || value === null) return unexpectedValue(value, "Type", id);
  return tokenTypeError("Type", "PRIMITIVE", value, id);
}

/**
 * Reads `Domain` (default `MarketPrice`). Known numbers become their names; an unknown number is returned
 * as is (the handler answers it with a Status, §4A.7), an unknown name is a converter Error.
 */
export function readDomain(value: unknown, id: number): string | number | ConverterFailure {
  if (value === undefined) return "MarketPrice";
  if (typeof value === "string")
    return Object.hasOwn(DOMAIN_NUMBERS, value) ? value : unexpectedValue(value, "Domain", id);
  if (typeof value === "number" && Number.isInteger(value)) return DOMAIN_BY_NUMBER.get(value) ?? value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return unexpectedValue(value, "Domain", id);
  }
  return tokenTypeError("Domain", "PRIMITIVE", value, id);
}

/** Reads an optional boolean key such as `Ack`, `Refresh`, `Streaming`. */
export function readBoolean(value: unknown, key: string, fallback: boolean, id: number): boolean | ConverterFailure {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  if (typeof value === "number" || value === null) return unexpectedValue(value, key, id);
  return tokenTypeError(key, "PRIMITIVE", value, id);
}

/** Reads an optional unsigned 32-bit integer key such as `PostID` or `SeqNumber`. */
export function readUInt(value: unknown, key: string, id: number): number | undefined | ConverterFailure {
  if (value === undefined) return undefined;
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff ? value : unexpectedValue(value, key, id);
  }
  if (typeof value === "boolean" || value === null) return unexpectedValue(value, key, id);
  return tokenTypeError(key, "PRIMITIVE", value, id);
}

/** Reads an optional object key such as `Key`, `Message`, `Elements`. */
export function readObject(value: unknown, key: string, id: number): JsonObject | undefined | ConverterFailure {
  if (value === undefined) return undefined;
  return isJsonObject(value) ? value : tokenTypeError(key, "OBJECT", value, id);
}

/** Reads an optional string key such as `Key.Name`. */
export function readString(value: unknown, key: string, id: number): string | undefined | ConverterFailure {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : tokenTypeError(key, "STRING", value, id);
}

/** The `Key` and the boolean flags of a Request, from {@link readRequestKeyAndFlags}. */
export interface RequestKeyAndFlags<Flag extends string> {
  /** The `Key` object. */
  key: JsonObject | undefined;
  /** Each flag asked for: its value, or its default when absent. */
  flags: Record<Flag, boolean>;
}

/**
 * Reads the `Key` of a Request, which the converter requires on every Request (§4A.1), and the boolean
 * `flags` (name and default, such as `["Streaming", true]`) in the order given: the first bad key is the one
 * the Error names (§2.11).
 */
export function readRequestKeyAndFlags<Flag extends string>(
  message: JsonObject,
  id: number,
  flags: readonly (readonly [Flag, boolean])[],
): RequestKeyAndFlags<Flag> | ConverterFailure {
  if (message.Key === undefined) return missingKey("Key");
  const key = readObject(message.Key, "Key", id);
  if (key instanceof ConverterFailure) return key;
  const values = {} as Record<Flag, boolean>;
  for (const [flag, fallback] of flags) {
    const value = readBoolean(message[flag], flag, fallback, id);
    if (value instanceof ConverterFailure) return value;
    values[flag] = value;
  }
  return { key, flags: values };
}
