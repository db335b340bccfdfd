/**
 * How the built `rcc` fails: every error line starts with `rcc: ` (commander's usage errors included, its
 * suggestions kept), usage errors exit 1, and with `--json` every command also prints one JSON error object on
 * stdout — masked as stderr is, and never echoing a secret from the command line.
 */
import { afterAll, describe, expect, it } from "vitest";
import { closedPort, runCli, simEnv, simFlags, tempFiles, useSharedSimulator } from "../helpers/cli.js";

const shared = useSharedSimulator();
const files = tempFiles();
afterAll(() => files.remove());

/** The one JSON error object a failed `--json` run printed on stdout. */
interface JsonError {
  error: { code: string; message: string; exitCode: number };
}

/** The last line of stdout, parsed. */
function lastJson(stdout: string): JsonError {
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as JsonError;
}

/** Every non-empty line of `text`. */
function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

describe("usage errors", () => {
  it.each([
    [["post", "--ric", "TRCCTEST01", "--field", "BID=1", "--bogus"], "rcc: unknown option '--bogus'"],
    [["post", "--rci", "TRCCTEST01"], "rcc: unknown option '--rci' (Did you mean --ric?)"],
    [["contribute", "a.csv", "b.csv"], "rcc: too many arguments for 'contribute'. Expected 1 argument but got 2."],
    [["contribut"], "rcc: unknown command 'contribut' (Did you mean contribute?)"],
    [["post", "--field", "BID=1"], "rcc: required option '--ric <ric>' not specified"],
    [["contribute"], "rcc: missing required argument 'file'"],
    [["token", "--env", "uat"], "rcc: option '--env <env>' argument 'uat' is invalid. Allowed choices are ppe, prod."],
    [["simulate", "--bogus"], "rcc: unknown option '--bogus'"],
  ])("rcc %j prints one line starting with rcc: and exits 1", async (args, line) => {
    const result = await runCli(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.stdout).toBe("");
  });

  it("keeps the value of a mistyped --name=value option out of the message", async () => {
    const result = await runCli(["post", "--ric", "TRCCTEST01", "--pasword=hunter2-secret", "--json"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("rcc: unknown option '--pasword=…'\n");
    expect(result.stdout + result.stderr).not.toContain("hunter2-secret");
  });

  it("with --json also prints the error as one JSON object on stdout, without echoing a --password", async () => {
    const args = ["post", "--ric", "TRCCTEST01", "--password", "hunter2-secret", "--bogus", "--json"];
    const result = await runCli(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("rcc: unknown option '--bogus'\n");
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: "RCC_CLI_USAGE", message: "unknown option '--bogus'", exitCode: 1 },
    });
    expect(result.stdout + result.stderr).not.toContain("hunter2-secret");
  });

  it("prints no JSON object for a --json given after -- (an argument, not the flag)", async () => {
    const result = await runCli(["contribute", "a.csv", "--bogus", "--", "--json"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
  });
});

describe("fatal errors with --json print one JSON error object on stdout, and the rcc: line on stderr", () => {
  it("rcc post: a wrong password (exit 3) with the library's code", async () => {
    const result = await runCli(
      ["post", ...simFlags(shared.sim), "--ric", "TRCCTEST01", "--field", "BID=1", "--json"],
      {
        env: { RCC_PASSWORD: "wrong-password" },
      },
    );
    expect(result.code).toBe(3);
    const stderr = lines(result.stderr);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/^rcc: authentication failed: /);
    const { error } = lastJson(result.stdout);
    expect(error).toEqual({ code: "RCC_AUTH_INVALID_CREDENTIALS", message: stderr[0]!.slice(5), exitCode: 3 });
    expect(lines(result.stdout)).toHaveLength(1);
  });

  it("rcc token: a token endpoint that is not there (exit 4)", async () => {
    const authUrl = `${shared.sim.adminUrl}/no/token/here`;
    const result = await runCli(["token", ...simFlags(shared.sim, authUrl), "--json"], { env: simEnv(shared.sim) });
    expect(result.code).toBe(4);
    expect(lastJson(result.stdout).error).toMatchObject({ code: "RCC_AUTH_ENDPOINT_NOT_FOUND", exitCode: 4 });
    expect(lastJson(result.stdout).error.message).toMatch(/^token endpoint not found \(HTTP 404\)/);
  });

  it("rcc demo: a Login refused with a text quoting the password, masked on stdout as on stderr (exit 3)", async () => {
    const password = shared.sim.accounts[0]!.password;
    shared.sim.faults.add({ type: "reject-logins", code: "NotEntitled", text: `no entry for ${password}` });
    const result = await runCli(["demo", ...simFlags(shared.sim), "--count", "1", "--json"], {
      env: simEnv(shared.sim),
    });
    expect(result.code).toBe(3);
    const { error } = lastJson(result.stdout);
    expect(error).toMatchObject({ code: "RCC_LOGIN_REFUSED", exitCode: 3 });
    expect(error.message).toContain("[redacted]");
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  it("rcc contribute: a missing user before reading any row (exit 1)", async () => {
    const input = files.write("rows.csv", "RIC,BID\nTRCCTEST01,1\n");
    const result = await runCli(["contribute", input, "--url", shared.sim.wsUrls[0]!, "--json"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rcc: missing --user/);
    expect(lastJson(result.stdout).error).toMatchObject({ code: "RCC_CLI_USAGE", exitCode: 1 });
    expect(lines(result.stdout)).toHaveLength(1);
  });

  it("rcc contribute --report -: the report owns stdout, so the error object goes to stderr after the line", async () => {
    const result = await runCli(["contribute", "-", "--report", "-", "--url", shared.sim.wsUrls[0]!, "--json"], {
      input: "RIC,BID\nTRCCTEST01,1\n",
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const [line, json, ...rest] = lines(result.stderr);
    expect(line).toMatch(/^rcc: missing --user/);
    expect(JSON.parse(json ?? "")).toMatchObject({ error: { code: "RCC_CLI_USAGE", exitCode: 1 } });
    expect(rest).toEqual([]);
  });

  it("rcc watch: nothing listening at --url within --connect-timeout (exit 4)", async () => {
    const url = `ws://127.0.0.1:${await closedPort()}/WebSocket`;
    const args = ["watch", "TRCCTEST01", "--url", url, "--login-name", "jdoe", "--connect-timeout", "1500", "--json"];
    const result = await runCli(args);
    expect(result.code).toBe(4);
    expect(lastJson(result.stdout).error).toMatchObject({ code: "RCC_CLI_CONNECT_TIMEOUT", exitCode: 4 });
  });

  it("rcc simulate: a config file that cannot be read (exit 1)", async () => {
    const result = await runCli(["simulate", "--config", `${files.dir}/missing.json`, "--json"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`rcc: cannot read the config file '${files.dir}/missing.json': ENOENT\n`);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: "RCC_CLI_USAGE",
        message: `cannot read the config file '${files.dir}/missing.json': ENOENT`,
        exitCode: 1,
      },
    });
  });

  it("without --json, stdout stays empty on a fatal error", async () => {
    const result = await runCli(["post", ...simFlags(shared.sim), "--ric", "TRCCTEST01", "--field", "BID=1"], {
      env: { RCC_PASSWORD: "wrong-password" },
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
  });
});
