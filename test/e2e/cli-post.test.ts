/**
 * `rcc post` end to end against the simulator: one contribution, its outcome on stdout, and every exit code a
 * single post can end with (0 ack, 1 bad input, 2 Nak or content Error, 3 authentication failed,
 * 4 host unreachable, 5 ack timeout).
 */
import { describe, expect, it } from "vitest";
import { closedPort, runCli, simEnv, simFlags, useSharedSimulator } from "../helpers/cli.js";

const shared = useSharedSimulator();

function post(...args: string[]) {
  return runCli(["post", ...simFlags(shared.sim), ...args], { env: simEnv(shared.sim) });
}

describe("rcc post", () => {
  it("exits 0 on an Ack and the simulator holds the parsed values (number, quoted text, null, ISO date)", async () => {
    const result = await post(
      "--ric",
      "TRCCTEST07",
      "--field",
      "BID=451.55",
      "--field",
      'DSPLY_NAME="Hello RCC"',
      "--field",
      "ASK=null",
      "--field",
      "ACTIV_DATE=2026-11-25",
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ack\s+TRCCTEST07 post \d+ \([\d.]+ ms\)\n$/);
    expect(result.stderr).toBe("");
    const posted = shared.sim.state.contributions("TRCCTEST07").at(-1);
    expect(posted?.fields).toEqual({ BID: 451.55, DSPLY_NAME: "Hello RCC", ASK: null, ACTIV_DATE: "2026-11-25" });
  });

  it("prints the outcome as one JSON object with --json", async () => {
    const result = await post("--ric", "TRCCTEST01", "--field", "BID=1.5", "--json");
    expect(result.code).toBe(0);
    const outcome = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(outcome).toMatchObject({ ric: "TRCCTEST01", outcome: "ack" });
    expect(outcome.postId).toEqual(expect.any(Number));
  });

  it("exits 2 on a Nak (unknown RIC → SymbolUnknown) and prints the Nak code and text", async () => {
    const result = await post("--ric", "NOT.A.RIC", "--field", "BID=1", "--json");
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ric: "NOT.A.RIC",
      outcome: "nak",
      nakCode: "SymbolUnknown",
      text: "Symbol unknown",
    });
  });

  it("exits 2 on a content Error (a field the dictionary does not know)", async () => {
    const result = await post("--ric", "TRCCTEST01", "--field", "NO_SUCH_FLD=1");
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^error TRCCTEST01 post \d+: .*NO_SUCH_FLD/);
  });

  it("exits 1 without connecting when a well-known numeric field is not a number", async () => {
    const posts = shared.sim.state.snapshot(Date.now()).counters.posts;
    const result = await post("--ric", "TRCCTEST01", "--field", "BID=abc");
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("rcc: --field BID must be a number, got 'abc'");
    expect(shared.sim.state.snapshot(Date.now()).counters.posts).toBe(posts);
  });

  it("exits 3 with one clear line on a wrong password (InvalidCredentials)", async () => {
    const result = await runCli(["post", ...simFlags(shared.sim), "--ric", "TRCCTEST01", "--field", "BID=1"], {
      env: { RCC_PASSWORD: "not-the-password" },
    });
    expect(result.code).toBe(3);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rcc: authentication failed: .*invalid_grant.*check --user, the password/);
    expect(result.stderr).not.toContain("not-the-password");
  });

  it("exits 4 with one clear line when the RCC host is unreachable (a closed port)", async () => {
    const port = await closedPort();
    const result = await runCli(
      [
        "post",
        "--auth-url",
        shared.sim.authUrl,
        "--url",
        `ws://127.0.0.1:${port}/WebSocket`,
        "--user",
        shared.sim.accounts[0]!.user,
        "--ric",
        "TRCCTEST01",
        "--field",
        "BID=1",
      ],
      { env: simEnv(shared.sim) },
    );
    expect(result.code).toBe(4);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^rcc: could not connect: .*127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });

  it("exits 4 when the token endpoint is unreachable", async () => {
    const port = await closedPort();
    const result = await runCli(
      [
        "post",
        ...simFlags(shared.sim, `http://127.0.0.1:${port}/auth/oauth2/v1/token`),
        "--ric",
        "TRCCTEST01",
        "--field",
        "BID=1",
      ],
      { env: simEnv(shared.sim) },
    );
    expect(result.code).toBe(4);
    // One error line, after the waiting notes of the retries that took over 2 s (rcc: waiting for …).
    const lines = result.stderr.trim().split("\n");
    expect(lines.at(-1)).toMatch(/^rcc: cannot get a token: .* — check --auth-url and the network$/);
    for (const note of lines.slice(0, -1))
      expect(note).toMatch(/^rcc: (waiting for the token endpoint|attempt \d+ failed)/);
  });

  it("exits 5 when no Ack comes within --ack-timeout (fault drop-acks)", async () => {
    shared.sim.faults.add({ type: "drop-acks" });
    const result = await post("--ric", "TRCCTEST01", "--field", "BID=1", "--ack-timeout", "300", "--json");
    expect(result.code).toBe(5);
    expect(JSON.parse(result.stdout)).toMatchObject({ ric: "TRCCTEST01", outcome: "timeout" });
  });

  it("warns on stderr that --password is visible to other users, and still works", async () => {
    const result = await runCli([
      "post",
      ...simFlags(shared.sim),
      "--password",
      shared.sim.accounts[0]!.password,
      "--ric",
      "TRCCTEST01",
      "--field",
      "BID=2",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^rcc: warning: --password is visible to other users of this machine/);
    expect(result.stderr).not.toContain(shared.sim.accounts[0]!.password);
  });

  it("exits 1 with one clear line when no password is given and stdin is not a terminal", async () => {
    const result = await runCli(["post", ...simFlags(shared.sim), "--ric", "TRCCTEST01", "--field", "BID=1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "rcc: missing password: use --password-file, RCC_PASSWORD, or run in a terminal to be asked\n",
    );
  });

  it("exits 1 with one clear line naming what is missing when there is no user or token endpoint", async () => {
    const result = await runCli(["post", "--url", shared.sim.wsUrls[0]!, "--ric", "TRCCTEST01", "--field", "BID=1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("rcc: missing --user (or RCC_USER), --auth-url or --env ppe|prod (or RCC_AUTH_URL)\n");
    expect(result.stdout).toBe("");
  });
});
