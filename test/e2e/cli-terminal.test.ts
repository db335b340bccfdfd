/**
 * The CLI on a terminal, run under a pseudo-terminal (`script` from util-linux, else python3's pty): the live
 * progress of `rcc contribute` is redrawn in place (`\r\x1b[2K`), bad rows clear the line first, and a missing
 * password is asked for without echo.
 */
import { afterAll, describe, expect, it } from "vitest";
import { simEnv, simFlags, spawnCliInTerminal, tempFiles, useSharedSimulator } from "../helpers/cli.js";

const REDRAW = "\r\x1b[2K";
const shared = useSharedSimulator();
const files = tempFiles();
afterAll(() => files.remove());

describe("rcc on a terminal", () => {
  it("redraws the contribute progress line in place and ends it with the final counts", async () => {
    shared.sim.faults.add({ type: "delay-acks", ms: 600 });
    const lines = ["RIC,BID"];
    for (let row = 0; row < 20; row++) lines.push(`TRCCTEST${String(row % 5)},${row + 1}`);
    lines.push("TRCCTEST01,abc");
    const input = files.write("tty.csv", `${lines.join("\n")}\n`);
    const run = spawnCliInTerminal(["contribute", input, ...simFlags(shared.sim)], {
      env: simEnv(shared.sim),
      input: "",
    });
    const result = await run.exited;
    expect(result.code).toBe(1); // every sent row acked, one invalid row: bad input
    const screen = result.stdout;
    expect(screen.split(REDRAW).length - 1).toBeGreaterThanOrEqual(3);
    expect(screen).toContain(`${REDRAW}rcc: row 22 (TRCCTEST01): BID must be a number, got 'abc'`);
    const draws = screen.split(REDRAW).slice(1);
    // % and ETA come first; while Acks are delayed, posts are sent (written) and in flight, none acked yet.
    expect(
      draws.some((draw) =>
        /^\d+% {2}ETA \S+ {2}sent [1-9]\d* {2}acked 0 {2}naked 0 {2}.*in flight [1-9]\d*/.test(draw),
      ),
    ).toBe(true);
    expect(screen).toMatch(
      /100% {2}ETA 0s {2}sent 20 {2}acked 20 {2}naked 0 {2}errors 1 {2}in flight 0 {2}[\d.]+\/s {2}elapsed \d+s\r?\n/,
    );
    expect(screen).not.toContain("progress: ");
    expect(screen).toMatch(/21 rows: 20 acked, 0 naked, 1 invalid/);
  });

  it("says on the progress line what it waits for while not connected: a token, a connection attempt, System busy", async () => {
    const input = files.write("states.csv", "RIC,BID\nTRCCTEST01,1\nTRCCTEST02,2\n");
    // A slow token endpoint first, then a "System busy" refusal of the Login: each state shows on the line.
    shared.sim.faults.add({ type: "token-delay", ms: 1_500, count: 1 });
    // Three refusals: their waits are random (full jitter, up to 0.5, 1 and 2 s), so at least one is seen.
    shared.sim.faults.add({ type: "reject-logins", code: "NoResources", text: "System busy", count: 3 });
    const run = spawnCliInTerminal(["contribute", input, ...simFlags(shared.sim)], {
      env: simEnv(shared.sim),
      input: "",
      timeoutMs: 30_000,
    });
    const result = await run.exited;
    expect(result.code).toBe(0);
    const draws = result.stdout.split(REDRAW).slice(1);
    expect(draws.some((draw) => /^0% {2}ETA \? {2}waiting for a token {2}sent 0/.test(draw))).toBe(true);
    // The wait after "System busy" is a random part of a second; the next attempt's line names the cause too.
    expect(
      draws.some((draw) =>
        /(System busy\)?: retrying in \d+ s|\(attempt \d, after: .*System busy.*\)) {2}sent/.test(draw),
      ),
    ).toBe(true);
    expect(result.stdout).toMatch(/2 rows: 2 acked/);
  }, 40_000);

  it("asks for a missing password on the terminal without echoing it", async () => {
    const password = shared.sim.accounts[0]!.password;
    const run = spawnCliInTerminal(["token", ...simFlags(shared.sim)]);
    await run.waitFor(/Password for GE-A-00000001-1-0001: /);
    run.child.stdin?.write(`${password}\r`);
    const result = await run.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /token for GE-A-00000001-1-0001 from http:\/\/127\.0\.0\.1:\d+\/auth\/oauth2\/v1\/token: valid for \d+ s/,
    );
    expect(result.stdout).not.toContain(password);
  });
});
