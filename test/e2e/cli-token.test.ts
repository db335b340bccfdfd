/**
 * `rcc token` end to end: checks credentials, says whom the token is for and when it expires, never prints the
 * token unless --show-token, and exits 3 on a wrong password.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { runCli, simEnv, stopAllCli, tempFiles, type TokenRecorder, tokenRecorder } from "../helpers/cli.js";
import { startConnectProxy } from "../helpers/connect-proxy.js";

let sim: RunningSimulator;
let recorder: TokenRecorder;
const files = tempFiles();

beforeAll(async () => {
  sim = await startSimulator({ accessTokenLifetimeSec: 300 });
  recorder = await tokenRecorder(sim.authUrl);
});
afterEach(async () => {
  sim.faults.clear();
  await stopAllCli();
});
afterAll(async () => {
  await recorder.close();
  await sim.close();
  files.remove();
});

function tokenArgs(...extra: string[]): string[] {
  return ["token", "--auth-url", recorder.url, "--user", sim.accounts[0]!.user, ...extra];
}

describe("rcc token", () => {
  it("says whom the token is for and when it expires, without printing it", async () => {
    recorder.tokens.clear();
    const result = await runCli(tokenArgs(), { env: simEnv(sim) });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^token for GE-A-00000001-1-0001 from http:\/\/127\.0\.0\.1:\d+\/auth\/oauth2\/v1\/token: valid for (29\d|300) s \(until \d{4}-\d\d-\d\dT[\d:.]+Z\)\n$/,
    );
    expect(recorder.tokens.size).toBeGreaterThan(0);
    for (const token of recorder.tokens) expect(result.stdout + result.stderr).not.toContain(token);
  });

  it("prints the access token only with --show-token, as JSON with --json", async () => {
    recorder.tokens.clear();
    const result = await runCli(tokenArgs("--show-token", "--json"), { env: simEnv(sim) });
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(output).toMatchObject({ user: "GE-A-00000001-1-0001", expiresInSec: expect.any(Number) });
    expect(recorder.tokens.has(output.accessToken as string)).toBe(true);
  });

  it("prints the token on its own line after the summary with --show-token", async () => {
    recorder.tokens.clear();
    const result = await runCli(tokenArgs("--show-token"), { env: simEnv(sim) });
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(recorder.tokens.has(lines[1]!)).toBe(true);
  });

  it("goes through HTTP_PROXY like the other commands (a host the proxy maps, never resolved here)", async () => {
    const proxy = await startConnectProxy();
    try {
      const port = new URL(sim.authUrl).port;
      const authUrl = `http://rcc-sim.invalid:${port}/auth/oauth2/v1/token`;
      const result = await runCli(["token", "--auth-url", authUrl, "--user", sim.accounts[0]!.user], {
        env: { ...simEnv(sim), HTTP_PROXY: proxy.url, NO_PROXY: "" },
      });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^token for GE-A-00000001-1-0001 from http:\/\/rcc-sim\.invalid:/);
      expect(proxy.targets).toContain(`rcc-sim.invalid:${port}`);
    } finally {
      await proxy.close();
    }
  });

  it("accepts the WebSocket-only flags hidden from its help, on the command line, in the environment and a config file", async () => {
    const webSocketFlags = ["--url", sim.wsUrls[0]!, "--app-id", "257", "--position", "10.0.0.1/host"];
    const more = ["--service", "ELEKTRON_DD", "--login-name", "jdoe", "--trace"];
    const flags = await runCli(tokenArgs(...webSocketFlags, ...more), { env: simEnv(sim) });
    expect(flags.stderr).toBe("");
    expect(flags.code).toBe(0);
    expect(flags.stdout).toMatch(/^token for GE-A-00000001-1-0001 from /);
    // A user-name Login has no token: for rcc token it does not apply, and the token login's credentials are used.
    const env = await runCli(tokenArgs(), {
      env: { ...simEnv(sim), RCC_HOSTNAME: "rcc.invalid", RCC_PORT: "443", RCC_LOGIN_NAME: "jdoe" },
    });
    expect(env.code).toBe(0);
    expect(env.stdout).toMatch(/^token for GE-A-00000001-1-0001 from /);
    const noUser = await runCli(["token", "--auth-url", recorder.url], { env: { RCC_LOGIN_NAME: "jdoe" } });
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toBe("rcc: missing --user (or RCC_USER)\n");
    const config = files.write(
      "shared.json",
      JSON.stringify({ urls: sim.wsUrls, service: "DDS_TRCE", postMode: "on-stream", loginName: "jdoe" }),
    );
    const fromConfig = await runCli(tokenArgs("--config", config), { env: simEnv(sim) });
    expect(fromConfig.code).toBe(0);
    expect(fromConfig.stdout).toMatch(/^token for GE-A-00000001-1-0001 from /);
  });

  it("exits 3 with one clear line on a wrong password", async () => {
    const result = await runCli(tokenArgs(), { env: { RCC_PASSWORD: "wrong-password" } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^rcc: authentication failed: .*invalid_grant.*\n$/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stdout).toBe("");
  });

  it.each([401, 403])("exits 3 when the token endpoint answers HTTP %i", async (status) => {
    sim.faults.add({ type: "token-errors", status, count: 5 });
    const result = await runCli(tokenArgs(), { env: simEnv(sim) });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^rcc: authentication failed: .*${status}.*\\n$`));
  });

  it("exits 4 and says to retry later when the token endpoint keeps answering HTTP 503", async () => {
    sim.faults.add({ type: "token-errors", status: 503 });
    const result = await runCli(tokenArgs(), { env: simEnv(sim) });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      /^rcc: cannot get a token: .*HTTP 503.* — the token service is failing: try again later\n$/,
    );
  });

  it.each(["token", "post"])(
    "`rcc %s` with a token URL that answers HTTP 404 says the endpoint was not found and exits 4, not 3",
    async (command) => {
      // The simulator answers every other path of its HTTP server with 404, as a wrong --auth-url would meet.
      const wrongUrl = new URL("/auth/oauth2/v2/tokens", sim.authUrl).toString();
      const args = ["--auth-url", wrongUrl, "--user", sim.accounts[0]!.user];
      const extra = command === "post" ? ["--url", sim.wsUrls[0]!, "--ric", "TRCCTEST01", "--field", "BID=1"] : [];
      const result = await runCli([command, ...args, ...extra], { env: simEnv(sim) });
      expect(result.stderr).toBe(
        `rcc: token endpoint not found (HTTP 404) at ${wrongUrl} — check --auth-url (or --env)\n`,
      );
      expect(result.code).toBe(4);
      expect(result.stdout).toBe("");
    },
  );
});
