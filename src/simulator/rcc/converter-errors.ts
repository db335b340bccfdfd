/**
 * Builders of the converter `Error` messages of §2.11 (checklist item 27). The texts keep the stable
 * prefixes of RTSDK's JSON converter (`jsonToRwfSimple.C`) so clients written against a real server
 * recognise them. The connection stays open after every one of them.
 */
import { redactSecrets } from "../../util/logger.js";

/** jsmn token classes, as the converter names them in Token Type errors. */
export type JsonTokenType = "STRING" | "PRIMITIVE" | "OBJECT" | "ARRAY";

/** The jsmn class of a parsed JSON value (numbers, booleans and null are all PRIMITIVE). */
export function jsonTokenType(value: unknown): JsonTokenType {
  if (typeof value === "string") return "STRING";
  if (Array.isArray(value)) return "ARRAY";
  if (typeof value === "object" && value !== null) return "OBJECT";
  return "PRIMITIVE";
}

/**
 * A conversion failure: what to put in the Error message. Not an `Error` subclass on purpose: failures
 * are returned, not thrown, and creating one captures no stack, so a flood of bad input stays cheap.
 */
export class ConverterFailure {
  /**
   * @param text the Error's `Text`.
   * @param id the Error's `ID`: the offending message's stream id, or 0 when unknown (§2.11).
   * @param offset character offset for `Debug.Offset`, when known.
   */
  constructor(
    readonly text: string,
    readonly id: number,
    readonly offset?: number,
  ) {}
}

/** `"ID":"2"` and friends: wrong JSON token class for a key. */
export function tokenTypeError(key: string, expected: JsonTokenType, received: unknown, id: number): ConverterFailure {
  return new ConverterFailure(
    `JSON Converter Token Type error: Expected '${expected}' for key '${key}' Received '${jsonTokenType(received)}'`,
    id,
  );
}

/** Unknown enumeration value or unknown service name. */
export function unexpectedValue(value: unknown, key: string, id: number): ConverterFailure {
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  return new ConverterFailure(`JSON Unexpected Value. Received '${shown}' for key '${key}'`, id);
}

/** A required key is absent; the converter reports these with ID 0 (§2.11 table). */
export function missingKey(key: string, parent?: string): ConverterFailure {
  return new ConverterFailure(`JSON Missing required key '${key}'${parent === undefined ? "" : ` for '${parent}'`}`, 0);
}

/** A field acronym not in the dictionary (§2.12, §2.11). */
export function unexpectedFid(field: string, id: number): ConverterFailure {
  return new ConverterFailure(`JSON Unexpected FID. Received '${field}' for key 'Fields'`, id);
}

/** jsmn error numbers: -2 invalid character, -3 incomplete input. */
const JSMN_ERROR_INVAL = -2;
const JSMN_ERROR_PART = -3;

/**
 * The frame is not JSON (or is a binary frame, which tr_json2 never uses): `JSON parser error`, ID 0.
 * @param detail JavaScript's parser message, used to pick the jsmn code and the offset.
 * @param inputLength length of the text that failed; a failure at its end means the input was cut short.
 */
export function parserError(detail: string, inputLength = Number.POSITIVE_INFINITY): ConverterFailure {
  const position = /position (\d+)/.exec(detail)?.[1];
  const offset = position === undefined ? undefined : Number(position);
  const incomplete = /end of JSON input|Unterminated/i.test(detail) || (offset !== undefined && offset >= inputLength);
  const code = incomplete ? JSMN_ERROR_PART : JSMN_ERROR_INVAL;
  const reason = incomplete ? "incomplete JSON" : "invalid character";
  return new ConverterFailure(
    `JSON parser error: ${code} (${reason}${offset === undefined ? "" : ` at offset ${offset}`})`,
    0,
    offset,
  );
}

/** Binary frames: tr_json2 carries JSON in text frames only, so the bytes are treated as unparseable. */
export function binaryFrameError(): ConverterFailure {
  return new ConverterFailure(
    `JSON parser error: ${JSMN_ERROR_INVAL} (binary frame; tr_json2 carries JSON in text frames)`,
    0,
  );
}

/** An array element that is not a JSON object. */
export function invalidContainer(): ConverterFailure {
  return new ConverterFailure("JSON invalid container type.", 0);
}

/** A message class a contributor may not send to this server (Refresh, Status, Update, Ack, Generic, Error). */
export function unsupportedMessageType(type: string, id: number): ConverterFailure {
  return new ConverterFailure(`Unsupported Message Type. Received '${type}'`, id);
}

/** The §2.11 Error message for a failure; `offending` is the message as received. */
export interface ErrorReply {
  Type: "Error";
  ID: number;
  Text: string;
  Debug: { File: string; Line: number; Offset?: number; Message: string };
}

/**
 * Builds the Error message. `Debug.Message` echoes the offending JSON with secrets masked: a malformed
 * Login would otherwise send its access token back over the wire.
 */
export function buildError(failure: ConverterFailure, offending: string): ErrorReply {
  const debug: ErrorReply["Debug"] = {
    File: "Converter/jsonToRwfSimple.C",
    Line: 0,
    Message: redactSecrets(offending),
  };
  if (failure.offset !== undefined) debug.Offset = failure.offset;
  return { Type: "Error", ID: failure.id, Text: failure.text, Debug: debug };
}

/**
 * A request other than Login (or Ping/Pong/Close) before the Login (item 12). Not a converter text: RCC's
 * answer is undocumented, and an Error keeps the connection open so the client can still log in.
 */
export function loginRequired(type: string, id: number): ConverterFailure {
  return new ConverterFailure(`Login required: received a ${type} before a Login request (Domain Login)`, id);
}
