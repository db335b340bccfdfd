/** Reading the Ack fields that settle posts (§2.9): AckID and NakCode, strictly; and the Login rate element. */
import { describe, expect, test } from "vitest";
import { readAckId, readNakCode, scanAckFrame } from "../../src/protocol/inbound-frame.js";
import { MAX_ADVERTISED_RATE, readPingTimeout, readRateLimit } from "../../src/client/connection/login-outcome.js";

describe("readAckId", () => {
  test.each([
    ["a JSON integer", 17, 17],
    ["zero", 0, 0],
    ["the largest safe integer", Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ["a decimal-digit string", "17", 17],
    ["a digit string with leading zeros", "007", 7],
  ])("accepts %s", (_label, value, expected) => {
    expect(readAckId(value)).toBe(expected);
  });

  test.each([
    ["true", true],
    ["false", false],
    ["null", null],
    ["undefined", undefined],
    ["an array", [1]],
    ["an object", { AckID: 1 }],
    ["a hexadecimal string", "0x1"],
    ["a binary string", "0b1"],
    ["an exponent string", "1e0"],
    ["a padded exponent", " ne0 "],
    ["the empty string", ""],
    ["a leading space", " 1"],
    ["a trailing space", "1 "],
    ["a plus sign", "+1"],
    ["a minus sign", "-1"],
    ["a fraction string", "1.0"],
    ["a full-width digit", "\uff11"],
    ["a fraction", 1.5],
    ["a negative integer", -1],
    ["an unsafe integer", 2 ** 53],
    ["an unsafe digit string", "9007199254740993"],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
  ])("refuses %s", (_label, value) => {
    expect(readAckId(value)).toBeUndefined();
  });

  test("the packed-Ack fast path reads only plain integers, and leaves everything else to JSON.parse", () => {
    expect(scanAckFrame('[{"Type":"Ack","ID":1,"AckID":7}]')).toEqual([{ Type: "Ack", ID: 1, AckID: 7 }]);
    for (const ackId of ["true", '"0x1"', "[1]", "-1", "1.5", "1e0", '" 1"', "01"]) {
      expect(scanAckFrame(`[{"Type":"Ack","ID":1,"AckID":${ackId}}]`)).toBeUndefined();
    }
  });
});

describe("readNakCode", () => {
  test.each([
    ["absent", undefined],
    ["null", null],
    ['"None"', "None"],
    ["0", 0],
  ])("reads %s as a positive Ack", (_label, value) => {
    expect(readNakCode(value)).toEqual({ kind: "ack" });
  });

  test.each([
    ["a known name", "SymbolUnknown", "SymbolUnknown"],
    ["a known number", 10, "SymbolUnknown"],
    ["an unknown number", 99, "99"],
    ["an unknown string, kept as sent", "Odd\u001b[2JCode", "Odd\u001b[2JCode"],
  ])("reads %s as a Nak", (_label, value, code) => {
    expect(readNakCode(value)).toEqual({ kind: "nak", code });
  });

  test.each([
    ["true", true],
    ["false", false],
    ["an object", { code: 10 }],
    ["an array", [10]],
    ["a fraction", 1.5],
    ["a negative number", -3],
    ["the empty string", ""],
  ])("reads %s as malformed", (_label, value) => {
    expect(readNakCode(value)).toEqual({ kind: "malformed" });
  });
});

describe("readRateLimit", () => {
  const refresh = (value: unknown) => ({ Key: { Elements: { "TRCE:MaxMessagesPerSecond": value } } });

  test.each([
    ["a plain number", 1000, 1000],
    ["a typed UInt", { Type: "UInt", Data: 300 }, 300],
    ["a decimal string", " 400 ", 400],
  ])("uses %s as advertised", (_label, value, expected) => {
    expect(readRateLimit(refresh(value))).toMatchObject({ value: expected, problem: undefined });
  });

  test.each([
    ["zero", 0],
    ["a negative number", -5],
    ["text", "abc"],
    ["a hexadecimal string", "0x10"],
    ["a boolean", true],
    ["an object", {}],
    ["Infinity as text", "Infinity"],
  ])("ignores %s", (_label, value) => {
    expect(readRateLimit(refresh(value))).toEqual({ value: undefined, problem: "ignored", advertised: value });
  });

  test("clamps a rate beyond any server, and a fraction below one message a second", () => {
    expect(readRateLimit(refresh(1e9))).toMatchObject({ value: MAX_ADVERTISED_RATE, problem: "clamped" });
    expect(readRateLimit(refresh(0.5))).toMatchObject({ value: 1, problem: "clamped" });
  });

  test("an absent element is no problem", () => {
    expect(readRateLimit({ Key: { Elements: {} } })).toEqual({
      value: undefined,
      problem: undefined,
      advertised: undefined,
    });
    expect(readRateLimit({ Key: null })).toEqual({ value: undefined, problem: undefined, advertised: undefined });
  });

  test("an ADS PingTimeout is clamped to between a second and an hour", () => {
    expect(readPingTimeout({ Elements: { PingTimeout: 1e9 } })).toMatchObject({ value: 3600, problem: "clamped" });
    expect(readPingTimeout({ Elements: { PingTimeout: 0.001 } })).toMatchObject({ value: 1, problem: "clamped" });
    expect(readPingTimeout({ Elements: { PingTimeout: 30 } })).toMatchObject({ value: 30, problem: undefined });
  });
});
