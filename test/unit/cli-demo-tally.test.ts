/** The summary `rcc demo` ends with (demo-tally.ts): counts, Nak codes, Ack latencies, one line or JSON. */
import { describe, expect, it } from "vitest";
import { DemoTally, formatDemoSummary } from "../../src/cli/demo-tally.js";
import { EXIT } from "../../src/cli/exit-codes.js";

describe("the rcc demo summary", () => {
  it("counts every outcome, the Naks by code and the min, mean and max Ack latency", () => {
    const tally = new DemoTally();
    tally.add({ outcome: "ack", latencyMs: 1.2 });
    tally.add({ outcome: "ack", latencyMs: 0.8004 });
    tally.add({ outcome: "ack", latencyMs: 3 });
    tally.add({ outcome: "nak", nakCode: "SymbolUnknown" });
    tally.add({ outcome: "timeout" });
    const summary = tally.summary(2.34567, false);
    expect(summary).toMatchObject({ posts: 5, acked: 3, naked: 1, timeouts: 1, contentErrors: 0, failed: 0 });
    expect(summary.naksByCode).toEqual({ SymbolUnknown: 1 });
    expect(summary.seconds).toBe(2.346);
    expect(summary.latencyMs).toEqual({ min: 0.8, avg: 1.667, max: 3 });
    expect(formatDemoSummary(summary)).toBe(
      "5 posts: 3 acked, 1 naked (SymbolUnknown 1), 0 content errors, 1 ack timeouts in 2.346 s " +
        "(latency min 0.80 ms, avg 1.67 ms, max 3.00 ms)",
    );
    expect(tally.exitCode()).toBe(EXIT.ackTimeout);
  });

  it("says nothing of latency without an Ack, names the rarer outcomes only when they happened, and an interruption", () => {
    const tally = new DemoTally();
    tally.add({ outcome: "not-sent" });
    tally.add({ outcome: "nak", nakCode: "constructor" });
    const summary = tally.summary(0.5, true);
    expect(summary.latencyMs).toBeUndefined();
    expect(formatDemoSummary(summary)).toBe(
      "2 posts: 0 acked, 1 naked (constructor 1), 0 content errors, 0 ack timeouts, 1 not sent in 0.5 s — interrupted",
    );
    expect(formatDemoSummary(new DemoTally().summary(0, true))).toBe(
      "0 posts: 0 acked, 0 naked, 0 content errors, 0 ack timeouts in 0 s — interrupted",
    );
  });

  it("shows a Nak code from the server made safe for the terminal", () => {
    const tally = new DemoTally();
    tally.add({ outcome: "nak", nakCode: "Bad\x1b[2J" });
    expect(formatDemoSummary(tally.summary(1, false))).toContain("(Bad\\x1b[2J 1)");
  });
});
