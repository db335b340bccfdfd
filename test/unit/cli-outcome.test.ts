/**
 * What the CLI makes of each way a contribution settles: the outcome record (one `--report` line), its readable
 * line, the run's exit code, and the `rcc contribute` summary counts.
 */
import { describe, expect, it } from "vitest";
import { AckTimeoutError, ItemStreamError, NakError, SupersededError } from "../../src/client/errors.js";
import { ContributeTally, formatSummary } from "../../src/cli/contribute-tally.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { exitCodeForOutcomes as exitCodeFor, formatOutcome, outcomeOf } from "../../src/cli/outcome.js";

const post = { ric: "TRCCTEST01", postId: 7 };

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
    tally.settle(outcomeOf("TRCCTEST01", { ack: { ric: "TRCCTEST01", postId: 8, latencyMs: 1 } }));
    tally.settle(outcomeOf("TRCCTEST01", { error: new SupersededError(post) }));
    tally.settle(outcomeOf("TRCCTEST02", { error: new NakError("SymbolUnknown", "Symbol unknown", post) }));
    tally.settle(outcomeOf("TRCCTEST03", { error: new AckTimeoutError(post, 100) }));
    expect(tally.progress).toMatchObject({ acked: 1, naked: 1, errors: 1 });
    const summary = tally.summary(2, { dryRun: false, interrupted: false });
    expect(summary).toMatchObject({ acked: 1, naked: 1, timeouts: 1, superseded: 1, failed: 0 });
    expect(formatSummary(summary, false)).toMatch(/, 1 ack timeouts, 1 superseded in 2 s/);
    expect(tally.exitCode()).toBe(EXIT.ackTimeout);
  });
});
