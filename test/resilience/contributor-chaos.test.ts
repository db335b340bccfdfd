/**
 * The short, seeded chaos soak of `npm test`: the harness of chaos-harness.ts with a compressed fault
 * schedule. Seed 31 is used because its schedule (a pure function of the seed) reaches every fault kind of the
 * catalogue within its first 22 faults; the long version is `npm run soak -- --minutes N --seed S`.
 */
import { describe, expect, it } from "vitest";
import { runChaos } from "./chaos-harness.js";
import { FAULT_KINDS } from "./chaos/fault-catalogue.js";

describe("chaos soak, short seeded version", () => {
  it("survives every kind of fault with every contribution accounted for and every invariant held", async () => {
    const report = await runChaos({
      seed: 31,
      contributions: 25_000,
      minFaults: 22,
      timeScale: 0.4,
      gapRangeMs: [100, 400],
      maxDurationMs: 50_000,
      // Re-sends never put an older value over a newer acknowledged one (posting-resend-superseded.test.ts): stale
      // overwrites and wrong values right after the fault phase are violations (the harness's default).
      reorderByResendIsViolation: true,
    });
    const details = JSON.stringify(report);
    expect(report.violations, details).toEqual([]);
    expect(report.server.staleOverwrites, details).toBe(0);
    expect(report.valuesAfterFaults.mismatches, details).toBe(0);
    expect(report.finalValues.mismatches, details).toBe(0);
    expect(report.contributions.calls).toBeGreaterThanOrEqual(25_000);
    expect(report.contributions.settled).toBe(report.contributions.calls);
    for (const kind of FAULT_KINDS) expect(report.faults.byKind[kind]?.injected ?? 0, kind).toBeGreaterThan(0);
    expect(report.restarts).toBeGreaterThan(0);
    expect(report.recoveryMs.count).toBeGreaterThan(0);
    expect(report.finalValues.lastAcked, details).toBe(100);
    expect(report.server.maxConcurrentLogins).toBe(1);
  }, 90_000);
});
