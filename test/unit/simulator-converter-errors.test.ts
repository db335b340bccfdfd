import { describe, expect, it } from "vitest";
import {
  buildError,
  jsonTokenType,
  loginRequired,
  missingKey,
  parserError,
  tokenTypeError,
  unexpectedFid,
  unexpectedValue,
} from "../../src/simulator/rcc/converter-errors.js";

function parseFailure(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a parse failure");
}

describe("converter errors", () => {
  it("classifies JSON values as jsmn tokens", () => {
    expect([jsonTokenType("x"), jsonTokenType(1), jsonTokenType(null), jsonTokenType(true)]).toEqual([
      "STRING",
      "PRIMITIVE",
      "PRIMITIVE",
      "PRIMITIVE",
    ]);
    expect([jsonTokenType({}), jsonTokenType([])]).toEqual(["OBJECT", "ARRAY"]);
  });

  it("keeps the RTSDK converter's texts and stream ids (§2.11)", () => {
    expect(tokenTypeError("ID", "PRIMITIVE", "2", 0)).toEqual({
      text: "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'ID' Received 'STRING'",
      id: 0,
      offset: undefined,
    });
    expect(unexpectedValue("DDS_TRCE", "Service", 1).text).toBe(
      "JSON Unexpected Value. Received 'DDS_TRCE' for key 'Service'",
    );
    expect(unexpectedValue(true, "Ack", 1).text).toBe("JSON Unexpected Value. Received 'true' for key 'Ack'");
    expect(missingKey("ID")).toMatchObject({ text: "JSON Missing required key 'ID'", id: 0 });
    expect(missingKey("ID", "Message").text).toBe("JSON Missing required key 'ID' for 'Message'");
    expect(unexpectedFid("NOT_A_FIELD", 1)).toMatchObject({
      text: "JSON Unexpected FID. Received 'NOT_A_FIELD' for key 'Fields'",
      id: 1,
    });
    expect(loginRequired("Post", 3)).toMatchObject({ id: 3 });
  });

  it("maps JavaScript parse failures to jsmn codes with the offset when known", () => {
    expect(parserError(parseFailure("[")).text).toBe("JSON parser error: -3 (incomplete JSON)");
    const incomplete = parserError(parseFailure('{"ID":1,'), 8);
    expect(incomplete.text).toMatch(/^JSON parser error: -3 \(incomplete JSON/);
    expect(incomplete.id).toBe(0);
    const invalid = parserError(parseFailure('{"ID":1 x}'), 10);
    expect(invalid.text).toMatch(/^JSON parser error: -2 \(invalid character/);
    if (invalid.offset !== undefined) expect(invalid.offset).toBe(8);
  });

  it("builds the Error message with Debug, masking secrets in the echoed message", () => {
    const message = '{"ID":1,"Key":{"Elements":{"AuthenticationToken":"eyJsecret"}},"Refresh":"no"}';
    const error = buildError(tokenTypeError("Refresh", "PRIMITIVE", "no", 1), message);
    expect(error).toEqual({
      Type: "Error",
      ID: 1,
      Text: "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'Refresh' Received 'STRING'",
      Debug: {
        File: "Converter/jsonToRwfSimple.C",
        Line: 0,
        Message: '{"ID":1,"Key":{"Elements":{"AuthenticationToken":"[redacted]"}},"Refresh":"no"}',
      },
    });
    expect(buildError(parserError("Unexpected token x in JSON at position 8"), "{}").Debug.Offset).toBe(8);
  });
});
