/** RIC patterns of accounts and API key scopes: exact RICs, `*` and `?` globs, literal regex characters. */
import { describe, expect, it } from "vitest";
import { RicPatterns } from "../../src/gateway/ric-patterns.js";

describe("RicPatterns", () => {
  it("matches RICs spelled out exactly, case and all", () => {
    const patterns = new RicPatterns(["TRCCTEST01", "EUR="]);
    expect(patterns.matches("TRCCTEST01")).toBe(true);
    expect(patterns.matches("EUR=")).toBe(true);
    expect(patterns.matches("trcctest01")).toBe(false);
    expect(patterns.matches("TRCCTEST011")).toBe(false);
  });

  it("takes * as any run of characters (none included) and ? as exactly one", () => {
    const patterns = new RicPatterns(["TRCC*", "*.L", "GBP?="]);
    expect(["TRCC", "TRCCTEST01", "VOD.L", ".L", "GBPX="].every((ric) => patterns.matches(ric))).toBe(true);
    expect(["XTRCC", "VOD.LN", "GBP=", "GBPXY="].some((ric) => patterns.matches(ric))).toBe(false);
  });

  it("treats regular-expression characters in a pattern as themselves", () => {
    const patterns = new RicPatterns(["A.B*", "(X)+[Y]"]);
    expect(patterns.matches("A.BC")).toBe(true);
    expect(patterns.matches("AXBC")).toBe(false); // the dot is a dot
    expect(patterns.matches("(X)+[Y]")).toBe(true);
    expect(patterns.matches("XX[Y]")).toBe(false);
  });

  it("* alone matches every RIC", () => {
    expect(new RicPatterns(["*"]).matches("anything at all")).toBe(true);
  });

  it("refuses an empty pattern or one with a control character, naming it", () => {
    expect(() => new RicPatterns([""])).toThrow('RIC pattern "" is empty or holds a control character');
    expect(() => new RicPatterns(["TRCC\n*"])).toThrow(/"TRCC\\n\*" is empty or holds a control character/);
  });
});
