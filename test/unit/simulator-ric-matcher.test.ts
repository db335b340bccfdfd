import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { matchesAnyRic } from "../../src/simulator/config.js";
import { RicMatcher } from "../../src/simulator/rcc/ric-matcher.js";

describe("RicMatcher", () => {
  it("matches exact names and * globs, treating everything else literally", () => {
    const matcher = new RicMatcher(["TRCCTEST*", "EUR=", "A.B*C", "*.L"]);
    expect(matcher.matches("TRCCTEST01")).toBe(true);
    expect(matcher.matches("TRCCTEST")).toBe(true);
    expect(matcher.matches("EUR=")).toBe(true);
    expect(matcher.matches("EURX")).toBe(false);
    expect(matcher.matches("A.BxyzC")).toBe(true);
    expect(matcher.matches("AxBC")).toBe(false);
    expect(matcher.matches("VOD.L")).toBe(true);
    expect(matcher.matches("VOD.LX")).toBe(false);
    expect(new RicMatcher([]).matches("ANY")).toBe(false);
    expect(new RicMatcher(["*"]).matches("")).toBe(true);
    expect(new RicMatcher(["*"]).matches("ANY.RIC")).toBe(true);
  });

  const ricCharacter = fc.constantFrom("A", "B", ".", "=", "*", "+", "(", "?", "\n", "1");
  const ricText = fc.array(ricCharacter, { maxLength: 8 }).map((characters) => characters.join(""));
  test.prop([fc.array(ricText, { maxLength: 4 }), ricText])(
    "agrees with matchesAnyRic from the configuration module",
    (patterns, name) => new RicMatcher(patterns).matches(name) === matchesAnyRic(patterns, name),
  );
});
