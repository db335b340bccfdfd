/**
 * The CLI's human-readable outputs fed hostile server text: an outcome line, the contribute summary and the
 * `rcc watch` table each stay one line per item, without terminal controls, and bounded.
 */
import { describe, expect, it } from "vitest";
import { ContributeTally, formatSummary } from "../../src/cli/contribute-tally.js";
import { formatOutcome } from "../../src/cli/outcome.js";
import { MAX_CELL_LENGTH, WatchTable } from "../../src/cli/watch-table.js";

/* eslint-disable no-control-regex -- control characters are exactly what must not appear */
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/* eslint-enable no-control-regex */
const HOSTILE = "\x1b]0;pwned\x07\x1b[2J\r\nack   TRCCTEST01 post 1 (0.4 ms)\u009b2J\u202eevil";

describe("human-readable output of hostile server text", () => {
  it("an outcome line quotes and escapes the Nak text and code, on one bounded line", () => {
    const line = formatOutcome({
      ric: "TRCCTEST01",
      outcome: "nak",
      postId: 3,
      nakCode: `Odd${HOSTILE}`,
      text: HOSTILE.repeat(10_000),
    });
    expect(line).not.toMatch(TERMINAL_CONTROL);
    expect(line.length).toBeLessThan(300);
    expect(line).toMatch(
      /^nak {3}TRCCTEST01 post 3: Odd\\x1b\]0;pwned\\x07.*… "\\x1b\]0;pwned\\x07\\x1b\[2J\\r\\nack .*…"$/,
    );
  });

  it("a failure's message (which may carry a close reason) is escaped and keeps its end", () => {
    const line = formatOutcome({
      ric: "TRCCTEST01",
      outcome: "failed",
      text: `connection lost: ${HOSTILE.repeat(1_000)} — check --url`,
    });
    expect(line).not.toMatch(TERMINAL_CONTROL);
    expect(line.length).toBeLessThanOrEqual(520);
    expect(line.endsWith(" — check --url")).toBe(true);
  });

  it("the contribute summary lists at most ten Nak codes, escaped", () => {
    const tally = new ContributeTally();
    for (let code = 0; code < 50; code++) {
      tally.settle(code + 1, { outcome: "nak", nakCode: `Code${code}\x1b[2J${"x".repeat(100)}` });
    }
    const line = formatSummary(tally.summary(1, { dryRun: false, interrupted: false }), false);
    expect(line).not.toMatch(TERMINAL_CONTROL);
    expect(line).toMatch(/^0 rows: 0 acked, 50 naked \(Code0\\x1b\[2Jx+… 1, .*, 40 other codes\)/);
    expect(line.length).toBeLessThan(800);
  });

  it("the watch table escapes values, field names, RICs and state texts, and cuts long cells", () => {
    const table = new WatchTable(["TRCCTEST01"]);
    table.apply({
      type: "Refresh",
      ric: "TRCCTEST01",
      streamId: 2,
      fields: { BID: 1, DSPLY_NAME: HOSTILE.repeat(100), [`F\x1b[2J`]: "x" },
      state: { stream: "Open", data: "Ok", code: undefined, text: HOSTILE },
      message: {},
    });
    table.apply({ type: "Update", ric: `EVIL\r\n${HOSTILE}`, streamId: 9, fields: { BID: 2 }, message: {} });
    const lines = table.render({ colour: false });
    expect(lines).toHaveLength(3); // header, the watched RIC, the unasked-for one: no forged row
    for (const line of lines) expect(line).not.toMatch(TERMINAL_CONTROL);
    expect(lines[0]).toContain("F\\x1b[2J");
    const cells = lines[1]!.split(/ {2,}/);
    expect(Math.max(...cells.slice(0, -1).map((cell) => cell.length))).toBeLessThanOrEqual(MAX_CELL_LENGTH + 1);
    expect(lines[2]!.startsWith("EVIL\\r\\n\\x1b]0;pwned")).toBe(true);
  });
});
