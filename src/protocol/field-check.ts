/**
 * Checks values of well-known fields before anything is sent, so that "file row 17 has a non-numeric BID" is
 * reported locally as a row-level error instead of reaching the server and coming back as a content Error.
 * Uses the field table the simulator serves too (field-table.ts) — common RDMFieldDictionary acronyms only;
 * fields it does not know are left to the server. The CLI and the gateway check each post with it.
 */
import type { Fields } from "./messages.js";
import { BUILT_IN_FIELDS } from "./field-table.js";

/** Field types whose JSON form is a number (§2.12). */
const NUMERIC_TYPES: ReadonlySet<string> = new Set(["real", "int", "uint", "enum"]);
/** Strings a Real accepts instead of a number (§2.12). */
const REAL_SPECIALS: ReadonlySet<string> = new Set(["Inf", "-Inf", "NaN"]);

/**
 * Returns a one-line description of the first value that cannot fit its well-known field, e.g.
 * `BID must be a number, got 'abc'`, or undefined when every known field looks right. `null` (blank) always
 * fits. Only the JSON kind is checked (a number for numeric types): ranges and lengths are the server's call.
 */
export function checkKnownFields(fields: Fields): string | undefined {
  for (const name in fields) {
    const definition = Object.hasOwn(BUILT_IN_FIELDS, name) ? BUILT_IN_FIELDS[name] : undefined;
    if (definition === undefined || !NUMERIC_TYPES.has(definition.type)) continue;
    const value = fields[name];
    if (value === null || value === undefined || typeof value === "number") continue;
    if (definition.type === "real" && REAL_SPECIALS.has(value)) continue;
    return `${name} must be a number, got '${value}'`;
  }
  return undefined;
}
