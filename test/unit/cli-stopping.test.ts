/** The stop signals of the long-running commands (src/cli/stopping.ts): SIGINT, SIGTERM and SIGHUP alike, counted. */
import { afterEach, describe, expect, it } from "vitest";
import { onStopSignals } from "../../src/cli/stopping.js";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const offs: (() => void)[] = [];
afterEach(() => {
  for (const off of offs.splice(0)) off();
});

describe("onStopSignals", () => {
  it("calls the handler for SIGINT, SIGTERM and SIGHUP alike, with how many have arrived so far", () => {
    const counts: number[] = [];
    offs.push(onStopSignals((count) => counts.push(count)));
    // Emitted on the process object: the listeners run, no signal is sent.
    process.emit("SIGHUP");
    process.emit("SIGINT");
    process.emit("SIGTERM");
    expect(counts).toEqual([1, 2, 3]);
  });

  it("removes its listener from every signal when turned off, leaving the others' alone", () => {
    const before = SIGNALS.map((signal) => process.listenerCount(signal));
    const off = onStopSignals(() => undefined);
    expect(SIGNALS.map((signal) => process.listenerCount(signal))).toEqual(before.map((count) => count + 1));
    off();
    expect(SIGNALS.map((signal) => process.listenerCount(signal))).toEqual(before);
  });
});
