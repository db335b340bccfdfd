/** Validation before sending (§2.12): bad values fail with ValidationError and nothing is sent. */
import { describe, expect, test } from "vitest";
import {
  normalizeFields,
  toRccDate,
  toRccDateTime,
  toRccTime,
  validateRic,
} from "../../src/client/posting/post-fields.js";
import { ValidationError } from "../../src/client/errors.js";

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error("expected a ValidationError");
}

describe("validateRic", () => {
  test("accepts ordinary RICs", () => {
    expect(validateRic("TRCCTEST01")).toBe("TRCCTEST01");
    expect(validateRic("EUR=")).toBe("EUR=");
    expect(validateRic("0#.FTSE")).toBe("0#.FTSE");
  });

  test.each([
    ["an empty string", ""],
    ["surrounding whitespace", " TRCC "],
    ["a control character", "TR\nCC"],
    ["a non-string", 42],
    ["an over-long name", "R".repeat(256)],
  ])("rejects %s", (_label, ric) => {
    expect(validationError(() => validateRic(ric)).code).toBe("RCC_VALIDATION");
  });

  test("still rejects a bad RIC right after a valid one was remembered", () => {
    expect(validateRic("TRCCTEST01")).toBe("TRCCTEST01");
    expect(validateRic("TRCCTEST01")).toBe("TRCCTEST01");
    expect(validationError(() => validateRic(" TRCCTEST01")).code).toBe("RCC_VALIDATION");
    expect(validationError(() => validateRic(undefined)).code).toBe("RCC_VALIDATION");
    expect(validateRic("EUR=")).toBe("EUR=");
  });
});

describe("normalizeFields", () => {
  test("accepts finite numbers, strings, the special Real strings and null (blank)", () => {
    const fields = {
      BID: 451.55,
      ASK: -0.5,
      BIDSIZE: 0,
      DSPLY_NAME: "Hello",
      TRDPRC_1: "Inf",
      LOW_1: "-Inf",
      HIGH_1: "NaN",
      ACVOL_1: null,
    };
    expect(normalizeFields(fields)).toEqual(fields);
  });

  test("converts a Date to the UTC DateTime string without zone suffix (documented decision)", () => {
    const date = new Date(Date.UTC(2024, 10, 5, 9, 8, 7, 654));
    expect(normalizeFields({ TIMESTAMP: date })).toEqual({ TIMESTAMP: "2024-11-05T09:08:07.654" });
    expect(toRccDateTime(date)).toBe("2024-11-05T09:08:07.654");
    expect(toRccDate(date)).toBe("2024-11-05");
    expect(toRccTime(date)).toBe("09:08:07.654");
  });

  test("copies nothing when no value needs converting, and never changes the caller's object", () => {
    const plain = { BID: 1, DSPLY_NAME: "x" };
    expect(normalizeFields(plain)).toBe(plain);
    const date = new Date(0);
    const withDate = { BID: 1, TIMESTAMP: date };
    expect(normalizeFields(withDate)).toEqual({ BID: 1, TIMESTAMP: "1970-01-01T00:00:00.000" });
    expect(withDate.TIMESTAMP).toBe(date);
  });

  test.each([
    ["NaN as a number", { BID: Number.NaN }, "BID"],
    ["Infinity as a number", { BID: Number.POSITIVE_INFINITY }, "BID"],
    ["a boolean", { FLAG: true }, "FLAG"],
    ["undefined", { BID: undefined }, "BID"],
    ["an object", { BID: { value: 1 } }, "BID"],
    ["an array", { BID: [1] }, "BID"],
    ["an invalid Date", { DATE: new Date("nope") }, "DATE"],
    ["an empty field name", { "": 1 }, ""],
    ["a name with spaces", { "BID PRICE": 1 }, "BID PRICE"],
    ["a name with punctuation", { "BID-1": 1 }, "BID-1"],
  ])("rejects %s and names the field", (_label, fields, field) => {
    expect(validationError(() => normalizeFields(fields)).field).toBe(field);
  });

  test("checks only own fields, in the order JSON.stringify writes them", () => {
    const inherited = Object.create({ "NOT A FIELD": true }) as Record<string, unknown>;
    inherited.BID = 1;
    inherited.TIMESTAMP = new Date(0);
    Object.defineProperty(inherited, "HIDDEN", { value: true, enumerable: false });
    const normalized = normalizeFields(inherited);
    expect(Object.keys(normalized)).toEqual(["BID", "TIMESTAMP"]);
    expect(JSON.stringify(normalized)).toBe('{"BID":1,"TIMESTAMP":"1970-01-01T00:00:00.000"}');
    expect(validationError(() => normalizeFields(Object.create({ BID: 1 }))).message).toMatch(/at least one field/);
  });

  test("rejects an empty field set and non-object fields", () => {
    expect(validationError(() => normalizeFields({})).message).toMatch(/at least one field/);
    validationError(() => normalizeFields(null));
    validationError(() => normalizeFields([1, 2]));
    validationError(() => normalizeFields("BID=1"));
  });
});
