/**
 * The CLI's sanitiser of peer text (src/cli/terminal-text.ts): what a hostile server's Nak text, close reason
 * or field value turns into on a terminal, and the `--json` escaping that keeps the original value.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  jsonLine,
  MAX_SHOWN_LINE_LENGTH,
  MAX_SHOWN_TEXT_LENGTH,
  quoteText,
  safeLine,
  safeText,
} from "../../src/cli/terminal-text.js";

/** Anything a terminal acts on, or that reorders or splits a line, or that UTF-8 cannot carry. */
/* eslint-disable no-control-regex -- control characters are exactly what must not appear */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/* eslint-enable no-control-regex */

/** Any UTF-16 code unit, lone surrogates included, with the dangerous ones over-represented. */
const codeUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom("\x1b", "\x07", "\r", "\n", "\t", "\x7f", "\x9b", "\u202e", "\u2066", "\u2028", '"', "\\", "😀"),
);
const anyText = fc.string({ unit: codeUnit, maxLength: 600 });
/** Printable ASCII without quote or backslash: what must come back unchanged. */
const plainText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: MAX_SHOWN_TEXT_LENGTH,
});

describe("safeText and quoteText", () => {
  it.each([
    ["an OSC title sequence", "\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"],
    ["a clear-screen CSI", "\x1b[2Jgone", "\\x1b[2Jgone"],
    ["a forged outcome line", "bad\r\nack TRCCTEST01 post 1", "bad\\r\\nack TRCCTEST01 post 1"],
    ["a tab", "a\tb", "a\\tb"],
    ["an 8-bit CSI (C1)", "\x9b2J", "\\x9b2J"],
    ["DEL", "a\x7fb", "a\\x7fb"],
    ["a right-to-left override", "abc\u202eFED", "abc\\u202eFED"],
    ["a first-strong isolate", "\u2068x\u2069", "\\u2068x\\u2069"],
    ["a line separator", "a\u2028b", "a\\u2028b"],
    ["a lone surrogate", "a\ud800b", "a\\ud800b"],
    ["an emoji (a surrogate pair)", "ok 😀", "ok 😀"],
    ["accented text", "Résultat négatif", "Résultat négatif"],
  ])("shows %s safely, visibly", (_name, input, shown) => {
    expect(safeText(input)).toBe(shown);
  });

  it("cuts a 20 MB text to the limit with an ellipsis, reading only its start", () => {
    const huge = "x".repeat(20 * 1024 * 1024);
    const started = performance.now();
    const shown = safeText(huge);
    expect(performance.now() - started).toBeLessThan(50);
    expect(shown).toBe(`${"x".repeat(MAX_SHOWN_TEXT_LENGTH - 1)}…`);
  });

  it("never cuts inside an escape or a surrogate pair", () => {
    expect(safeText("abcd\x1b", 6)).toBe("abcd…");
    expect(safeText("abcd😀e", 6)).toBe("abcd…");
    expect(safeText("abc😀ef", 6)).toBe("abc😀…");
  });

  it("quotes so that the text cannot close its quotes, also when cut after a backslash", () => {
    expect(quoteText('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(quoteText("ab\\cdef", 4)).toBe('"ab…"');
    expect(quoteText("")).toBe('""');
  });

  it("leaves printable text alone, quoted or not", () => {
    fc.assert(
      fc.property(plainText, (text) => {
        expect(safeText(text)).toBe(text);
        if (!/["\\]/.test(text)) expect(quoteText(text)).toBe(`"${text}"`);
      }),
    );
  });

  it("gives no unsafe character and at most the limit, for any input and limit", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 300 }), (text, limit) => {
        const shown = safeText(text, limit);
        expect(shown).not.toMatch(UNSAFE);
        expect(shown.length).toBeLessThanOrEqual(limit);
        const quoted = quoteText(text, limit);
        expect(quoted).not.toMatch(UNSAFE);
        expect(quoted.length).toBeLessThanOrEqual(limit + 2);
        // Inside the quotes, every quote is escaped: the text cannot end the quoted string early.
        expect(quoted.slice(1, -1)).not.toMatch(/(^|[^\\])(\\\\)*"/);
      }),
    );
  });
});

describe("safeLine", () => {
  it("keeps the start and the end of a long message and leaves out its middle", () => {
    const message = `post 1 to TRCCTEST01 rejected by the server: ${"\x1b[2J".repeat(1_000_000)} — check the values`;
    const shown = safeLine(message);
    expect(shown.length).toBeLessThanOrEqual(MAX_SHOWN_LINE_LENGTH);
    expect(shown.startsWith("post 1 to TRCCTEST01 rejected by the server: \\x1b[2J")).toBe(true);
    expect(shown.endsWith("\\x1b[2J — check the values")).toBe(true);
    expect(shown).toContain("…");
    expect(shown).not.toMatch(UNSAFE);
  });

  it("leaves a short message alone, and escapes one that only escaping makes too long", () => {
    expect(safeLine("could not connect: ECONNREFUSED — check --url")).toBe(
      "could not connect: ECONNREFUSED — check --url",
    );
    const escaped = safeLine("\x1b".repeat(100), 50);
    expect(escaped.length).toBeLessThanOrEqual(50);
    expect(escaped).toMatch(/^(\\x1b)+…(\\x1b)+$/);
  });

  it("gives no unsafe character and at most the limit, for any input", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 8, max: 300 }), (text, limit) => {
        const shown = safeLine(text, limit);
        expect(shown).not.toMatch(UNSAFE);
        expect(shown.length).toBeLessThanOrEqual(limit);
      }),
    );
  });
});

describe("jsonLine", () => {
  it("escapes what JSON.stringify leaves raw (DEL, C1, bidi, line separators) and parses back to the original", () => {
    const value = { text: "\x1b]0;pwned\x07 \x7f \x9b \u202e \u2066 \u2028 é 😀", code: "\x85" };
    const line = jsonLine(value);
    expect(JSON.stringify(value)).toMatch(/[\u007f-\u009f\u202e]/); // the reason jsonLine exists
    expect(line).toContain("\\u007f");
    expect(line).toContain("\\u009b");
    expect(line).toContain("\\u202e");
    expect(line).not.toMatch(UNSAFE);
    expect(line).toContain("é 😀");
    expect(JSON.parse(line)).toEqual(value);
  });

  it("round-trips any value made of any strings, on one line", () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, fc.oneof(anyText, fc.integer(), fc.constant(null))), (value) => {
        const line = jsonLine(value);
        expect(line).not.toMatch(UNSAFE);
        expect(JSON.parse(line)).toEqual(value);
      }),
    );
  });
});
