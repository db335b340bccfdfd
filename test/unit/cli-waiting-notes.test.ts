/**
 * The waiting notes of a slow connect (src/cli/waiting-notes.ts), on a ManualClock: nothing on a fast connect,
 * the step waited for once getting connected has taken 2 s, then each new step that lasts 250 ms, never the same
 * line twice in a row; and the line of each session step.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/util/clock.js";
import { sessionNote, WaitingNotes } from "../../src/cli/waiting-notes.js";

function notes() {
  const clock = new ManualClock(0);
  const written: string[] = [];
  const waiting = new WaitingNotes({ clock, write: (line) => written.push(line) });
  return { clock, written, waiting };
}

describe("waiting notes", () => {
  it("says nothing when connected within 2 s, and nothing after stop()", () => {
    const { clock, written, waiting } = notes();
    waiting.step("rcc: waiting for the token endpoint http://127.0.0.1:9/token");
    clock.advance(1000);
    waiting.step("rcc: connecting to ws://127.0.0.1:9/WebSocket (attempt 1)");
    clock.advance(900);
    waiting.stop();
    clock.advance(10_000);
    expect(written).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("names the step waited for once getting connected has taken 2 s, and only once", () => {
    const { clock, written, waiting } = notes();
    waiting.step("rcc: waiting for the token endpoint http://127.0.0.1:9/token");
    clock.advance(1999);
    expect(written).toEqual([]);
    clock.advance(1);
    expect(written).toEqual(["rcc: waiting for the token endpoint http://127.0.0.1:9/token"]);
    clock.advance(60_000);
    expect(written).toHaveLength(1);
  });

  it("at 2 s names the step current then, even when it began just before", () => {
    const { clock, written, waiting } = notes();
    waiting.step("token");
    clock.advance(1500);
    waiting.step("handshake");
    clock.advance(500);
    expect(written).toEqual(["handshake"]);
  });

  it("after the first note, notes each new step once it has lasted 250 ms, skipping steps that pass in a blink", () => {
    const { clock, written, waiting } = notes();
    waiting.step("token");
    clock.advance(2000);
    waiting.step("handshake attempt 1");
    clock.advance(100);
    waiting.step("retrying in 0.4 s"); // the handshake failed at once: not worth a line
    clock.advance(249);
    expect(written).toEqual(["token"]);
    clock.advance(1);
    expect(written).toEqual(["token", "retrying in 0.4 s"]);
  });

  it("never writes the same line twice in a row, nor re-arms on a repeated step", () => {
    const { clock, written, waiting } = notes();
    waiting.step("token");
    clock.advance(2000);
    waiting.step("handshake");
    clock.advance(50);
    waiting.step("token"); // back to the step last written before the blink
    clock.advance(1000);
    waiting.step("token");
    clock.advance(1000);
    expect(written).toEqual(["token"]);
  });

  it("writes nothing for a step without a note (logged in)", () => {
    const { clock, written, waiting } = notes();
    waiting.step("token");
    clock.advance(100);
    waiting.step(undefined);
    clock.advance(5000);
    expect(written).toEqual([]);
  });
});

describe("the note of each session step", () => {
  const base = { url: "wss://rcc.example:443/WebSocket", authUrl: "https://me:pw@auth.example/oauth2/v1/token?x=1" };
  const cause = new Error("connect ECONNREFUSED 127.0.0.1:9 \x1b[2J");

  it("names the token endpoint without user-info or query, and the attempt after a failure", () => {
    expect(sessionNote({ ...base, state: "authenticating" })).toBe(
      "rcc: waiting for the token endpoint https://auth.example/oauth2/v1/token",
    );
    expect(sessionNote({ ...base, state: "authenticating", lastPlan: { attempt: 1, delayMs: 400, cause } })).toBe(
      "rcc: waiting for the token endpoint https://auth.example/oauth2/v1/token (attempt 2)",
    );
  });

  it("has no token step for a user-name Login", () => {
    expect(sessionNote({ ...base, authUrl: undefined, state: "authenticating" })).toBeUndefined();
  });

  it("names the handshake with its attempt, and the Login Refresh once connected", () => {
    expect(sessionNote({ ...base, state: "connecting" })).toBe(
      "rcc: connecting to wss://rcc.example/WebSocket (attempt 1)",
    );
    expect(sessionNote({ ...base, state: "connecting", lastPlan: { attempt: 1, delayMs: 400, cause } })).toBe(
      "rcc: connecting to wss://rcc.example/WebSocket (attempt 2)",
    );
    expect(sessionNote({ ...base, state: "logging-in" })).toBe(
      "rcc: connected to wss://rcc.example/WebSocket; waiting for the Login Refresh",
    );
  });

  it("says why it is backing off and how long, with the failure's text escaped, once the plan is known", () => {
    const plan = { attempt: 2, delayMs: 1234, cause };
    expect(sessionNote({ ...base, state: "backing-off", lastPlan: plan, planKnown: false })).toBeUndefined();
    const note = sessionNote({ ...base, state: "backing-off", lastPlan: plan, planKnown: true });
    expect(note).toBe("rcc: attempt 2 failed (connect ECONNREFUSED 127.0.0.1:9 \\x1b[2J); retrying in 1.2 s");
    expect(note).not.toContain("\x1b");
  });

  it("has nothing to say once ready or closing", () => {
    for (const state of ["ready", "closing", "closed"] as const)
      expect(sessionNote({ ...base, state })).toBeUndefined();
  });
});
