/** The inbound frame parser (§2.2, §2.9): packed Acks take a scan, everything else JSON.parse; same result. */
import { describe, expect, test } from "vitest";
import { parseInboundFrame, scanAckFrame } from "../../src/protocol/inbound-frame.js";
import { parseFrame } from "../../src/protocol/messages.js";

/** What the generic parser gives, or the error name it throws. */
function generic(text: string): unknown {
  try {
    return parseFrame(text);
  } catch (error) {
    return (error as Error).name;
  }
}

function parsed(text: string): unknown {
  try {
    return parseInboundFrame(text);
  } catch (error) {
    return (error as Error).name;
  }
}

describe("parseInboundFrame", () => {
  test("§2.9: reads a packed frame of plain Acks by the scan, as JSON.parse would", () => {
    const text =
      '[{"Type":"Ack","ID":1,"AckID":1},{"Type":"Ack","ID":1,"AckID":0},{"Type":"Ack","ID":7,"AckID":123456789012345}]';
    expect(scanAckFrame(text)).toEqual(JSON.parse(text));
    expect(parseInboundFrame(text)).toEqual(JSON.parse(text));
    expect(Object.keys(parseInboundFrame(text)[0] as object)).toEqual(["Type", "ID", "AckID"]);
  });

  test("§2.2: reads a single unpacked Ack as a one-message frame", () => {
    expect(scanAckFrame('{"Type":"Ack","ID":1,"AckID":5}')).toEqual([{ Type: "Ack", ID: 1, AckID: 5 }]);
  });

  test.each([
    ["a Nak", '[{"Type":"Ack","ID":1,"AckID":2,"NakCode":"DeniedBySrc","Text":"no"}]'],
    ["an Ack after a Nak", '[{"Type":"Ack","ID":1,"AckID":2,"NakCode":3},{"Type":"Ack","ID":1,"AckID":3}]'],
    ["a Nak after an Ack", '[{"Type":"Ack","ID":1,"AckID":2},{"Type":"Ack","ID":1,"AckID":3,"NakCode":3}]'],
    ["whitespace", '[ {"Type":"Ack","ID":1,"AckID":2}]'],
    ["another key order", '[{"ID":1,"Type":"Ack","AckID":2}]'],
    ["a Ping", '{"Type":"Ping"}'],
    ["a Refresh", '[{"Type":"Refresh","ID":1,"Domain":"Login","State":{"Stream":"Open"}}]'],
    ["a fractional AckID", '[{"Type":"Ack","ID":1,"AckID":2.5}]'],
    ["an exponent", '[{"Type":"Ack","ID":1,"AckID":2e3}]'],
    ["a negative AckID", '[{"Type":"Ack","ID":1,"AckID":-2}]'],
    ["a 16-digit AckID", '[{"Type":"Ack","ID":1,"AckID":1234567890123456}]'],
    ["a string AckID", '[{"Type":"Ack","ID":1,"AckID":"2"}]'],
  ])("falls back to JSON.parse for %s, with the same result", (_label, text) => {
    expect(scanAckFrame(text)).toBeUndefined();
    expect(parseInboundFrame(text)).toEqual(generic(text));
  });

  test.each([
    ["a leading zero", '[{"Type":"Ack","ID":1,"AckID":01}]'],
    ["a missing bracket", '[{"Type":"Ack","ID":1,"AckID":1}'],
    ["trailing text", '[{"Type":"Ack","ID":1,"AckID":1}]x'],
    ["a trailing comma", '[{"Type":"Ack","ID":1,"AckID":1},]'],
    ["text after a single Ack", '{"Type":"Ack","ID":1,"AckID":1}}'],
    ["an empty frame", ""],
  ])("throws as JSON.parse does for a frame with %s", (_label, text) => {
    expect(scanAckFrame(text)).toBeUndefined();
    expect(parsed(text)).toBe("SyntaxError");
  });
});
