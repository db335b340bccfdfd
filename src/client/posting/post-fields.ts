/**
 * A post's RIC and fields, checked before anything is sent so that a bad value fails fast with a
 * {@link ValidationError} instead of a server Error or Nak later (§2.12), and the fields written as JSON in the
 * same pass. Pure, no I/O.
 *
 * Decision on `Date` values: a `Date` becomes the UTC date-time string `"YYYY-MM-DDTHH:MM:SS.sss"` (the
 * DateTime form of §2.12, without a zone suffix). Fields typed DATE or TIME on the server need the
 * `"YYYY-MM-DD"` / `"HH:MM:SS"` string forms: pass those as strings, or use {@link toRccDate} /
 * {@link toRccTime}.
 *
 * The one-pass JSON ({@link fieldsJson}) is for the hot path of `contribute()`: `JSON.stringify` after a separate
 * validation loop costs about twice as much for the usual post (a few numbers and plain ASCII strings). Its
 * text is exactly what `JSON.stringify(normalizeFields(fields, memo.names))` gives; anything the pass does not
 * handle itself — a Date to convert, a value or name to reject, an inherited `toJSON`, a non-object — goes
 * through that very expression, so errors and conversions stay the same.
 */
import type { FieldValue, Fields } from "../../protocol/messages.js";
import { ValidationError } from "../errors.js";

/** A value accepted by `contribute()`: a JSON field value (§2.12) or a `Date` (converted, see above). */
export type FieldInput = FieldValue | Date;

/** The fields argument of `contribute()`: field acronym → value. */
export type FieldsInput = Readonly<Record<string, FieldInput>>;

/** Field acronyms of RDMFieldDictionary: letters, digits and underscores (e.g. `PRIMACT_1`, `DSPLY_NAME`). */
const FIELD_NAME = /^[A-Za-z0-9_]{1,64}$/;
/** Most names a caller's `knownNames` set holds; it is cleared when full, so a stream of new names cannot grow it. */
const KNOWN_NAMES_LIMIT = 10_000;
/** Longest RIC accepted, in characters (RWF key names are at most 255 bytes). */
const MAX_RIC_LENGTH = 255;

/**
 * Checks a RIC: a non-empty string without surrounding whitespace or control characters, ≤ 255 chars.
 * @throws ValidationError otherwise.
 */
export function validateRic(ric: unknown): string {
  if (typeof ric !== "string" || ric.length === 0) throw new ValidationError("RIC must be a non-empty string");
  if (ric.length > MAX_RIC_LENGTH) throw new ValidationError(`RIC longer than ${MAX_RIC_LENGTH} characters`);
  if (ric.trim() !== ric) throw new ValidationError(`RIC ${JSON.stringify(ric)} has leading or trailing whitespace`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
  if (/[\u0000-\u001f\u007f]/.test(ric)) throw new ValidationError("RIC contains control characters");
  return ric;
}

/**
 * Validates fields and returns them as JSON field values: the same object when nothing needed converting
 * (the hot path copies nothing; callers stringify at once), else a copy with Dates converted.
 * Accepted: finite numbers; strings (including "Inf", "-Inf", "NaN" for Reals); `null` (blank); valid Dates.
 * Rejected: non-finite numbers (pass "Inf"/"-Inf"/"NaN" strings instead), booleans, objects, arrays,
 * `undefined`, invalid Dates, names that are not acronyms, and an empty field set.
 * @param knownNames names already checked, which this call adds to (a set look-up is half the cost of the
 *   regex on the hot path); the post pipeline keeps one, so no state is shared between contributors.
 *   @default undefined (every name is checked)
 * @throws ValidationError naming the first offending field.
 */
export function normalizeFields(fields: unknown, knownNames?: Set<string>): Fields {
  if (typeof fields !== "object" || fields === null || Array.isArray(fields) || fields instanceof Date) {
    throw new ValidationError("fields must be an object mapping field names to values");
  }
  const input = fields as Record<string, unknown>;
  let converted: Fields | undefined;
  let count = 0;
  // for…in with an own-property check visits what Object.keys would, in the same order, without
  // allocating the key array on every post.
  for (const name in input) {
    if (!Object.hasOwn(input, name)) continue;
    if (knownNames === undefined || !knownNames.has(name)) {
      if (!FIELD_NAME.test(name)) {
        throw new ValidationError(`field name ${JSON.stringify(name)} is not a field acronym (A-Z, 0-9, _)`, name);
      }
      if (knownNames !== undefined) {
        if (knownNames.size >= KNOWN_NAMES_LIMIT) knownNames.clear();
        knownNames.add(name);
      }
    }
    const value = input[name];
    const normalized = normalizeValue(name, value);
    if (normalized !== value) {
      converted ??= { ...(input as Fields) };
      converted[name] = normalized;
    }
    count += 1;
  }
  if (count === 0) throw new ValidationError("a post needs at least one field");
  return converted ?? (input as Fields);
}

function normalizeValue(name: string, value: unknown): FieldValue {
  if (value === null || typeof value === "string") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
    throw new ValidationError(
      `field ${name}: ${String(value)} is not finite; send the strings "Inf", "-Inf" or "NaN" instead`,
      name,
    );
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ValidationError(`field ${name}: invalid Date`, name);
    return toRccDateTime(value);
  }
  const kind = value === undefined ? "undefined" : Array.isArray(value) ? "an array" : typeof value;
  throw new ValidationError(`field ${name}: ${kind} is not a field value (number, string, null or Date)`, name);
}

