import { describe, expect, it } from "vitest";
import { parseFieldArguments, parseValue } from "../../src/cli/values.js";

describe("parseValue", () => {
  it("reads integers and decimals as numbers", () => {
    expect(parseValue("451")).toBe(451);
    expect(parseValue("-4.25")).toBe(-4.25);
    expect(parseValue(".5")).toBe(0.5);
  });

  it("reads null as a blank and quoted text as a string", () => {
    expect(parseValue("null")).toBeNull();
    expect(parseValue('"123"')).toBe("123");
    expect(parseValue("'Hello RCC'")).toBe("Hello RCC");
  });

  it("keeps ISO dates, times and the Real specials as strings", () => {
    expect(parseValue("2026-11-25")).toBe("2026-11-25");
    expect(parseValue("10:15:00.250")).toBe("10:15:00.250");
    expect(parseValue("-Inf")).toBe("-Inf");
    expect(parseValue("NaN")).toBe("NaN");
  });
});

describe("parseFieldArguments", () => {
  it("builds a field map from NAME=VALUE pairs", () => {
    expect(parseFieldArguments(["BID=451.55", "DSPLY_NAME=Hello RCC", "ASK=null"])).toEqual({
      BID: 451.55,
      DSPLY_NAME: "Hello RCC",
      ASK: null,
    });
  });

  it("rejects a pair without '=' with a message that shows the expected form", () => {
    expect(() => parseFieldArguments(["BID"])).toThrow(/NAME=VALUE/);
  });

  it("rejects a name that is not an acronym and a repeated field", () => {
    expect(() => parseFieldArguments(["B ID=1"])).toThrow(/not a field name/);
    expect(() => parseFieldArguments(["BID=1", "BID=2"])).toThrow(/twice/);
  });
});
