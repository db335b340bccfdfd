import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { checkFieldValue } from "../../src/simulator/rcc/field-values.js";
import type { FieldDefinition } from "../../src/protocol/field-table.js";

const REAL: FieldDefinition = { fid: 22, type: "real" };
const UINT: FieldDefinition = { fid: 1, type: "uint" };
const INT: FieldDefinition = { fid: 9000, type: "int" };
const ENUM: FieldDefinition = { fid: 15, type: "enum" };
const DATE: FieldDefinition = { fid: 17, type: "date" };
const TIME: FieldDefinition = { fid: 5, type: "time" };
const DATETIME: FieldDefinition = { fid: 9001, type: "datetime" };
const RMTES: FieldDefinition = { fid: 3, type: "rmtes", maxLength: 16 };
const ASCII: FieldDefinition = { fid: 967, type: "ascii", maxLength: 21 };
const BUFFER: FieldDefinition = { fid: 9002, type: "buffer", maxLength: 8 };

const ok = (definition: FieldDefinition, value: unknown) => expect(checkFieldValue(definition, value)).toBeUndefined();
const kind = (definition: FieldDefinition, value: unknown) => checkFieldValue(definition, value)?.kind;

describe("checkFieldValue", () => {
  it("accepts null as a blank for every type (§2.12)", () => {
    for (const definition of [REAL, UINT, INT, ENUM, DATE, TIME, DATETIME, RMTES, ASCII, BUFFER]) ok(definition, null);
  });

  it("takes numbers and Inf/-Inf/NaN for reals, and rejects other strings as a token-type error", () => {
    for (const value of [451.57, -0.000001, 0, 100, "Inf", "-Inf", "NaN"]) ok(REAL, value);
    expect(checkFieldValue(REAL, "451.57")).toEqual({ kind: "token-type", expected: "PRIMITIVE", received: "STRING" });
    expect(checkFieldValue(REAL, { Data: 1 })).toEqual({
      kind: "token-type",
      expected: "PRIMITIVE",
      received: "OBJECT",
    });
    expect(checkFieldValue(REAL, [1])).toEqual({ kind: "token-type", expected: "PRIMITIVE", received: "ARRAY" });
    expect(checkFieldValue(REAL, true)).toEqual({ kind: "unexpected-value", received: "true" });
    expect(kind(REAL, Number.POSITIVE_INFINITY)).toBe("invalid-content");
    expect(kind(REAL, 2 ** 64)).toBe("invalid-content");
  });

  it("requires whole numbers in range for Int, UInt and Enum", () => {
    ok(INT, -42);
    ok(UINT, 42);
    ok(ENUM, 840);
    expect(kind(INT, 1.5)).toBe("invalid-content");
    expect(kind(UINT, -1)).toBe("invalid-content");
    expect(kind(ENUM, 65_536)).toBe("invalid-content");
    expect(checkFieldValue(ENUM, "USD")).toEqual({ kind: "token-type", expected: "PRIMITIVE", received: "STRING" });
  });

  it("validates ISO dates, times and date-times, and wants them as strings", () => {
    for (const value of ["2024-02-29", "2000-02-29", "1999-12-31"]) ok(DATE, value);
    for (const value of ["2023-02-29", "1900-02-29", "2024-13-01", "2024-04-31", "24-01-01", "2024-1-1"]) {
      expect(kind(DATE, value), value).toBe("invalid-content");
    }
    for (const value of ["10:15", "10:15:00", "23:59:60", "10:15:00.1", "10:15:00.123456789", "10:15:00:123:456:789"]) {
      ok(TIME, value);
    }
    for (const value of ["24:00:00", "10:60:00", "10:15:00.1234567890", "1:15:00", "10:15:00Z"]) {
      expect(kind(TIME, value), value).toBe("invalid-content");
    }
    ok(DATETIME, "2024-02-29T10:15:00.123");
    ok(DATETIME, "2024-02-29T10:15:00Z");
    expect(kind(DATETIME, "2024-02-29 10:15:00")).toBe("invalid-content");
    expect(checkFieldValue(DATE, 20240229)).toEqual({ kind: "token-type", expected: "STRING", received: "PRIMITIVE" });
  });

  it("limits string lengths, keeps ASCII fields ASCII and buffers base64", () => {
    ok(RMTES, "sixteen chars!!!");
    expect(checkFieldValue(RMTES, "seventeen chars!!")).toEqual({
      kind: "invalid-content",
      reason: "17 characters, at most 16 allowed",
    });
    ok(RMTES, "");
    ok(ASCII, "BKGD.REF");
    expect(kind(ASCII, "café")).toBe("invalid-content");
    ok(BUFFER, "AQID");
    expect(kind(BUFFER, "not base64!")).toBe("invalid-content");
    expect(kind(BUFFER, "AQIDBAUGBwg=")).toBe("invalid-content");
  });

  test.prop([fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 })])(
    "accepts every finite real a contributor can send",
    (value) => checkFieldValue(REAL, value) === undefined,
  );

  test.prop([
    fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
  ])("accepts every calendar date and time in ISO form", (date) => {
    const iso = date.toISOString();
    return (
      checkFieldValue(DATE, iso.slice(0, 10)) === undefined &&
      checkFieldValue(TIME, iso.slice(11, 23)) === undefined &&
      checkFieldValue(DATETIME, iso) === undefined
    );
  });
});
