/** The per-machine-ID count of sessions logged in at once (`SimulatorState.loginsByUser`, docs/simulator.md). */
import { describe, expect, test } from "vitest";
import { SimulatorState } from "../../src/simulator/state.js";

describe("SimulatorState.loginsByUser", () => {
  test("counts sessions per user now and at most at once, keeping a user whose sessions all ended", () => {
    const state = new SimulatorState();
    state.sessionLoggedIn("alice");
    state.sessionLoggedIn("alice");
    state.sessionLoggedIn("bob");
    state.sessionLoggedOut("alice");
    state.sessionLoggedIn("alice");
    state.sessionLoggedOut("alice");
    state.sessionLoggedOut("bob");
    expect(state.loginsByUser.get("alice")).toEqual({ current: 1, max: 2 });
    expect(state.loginsByUser.get("bob")).toEqual({ current: 0, max: 1 });
  });

  test("an end without a counted start neither goes below zero nor adds a user", () => {
    const state = new SimulatorState();
    state.sessionLoggedOut("nobody");
    state.sessionLoggedIn("alice");
    state.sessionLoggedOut("alice");
    state.sessionLoggedOut("alice");
    expect(state.loginsByUser.has("nobody")).toBe(false);
    expect(state.loginsByUser.get("alice")).toEqual({ current: 0, max: 1 });
  });

  test("the /admin/state snapshot carries a copy, keyed by user", () => {
    const state = new SimulatorState();
    state.sessionLoggedIn("alice");
    const snapshot = state.snapshot(0);
    expect(snapshot.loginsByUser).toEqual({ alice: { current: 1, max: 1 } });
    state.sessionLoggedIn("alice");
    expect(snapshot.loginsByUser).toEqual({ alice: { current: 1, max: 1 } });
    expect(state.snapshot(0).loginsByUser).toEqual({ alice: { current: 2, max: 2 } });
  });
});
