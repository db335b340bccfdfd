import { describe, expect, it } from "vitest";
import { ConverterFailure } from "../../src/simulator/rcc/converter-errors.js";
import { readBoolean, readDomain, readStreamId, readType, readUInt } from "../../src/simulator/rcc/message-keys.js";

const textOf = (value: unknown) => (value instanceof ConverterFailure ? value.text : value);

describe("message keys", () => {
  it("reads Type as a name or an RWF number, defaulting to Request (§2.3, §4A.7)", () => {
    expect(readType(undefined, 1)).toBe("Request");
    expect(readType("Post", 1)).toBe("Post");
    expect(readType(8, 1)).toBe("Post");
    expect(readType("Ping", 1)).toBe("Ping");
    expect(textOf(readType("ExtraInfo", 1))).toBe("JSON Unexpected Value. Received 'ExtraInfo' for key 'Type'");
    expect(textOf(readType(["Post"], 1))).toBe(
      "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'Type' Received 'ARRAY'",
    );
  });

  it("reads Domain by name or number, passing unknown numbers through", () => {
    expect(readDomain(undefined, 1)).toBe("MarketPrice");
    expect(readDomain(1, 1)).toBe("Login");
    expect(readDomain("Login", 1)).toBe("Login");
    expect(readDomain(200, 1)).toBe(200);
    expect(readDomain("Weather", 1)).toBeInstanceOf(ConverterFailure);
  });

  it("reads stream ids as int32 numbers, reporting failures on ID 0", () => {
    expect(readStreamId(1)).toBe(1);
    expect(readStreamId(-1)).toBe(-1);
    const failure = readStreamId("1");
    expect(failure).toBeInstanceOf(ConverterFailure);
    expect((failure as ConverterFailure).id).toBe(0);
    expect(readStreamId(1.5)).toBeInstanceOf(ConverterFailure);
    expect(readStreamId(2 ** 31)).toBeInstanceOf(ConverterFailure);
  });

  it("reads booleans and unsigned integers strictly", () => {
    expect(readBoolean(undefined, "Ack", false, 1)).toBe(false);
    expect(readBoolean(true, "Ack", false, 1)).toBe(true);
    expect(textOf(readBoolean("true", "Ack", false, 1))).toContain(
      "Expected 'PRIMITIVE' for key 'Ack' Received 'STRING'",
    );
    expect(textOf(readBoolean(1, "Ack", false, 1))).toBe("JSON Unexpected Value. Received '1' for key 'Ack'");
    expect(readUInt(17, "PostID", 1)).toBe(17);
    expect(readUInt(undefined, "PostID", 1)).toBeUndefined();
    expect(readUInt(-1, "PostID", 1)).toBeInstanceOf(ConverterFailure);
    expect(readUInt(2 ** 32, "PostID", 1)).toBeInstanceOf(ConverterFailure);
  });
});