/** A Date as the UTC DateTime string `"YYYY-MM-DDTHH:MM:SS.sss"` (§2.12). */
export function toRccDateTime(date: Date): string {
  return date.toISOString().slice(0, 23);
}

/** A Date as the UTC DATE string `"YYYY-MM-DD"` (e.g. for ACTIV_DATE, §2.12). */
export function toRccDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A Date as the UTC TIME string `"HH:MM:SS.sss"` (e.g. for TIMACT, §2.12). */
export function toRccTime(date: Date): string {
  return date.toISOString().slice(11, 23);
}

// The fields as JSON in one pass.

/** Strings JSON writes verbatim between quotes: printable ASCII without `"` and `\`. */
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const KEY_JSON_LIMIT = 10_000;

/** What {@link fieldsJson} remembers between calls; one per post pipeline, so contributors share nothing. */
export class FieldsJsonMemo {
  /** Valid field name → its JSON key after `{` and after `,`. Bounded: cleared when it reaches the limit. */
  readonly keys = new Map<string, readonly [first: string, next: string]>();
  /** Names {@link normalizeFields} has checked. */
  readonly names = new Set<string>();
}

/**
 * `JSON.stringify(normalizeFields(fields, memo.names))`, computed in one pass for fields that need no conversion.
 * @param memo what earlier calls learnt (field names' JSON keys). @default a fresh one (nothing remembered)
 * @throws ValidationError as {@link normalizeFields} does.
 */
export function fieldsJson(input: FieldsInput, memo: FieldsJsonMemo = new FieldsJsonMemo()): string {
  const untyped: unknown = input; // JavaScript callers may pass anything
  if (typeof untyped !== "object" || untyped === null || Array.isArray(untyped) || "toJSON" in untyped) {
    return JSON.stringify(normalizeFields(input, memo.names));
  }
  const keyJson = memo.keys;
  const fields = untyped as Readonly<Record<string, unknown>>;
  let json = "";
  for (const name in fields) {
    if (!Object.hasOwn(fields, name)) continue;
    const keys = keyJson.get(name) ?? rememberKey(keyJson, name);
    if (keys === undefined) return JSON.stringify(normalizeFields(fields, memo.names));
    const value = fields[name];
    let valueJson: string;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return JSON.stringify(normalizeFields(fields, memo.names));
      valueJson = `${value}`; // the same digits as JSON.stringify (Number::toString; -0 is "0" in both)
    } else if (typeof value === "string") {
      valueJson = PLAIN_STRING.test(value) ? `"${value}"` : JSON.stringify(value);
    } else if (value === null) {
      valueJson = "null";
    } else {
      return JSON.stringify(normalizeFields(fields, memo.names)); // a Date to convert, or a value to reject
    }
    json = json === "" ? keys[0] + valueJson : json + keys[1] + valueJson;
  }
  return json === "" ? JSON.stringify(normalizeFields(fields, memo.names)) : `${json}}`;
}

/** The JSON keys of a valid field name, cached; undefined for an invalid one (the caller falls back). */
function rememberKey(
  keyJson: Map<string, readonly [string, string]>,
  name: string,
): readonly [string, string] | undefined {
  if (!FIELD_NAME.test(name)) return undefined;
  if (keyJson.size >= KEY_JSON_LIMIT) keyJson.clear();
  const keys = [`{"${name}":`, `,"${name}":`] as const;
  keyJson.set(name, keys);
  return keys;
}
