/**
 * Parsing an inbound frame (§2.2: one message or a JSON array of them), and reading the Ack fields that
 * settle posts (`AckID`, `NakCode`) strictly: a value the server should not send settles nothing. The frames a contributor receives
 * most are packed Acks (§2.9), one per post, written by the server as `{"Type":"Ack","ID":1,"AckID":n}`;
 * those are read by a scan that builds each Ack directly, which is several times cheaper than the generic
 * `JSON.parse`. Anything else — a Nak's `NakCode`/`Text`, whitespace, another key order, another type,
 * a number JSON would refuse — falls back to `JSON.parse` of the whole frame, so the result (and a
 * parse error) is always exactly what {@link parseFrame} gives.
 */
import { MESSAGE_TYPES, NAK_CODES, nameOf } from "./codes.js";
import { parseFrame } from "./messages.js";

const ACK_HEAD = '{"Type":"Ack","ID":';
const ACK_ID = ',"AckID":';
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;
/** Longest integer the scan reads: 15 digits stay exact in a double, as JSON.parse would give them. */
const MAX_DIGITS = 15;

/** An Ack as the fast path builds it: the same properties, in the same order, as `JSON.parse` gives. */
interface ScannedAck {
  Type: "Ack";
  ID: number;
  AckID: number;
}

/**
 * The messages of an inbound frame: an array frame's elements, or the single message.
 * @throws SyntaxError when the frame is not JSON (as `JSON.parse`).
 */
export function parseInboundFrame(text: string): unknown[] {
  return scanAckFrame(text) ?? parseFrame(text);
}

/**
 * Reads a frame made only of plain Acks in the server's compact form. @returns undefined as soon as the
 * text is anything else (the caller then parses it generically).
 */
export function scanAckFrame(text: string): ScannedAck[] | undefined {
  const end = text.length;
  const packed = text.charCodeAt(0) === OPEN_BRACKET;
  let at = packed ? 1 : 0;
  const acks: ScannedAck[] = [];
  for (;;) {
    if (!text.startsWith(ACK_HEAD, at)) return undefined;
    at += ACK_HEAD.length;
    const idEnd = integerEnd(text, at);
    if (idEnd < 0) return undefined;
    const id = integerValue;
    at = idEnd;
    if (!text.startsWith(ACK_ID, at)) return undefined;
    at += ACK_ID.length;
    const ackIdEnd = integerEnd(text, at);
    if (ackIdEnd < 0 || text.charCodeAt(ackIdEnd) !== CLOSE_BRACE) return undefined;
    acks.push({ Type: "Ack", ID: id, AckID: integerValue });
    at = ackIdEnd + 1;
    if (!packed) return at === end ? acks : undefined;
    const next = text.charCodeAt(at);
    at += 1;
    if (next === COMMA) continue;
    return next === CLOSE_BRACKET && at === end ? acks : undefined;
  }
}

/** The value of the integer {@link integerEnd} last read (no substring, no `Number()` per Ack). */
let integerValue = 0;

/**
 * End of the non-negative JSON integer starting at `start`, its value left in {@link integerValue}: digits
 * without a leading zero (bar "0" itself), at most {@link MAX_DIGITS}. @returns -1 when there is none.
 */
function integerEnd(text: string, start: number): number {
  let at = start;
  let value = 0;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code < ZERO || code > NINE) break;
    value = value * 10 + (code - ZERO);
    at += 1;
  }
  integerValue = value;
  const digits = at - start;
  if (digits === 0 || digits > MAX_DIGITS) return -1;
  if (digits > 1 && text.charCodeAt(start) === ZERO) return -1;
  // "1.5" or "1e3" continue a JSON number: not an integer this scan understands.
  const after = text.charCodeAt(at);
  if (after === 0x2e || after === 0x65 || after === 0x45) return -1;
  return at;
}

/** An AckID the reference servers write as a string: decimal digits only (no sign, space, point or exponent). */
const DIGITS_ONLY = /^[0-9]+$/;

/**
 * The PostID an Ack or Nak's `AckID` names (§2.9: an int equal to the post's PostID), or undefined when it is
 * malformed: a safe non-negative JSON integer, or — as the reference servers also send it — a string of
 * decimal digits. Nothing else is coerced: `true`, `"0x1"`, `[1]`, `" 1"`, `"+1"`, `"1e0"`, `""`, `null`,
 * `1.5` or `-1` would all read as some PostID under `Number()`. (A JSON number written `1.0` or `1e0` parses
 * to the integer 1 and is taken as such: JSON does not tell them apart.) Hot path: one call per Ack.
 */
export function readAckId(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string" || !DIGITS_ONLY.test(value)) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : undefined;
}

/** What an Ack's `NakCode` says: a positive Ack, a Nak with a code, or nothing usable. */
export type NakCodeReading = { kind: "ack" } | { kind: "nak"; code: string } | { kind: "malformed" };

const ACK_READING: NakCodeReading = Object.freeze({ kind: "ack" });
const MALFORMED_READING: NakCodeReading = Object.freeze({ kind: "malformed" });

/**
 * Reads an Ack's `NakCode` (§2.9, §4A.7: a name or its integer). Absent, null, `"None"` or 0: a positive
 * Ack. A known number: its name. Any other non-empty string, kept as sent (a code newer than our table still
 * reads as itself; whoever shows it escapes it), or another positive integer, as its digits: a Nak with that
 * code. Anything else — a boolean, object, array, fraction, negative number, empty string — is malformed:
 * the caller decides (the pipeline rejects the post as a Nak, since the server did not say it was accepted).
 */
export function readNakCode(value: unknown): NakCodeReading {
  if (value === undefined || value === null || value === "None" || value === 0) return ACK_READING;
  if (typeof value === "string") return value === "" ? MALFORMED_READING : { kind: "nak", code: value };
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) {
    return { kind: "nak", code: nameOf(NAK_CODES, value) ?? String(value) };
  }
  return MALFORMED_READING;
}

/** A decoded JSON message from the server. */
export type InboundMessage = Record<string, unknown>;

/** The message's `Type` as a name; numbers are RWF classes (§2.3). */
export function messageType(message: InboundMessage): string | undefined {
  const type = message.Type;
  if (typeof type === "string") return type;
  if (typeof type === "number") return nameOf(MESSAGE_TYPES, type);
  return undefined;
}
