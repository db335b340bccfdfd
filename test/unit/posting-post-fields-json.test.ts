/** One-pass field validation and JSON (§2.12): always the text, or the error, of the two-pass original. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type FieldsInput, normalizeFields } from "../../src/client/posting/post-fields.js";
import { fieldsJson } from "../../src/client/posting/post-fields.js";

/** The text `JSON.stringify(normalizeFields(fields))` gives, or the error it throws. */
function twoPass(fields: unknown): { text?: string; error?: unknown } {
  try {
    return { text: JSON.stringify(normalizeFields(fields)) };
  } catch (error) {
    return { error };
  }
}

function onePass(fields: unknown): { text?: string; error?: unknown } {
  try {
    return { text: fieldsJson(fields as FieldsInput) };
  } catch (error) {
    return { error };
  }
}

const names = fc.oneof(
  fc.constantFrom("BID", "ASK", "DSPLY_NAME", "PRIMACT_1", "123", "0", "toJSON", "constructor"),
  fc.string({ maxLength: 6 }),
);
const values = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 1e-7, 451.55),
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom("Hello RCC", 'a"b', "a\\b", "tab\t", "\u007f", "é", "\ud800", "Inf", "NaN", ""),
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.date(),
  fc.constant([1]),
  fc.constant({ value: 1 }),
);

describe("fieldsJson", () => {
  test("§2.12: writes exactly JSON.stringify(normalizeFields(fields)), or throws the same ValidationError", () => {
    fc.assert(
      fc.property(fc.dictionary(names, values, { maxKeys: 6 }), (fields) => {
        const expected = twoPass(fields);
        const actual = onePass(fields);
        expect(actual.text).toBe(expected.text);
        if (expected.error !== undefined) expect(actual.error).toEqual(expected.error);
      }),
      { numRuns: 2000 },
    );
  });

  test("writes the usual post as JSON.stringify does, repeatedly and for reordered keys", () => {
    const post = { BID: 451.55, ASK: -0, DSPLY_NAME: "Hello RCC", PRIMACT_1: 100, BLANK: null, "2": 5 };
    expect(fieldsJson(post)).toBe(JSON.stringify(post));
    expect(fieldsJson(post)).toBe('{"2":5,"BID":451.55,"ASK":0,"DSPLY_NAME":"Hello RCC","PRIMACT_1":100,"BLANK":null}');
    const reordered = { DSPLY_NAME: "é\n", BID: 1 };
    expect(fieldsJson(reordered)).toBe(JSON.stringify(reordered));
  });

  test("leaves out inherited and non-enumerable properties, and defers to an inherited toJSON", () => {
    const inherited = Object.create({ ASK: 2 }) as Record<string, unknown>;
    inherited.BID = 1;
    Object.defineProperty(inherited, "HIDDEN", { value: 3, enumerable: false });
    expect(fieldsJson(inherited as FieldsInput)).toBe('{"BID":1}');
    const custom = Object.create({ toJSON: () => ({ OTHER: 1 }) }) as Record<string, unknown>;
    custom.BID = 1;
    expect(fieldsJson(custom as FieldsInput)).toBe(twoPass(custom).text);
  });

  test("rejects what normalizeFields rejects, naming the first offending field", () => {
    for (const fields of [null, [1], "BID=1", {}, { BID: 1, ASK: Number.NaN, LOW: true }, { "BID PRICE": 1 }]) {
      const expected = twoPass(fields).error;
      expect(expected).toBeDefined();
      expect(onePass(fields).error).toEqual(expected);
    }
  });
});
