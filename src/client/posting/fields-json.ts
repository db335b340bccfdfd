/**
 * A post's fields validated and written as JSON in one pass (§2.12), for the hot path of `contribute()`:
 * `JSON.stringify` after a separate validation loop costs about twice as much for the usual post (a few
 * numbers and plain ASCII strings). The text is exactly what `JSON.stringify(normalizeFields(fields, memo.names))` gives;
 * anything the pass does not handle itself — a Date to convert, a value or name to reject, an inherited
 * `toJSON`, a non-object — goes through that very expression, so errors and conversions stay the same.
 */
import type { FieldsInput } from "./field-validation.js";
import { normalizeFields } from "./field-validation.js";

/** Field acronyms (as in field-validation.ts): letters, digits and underscores, 1–64 characters. */
const FIELD_NAME = /^[A-Za-z0-9_]{1,64}$/;
/** Strings JSON writes verbatim between quotes: printable ASCII without `"` and `\`. */
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const KEY_JSON_LIMIT = 10_000;

/** What {@link fieldsJson} remembers between calls; one per post pipeline, so contributors share nothing. */
export class FieldsJsonMemo {
  /** Valid field name → its JSON key after `{` and after `,`. Bounded: cleared when it reaches the limit. */
  readonly keys = new Map<string, readonly [first: string, next: string]>();
  /** Names `normalizeFields` has checked (field-validation.ts). */
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
