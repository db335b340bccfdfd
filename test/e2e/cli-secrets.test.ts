/**
 * Secrets stay secret: no password, access token or refresh token appears on stdout or stderr of any
 * connected command, at the most verbose log level, in both log formats — including across token refreshes and
 * re-logins. The tokens are those the token endpoint actually issued, recorded by a pass-through in front of it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { runCli, simEnv, stopAllCli, tempFiles, type TokenRecorder, tokenRecorder } from "../helpers/cli.js";

let sim: RunningSimulator;
let recorder: TokenRecorder;
const files = tempFiles();

beforeAll(async () => {
  // A 2 s token is refreshed at half its life, every second: the demo below (3 s) sees refresh grants and re-logins.
  sim = await startSimulator({ accessTokenLifetimeSec: 2 });
  recorder = await tokenRecorder(sim.authUrl);
});
afterEach(stopAllCli);
afterAll(async () => {
  await recorder.close();
  await sim.close();
  files.remove();
});

function connection(): string[] {
  return ["--auth-url", recorder.url, "--url", sim.wsUrls[0]!, "--user", sim.accounts[0]!.user];
}

const COMMANDS: Record<string, () => string[]> = {
  demo: () => ["demo", ...connection(), "--count", "6", "--interval", "0.5"],
  post: () => ["post", ...connection(), "--ric", "TRCCTEST01", "--field", "BID=1.25"],
  contribute: () => ["contribute", files.write("rows.csv", "RIC,BID\nTRCCTEST01,1\nNOT.A.RIC,2\n"), ...connection()],
  token: () => ["token", ...connection()],
};

describe.each(["json", "pretty"])("with --log-level trace --log-format %s", (format) => {
  it.each(Object.keys(COMMANDS))("rcc %s prints no password and no token", async (command) => {
    recorder.tokens.clear();
    const result = await runCli([...COMMANDS[command]!(), "--log-level", "trace", "--log-format", format], {
      env: simEnv(sim),
      timeoutMs: 30_000,
    });
    expect(result.code, result.stderr).toBeLessThanOrEqual(2);
    expect(result.stderr).toMatch(format === "json" ? /"level":(10|20|30)/ : /^\d\d:\d\d:\d\d (TRACE|DEBUG|INFO) /m);
    expect(recorder.tokens.size).toBeGreaterThanOrEqual(2); // an access and a refresh token at least
    if (command === "demo") expect(recorder.tokens.size).toBeGreaterThanOrEqual(4); // and a refresh grant
    const secrets = [sim.accounts[0]!.password, ...recorder.tokens];
    for (const secret of secrets) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
  });
});

it("rcc token --show-token is the one way to see a token", async () => {
  recorder.tokens.clear();
  const result = await runCli(["token", ...connection(), "--show-token", "--log-level", "trace"], { env: simEnv(sim) });
  expect(result.code).toBe(0);
  const shown = [...recorder.tokens].filter((token) => result.stdout.includes(token));
  expect(shown).toHaveLength(1);
  expect(result.stderr).not.toContain(shown[0]);
  expect(result.stdout + result.stderr).not.toContain(sim.accounts[0]!.password);
});
