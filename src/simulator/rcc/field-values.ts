/**
 * Validation of one field value against its {@link FieldType} (§2.12, checklist items 23 and 28).
 *
 * Two kinds of problem, because a real server reports them at two different layers:
 * - the JSON token class is wrong for the type (a string for a Real, a number for a Date): the JSON
 *   converter fails and the client gets an `Error` message (§2.11);
 * - the token class is right but the value is unusable (out of range, too long, not a date): the post
 *   reaches the contribution system, which Naks it `InvalidContent` (§2.12, [INF]).
 */
import type { FieldDefinition } from "../../protocol/field-table.js";
import { jsonTokenType, type JsonTokenType } from "./converter-errors.js";

/** Why a value does not fit its field. */
export type FieldProblem =
  | { kind: "token-type"; expected: JsonTokenType; received: JsonTokenType }
  | { kind: "unexpected-value"; received: string }
  | { kind: "invalid-content"; reason: string };

/** RWF Real64 keeps a 64-bit mantissa; larger magnitudes cannot be encoded. */
const REAL_LIMIT = 2 ** 63;
const UINT_LIMIT = 2 ** 64;
const ENUM_LIMIT = 65_535;
/** Strings a Real accepts instead of a number (§2.12). */
const REAL_SPECIALS: ReadonlySet<string> = new Set(["Inf", "-Inf", "NaN"]);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
/** HH:MM, HH:MM:SS, HH:MM:SS.f{1,9}, or the older HH:MM:SS:mmm[:uuu[:nnn]] form (§2.12). */
const TIME_PATTERN = /^([01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:\.\d{1,9}|:\d{3}(?::\d{3}(?::\d{3})?)?)?)?$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// eslint-disable-next-line no-control-regex -- ASCII_STRING allows every 7-bit code
const ASCII_PATTERN = /^[\x00-\x7F]*$/;

const invalid = (reason: string): FieldProblem => ({ kind: "invalid-content", reason });

/**
 * Checks `value` (as parsed from JSON) against `definition`.
 * @returns undefined when the value is acceptable; `null` (blank) is always acceptable.
 */
export function checkFieldValue(definition: FieldDefinition, value: unknown): FieldProblem | undefined {
  if (value === null) return undefined;
  switch (definition.type) {
    case "real":
    case "int":
    case "uint":
    case "enum":
      return checkNumeric(definition, value);
    case "date":
    case "time":
    case "datetime":
    case "rmtes":
    case "ascii":
    case "buffer":
      return typeof value === "string"
        ? checkText(definition, value)
        : { kind: "token-type", expected: "STRING", received: jsonTokenType(value) };
  }
}

function checkNumeric(definition: FieldDefinition, value: unknown): FieldProblem | undefined {
  if (typeof value === "number") {
    // JSON.parse turns 1e999 into Infinity: well-formed JSON, unusable value.
    if (!Number.isFinite(value)) return invalid("number out of range");
    const type = definition.type;
    if (type === "real") return Math.abs(value) < REAL_LIMIT ? undefined : invalid("number out of range for a Real");
    if (type === "int") {
      if (!Number.isInteger(value)) return invalid(`${value} is not an integer`);
      return Math.abs(value) < REAL_LIMIT ? undefined : invalid("number out of range for an Int");
    }
    if (type === "uint") {
      if (!Number.isInteger(value) || value < 0) return invalid(`${value} is not an unsigned integer`);
      return value < UINT_LIMIT ? undefined : invalid("number out of range for a UInt");
    }
    return Number.isInteger(value) && value >= 0 && value <= ENUM_LIMIT
      ? undefined
      : invalid(`${value} is not an enumeration value (0-${ENUM_LIMIT})`);
  }
  if (typeof value === "string" && definition.type === "real" && REAL_SPECIALS.has(value)) return undefined;
  if (typeof value === "boolean") return { kind: "unexpected-value", received: String(value) };
  return { kind: "token-type", expected: "PRIMITIVE", received: jsonTokenType(value) };
}

function checkText(definition: FieldDefinition, value: string): FieldProblem | undefined {
  const type = definition.type;
  if (type === "date") return isValidDate(value) ? undefined : invalid(`'${value}' is not a date (YYYY-MM-DD)`);
  if (type === "time")
    return TIME_PATTERN.test(value) ? undefined : invalid(`'${value}' is not a time (HH:MM:SS[.fff])`);
  if (type === "datetime") {
    return isValidDateTime(value) ? undefined : invalid(`'${value}' is not a date-time (YYYY-MM-DDTHH:MM:SS[.fff])`);
  }
  if (type === "buffer") {
    return BASE64_PATTERN.test(value) ? checkLength(definition, value) : invalid("buffer is not valid base64");
  }
  if (type === "ascii") {
    return ASCII_PATTERN.test(value) ? checkLength(definition, value) : invalid("non-ASCII character in ASCII field");
  }
  return checkLength(definition, value);
}

function checkLength(definition: FieldDefinition, value: string): FieldProblem | undefined {
  if (definition.maxLength === undefined || value.length <= definition.maxLength) return undefined;
  return invalid(`${value.length} characters, at most ${definition.maxLength} allowed`);
}

function isValidDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (match === null) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month - 1];
  return daysInMonth !== undefined && day <= daysInMonth;
}

function isValidDateTime(value: string): boolean {
  const separator = value.indexOf("T");
  if (separator !== 10) return false;
  const timePart = value.endsWith("Z") ? value.slice(11, -1) : value.slice(11);
  return isValidDate(value.slice(0, 10)) && TIME_PATTERN.test(timePart);
}
