/**
 * Turns command-line and file text into field values: numbers, quoted strings, `null` (blank), ISO
 * dates and times, and the Real specials "Inf", "-Inf", "NaN". Anything else is a plain string.
 */
import type { FieldValue, Fields } from "../index.js";

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Parses one value as typed on a command line or in a CSV cell.
 * - `123`, `-4.5` → number; `null` → null (blank); `"text"` or `'text'` → the text without quotes
 *   (use quotes to send digits as a string); everything else, including ISO dates such as `2026-11-25`,
 *   times such as `10:15:00` and `Inf`/`-Inf`/`NaN`, → the string as is.
 */
export function parseValue(raw: string): FieldValue {
  const text = raw.trim();
  if (text === "null") return null;
  if (NUMBER.test(text)) return Number(text);
  if (text.length >= 2 && (text.startsWith('"') || text.startsWith("'")) && text.endsWith(text[0] ?? "")) {
    return text.slice(1, -1);
  }
  return text;
}

/** Whether a field name is a plausible dictionary acronym (letters, digits, underscores). */
export function isFieldName(name: string): boolean {
  return FIELD_NAME.test(name);
}

/**
 * Parses `--field NAME=VALUE` arguments into a field map.
 * @throws Error with a precise message for a missing `=`, a bad name or a repeated field.
 */
export function parseFieldArguments(pairs: readonly string[]): Fields {
  const fields: Fields = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--field '${pair}' must look like NAME=VALUE, e.g. BID=451.55`);
    const name = pair.slice(0, eq).trim();
    if (!isFieldName(name)) throw new Error(`--field '${pair}': '${name}' is not a field name (letters, digits, _)`);
    if (Object.hasOwn(fields, name)) throw new Error(`--field ${name} is given twice`);
    fields[name] = parseValue(pair.slice(eq + 1));
  }
  return fields;
}
