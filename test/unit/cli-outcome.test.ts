/**
 * What the CLI makes of each way a contribution settles: the outcome record (one `--report` line), its readable
 * line, the run's exit code, and the `rcc contribute` summary counts.
 */
import { describe, expect, it } from "vitest";
import {
  AckTimeoutError,
  ItemStreamError,
  NakError,
  SessionClosedError,
  SupersededError,
} from "../../src/client/errors.js";
import { ContributeTally, formatSummary, rateOf } from "../../src/cli/contribute-tally.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { formatLatency, latencyForJson } from "../../src/cli/latency.js";
import { exitCodeForOutcomes as exitCodeFor, formatOutcome, outcomeOf } from "../../src/cli/outcome.js";

const post = { ric: "TRCCTEST01", postId: 7 };

describe("latencies", () => {
  it("are rounded by one rule: at most three decimals in the outcome record, two decimals on the terminal", () => {
    const outcome = outcomeOf("TRCCTEST01", { ack: { ric: "TRCCTEST01", postId: 3, latencyMs: 12.3456789 } });
    expect(outcome.latencyMs).toBe(12.346);
    expect(formatOutcome(outcome)).toBe("ack   TRCCTEST01 post 3 (12.35 ms)");
    expect(formatOutcome({ ...outcome, latencyMs: 12 })).toBe("ack   TRCCTEST01 post 3 (12.00 ms)");
    expect(formatLatency(0.3 + 0.6)).toBe("0.90 ms");
    expect(latencyForJson(0.1 + 0.2)).toBe(0.3);
  });
});

describe("outcomes", () => {
  it("a superseded post is its own outcome, with its PostID and the reason, and does not fail the run", () => {
    const outcome = outcomeOf("TRCCTEST01", { error: new SupersededError(post) });
    expect(outcome).toEqual({
      ric: "TRCCTEST01",
      outcome: "superseded",
      postId: 7,
      text: "a newer post to TRCCTEST01 was acknowledged before the Ack of post 7 arrived, so it was not re-sent",
    });
    expect(formatOutcome(outcome)).toBe(`superseded TRCCTEST01 post 7: ${outcome.text}`);
    expect(exitCodeFor({ ack: 3, superseded: 1 })).toBe(EXIT.ok);
    expect(exitCodeFor({ superseded: 1, timeout: 1 })).toBe(EXIT.ackTimeout);
  });

  it("a refused item stream (on-stream posting) is a Nak-like outcome carrying the Status code", () => {
    const error = new ItemStreamError("NOT.A.RIC", {
      reason: "status",
      streamState: "Closed",
      stateCode: "NotFound",
      text: "**The record could not be found",
    });
    const outcome = outcomeOf("NOT.A.RIC", { error });
    expect(outcome).toEqual({
      ric: "NOT.A.RIC",
      outcome: "nak",
      nakCode: "NotFound",
      text: "**The record could not be found",
    });
    expect(exitCodeFor({ nak: 1 })).toBe(EXIT.nak);
  });

  it("the contribute summary counts superseded posts apart from acks and errors", () => {
    const tally = new ContributeTally();
    tally.progress.rows = 4;
    tally.settle(1, outcomeOf("TRCCTEST01", { ack: { ric: "TRCCTEST01", postId: 8, latencyMs: 1 } }));
    tally.settle(2, outcomeOf("TRCCTEST01", { error: new SupersededError(post) }));
    tally.settle(3, outcomeOf("TRCCTEST02", { error: new NakError("SymbolUnknown", "Symbol unknown", post) }));
    tally.settle(4, outcomeOf("TRCCTEST03", { error: new AckTimeoutError(post, 100) }));
    expect(tally.progress).toMatchObject({ acked: 1, naked: 1, errors: 1 });
    const summary = tally.summary(2, { dryRun: false, interrupted: false });
    expect(summary).toMatchObject({ acked: 1, naked: 1, timeouts: 1, superseded: 1, failed: 0 });
    expect(summary.rowNumbers).toEqual({ nak: [3], timeout: [4] });
    expect(formatSummary(summary, false)).toMatch(/, 1 ack timeouts, 1 superseded in 2 s/);
    expect(tally.exitCode()).toBe(EXIT.ackTimeout);
  });

  it("leaves rows not sent (dropped by a stop) out of the progress line's %, and counts them in its errors as the summary does", () => {
    const tally = new ContributeTally();
    tally.progress.rows = 3;
    tally.settle(1, outcomeOf("TRCCTEST01", { ack: { ric: "TRCCTEST01", postId: 8, latencyMs: 1 } }));
    tally.settle(2, { outcome: "not-sent" });
    tally.settle(3, { outcome: "not-sent" });
    expect(tally.progress).toMatchObject({ settled: 1, acked: 1, errors: 2 });
    expect(tally.summary(1, { dryRun: false, interrupted: true }).rowNumbers).toEqual({ "not-sent": [2, 3] });
  });

  it("a post left unsettled by a close is not-sent when never written, unknown (with its PostID and connection) when it was", () => {
    const notSent = outcomeOf("TRCCTEST01", {
      error: new SessionClosedError("closed", { post: { ric: "TRCCTEST01", postId: 0, connection: 0, sends: 0 } }),
    });
    expect(notSent).toMatchObject({ outcome: "not-sent" });
    const unknown = outcomeOf("TRCCTEST01", {
      error: new SessionClosedError("closed", { post: { ric: "TRCCTEST01", postId: 17, connection: 2, sends: 1 } }),
    });
    expect(unknown).toEqual({
      ric: "TRCCTEST01",
      outcome: "unknown",
      postId: 17,
      connection: 2,
      text: "sent as post 17 on connection 2; the server may have applied it",
    });
    const tally = new ContributeTally();
    tally.progress.rows = 2;
    tally.settle(1, notSent);
    tally.settle(2, unknown);
    const summary = tally.summary(1, { dryRun: false, interrupted: true });
    expect(summary).toMatchObject({ notSent: 1, unknown: 1, failed: 0, rowNumbers: { "not-sent": [1], unknown: [2] } });
    expect(formatSummary(summary, false)).toMatch(
      /, 1 not sent, 1 unknown \(sent, no Ack\) in 1 s \(2 rows\/s\) — interrupted$/,
    );
    expect(tally.progress).toMatchObject({ settled: 1, errors: 2 }); // not-sent is not progress: only the unknown row counts toward %
  });

  it("a slow run shows a rate with decimals, not 0 rows/s", () => {
    expect(rateOf(3, 10)).toBe(0.3);
    expect(rateOf(55, 10)).toBe(5.5);
    expect(rateOf(12_345, 10)).toBe(1235);
  });
});
