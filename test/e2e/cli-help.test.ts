/**
 * `rcc --help`, `rcc <command> --help`, `--version` and usage errors, from the built CLI (every command
 * has --help with examples; the exit codes are documented in --help).
 */
import { afterEach, describe, expect, it } from "vitest";
import { runCli, stopAllCli } from "../helpers/cli.js";

const EXIT_CODE_LINES = [
  /^\s+0\s+\S/m,
  /^\s+1\s+bad usage/m,
  /^\s+2\s+.*Nak/m,
  /^\s+3\s+auth/m,
  /^\s+4\s+could not connect/m,
  /^\s+5\s+ack timeout/m,
  /^\s+130\s+interrupted/m,
];

afterEach(stopAllCli);

describe("rcc --help", () => {
  it("lists every command and the exit codes", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["demo", "post", "contribute", "token", "simulate"]) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    }
    for (const line of EXIT_CODE_LINES) expect(result.stdout).toMatch(line);
  });

  it.each(["demo", "post", "contribute", "token"])(
    "rcc %s --help shows examples of that command and every exit code",
    async (command) => {
      const result = await runCli([command, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: rcc ${command}`);
      expect(result.stdout).toMatch(/Examples:\n/);
      expect(result.stdout).toMatch(new RegExp(`^\\s+(?:\\S+=\\S+ )?rcc ${command}\\b`, "m"));
      for (const line of EXIT_CODE_LINES) expect(result.stdout).toMatch(line);
      expect(result.stderr).toBe("");
    },
  );

  it("rcc simulate --help shows examples and its own exit codes", async () => {
    const result = await runCli(["simulate", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\s+rcc simulate --json/m);
    expect(result.stdout).toMatch(/Exit codes:\n\s+0\s+stopped with Ctrl\+C/);
  });

  it("rcc --version prints the package version", async () => {
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("usage errors exit 1 with one line on stderr", () => {
  it("rejects an unknown flag", async () => {
    const result = await runCli(["post", "--ric", "TRCCTEST01", "--field", "BID=1", "--bogus"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown option '--bogus'/);
    expect(result.stdout).toBe("");
  });

  it("rejects an unknown command and suggests the closest one", async () => {
    const result = await runCli(["contribut"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown command 'contribut'/);
    expect(result.stderr).toMatch(/contribute/);
  });

  it("names a missing --ric on rcc post", async () => {
    const result = await runCli(["post", "--field", "BID=1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/required option '--ric <ric>' not specified/);
  });

  it("rejects a --field without NAME=VALUE before connecting", async () => {
    const result = await runCli(["post", "--ric", "TRCCTEST01", "--field", "BID"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("rcc: --field 'BID' must look like NAME=VALUE, e.g. BID=451.55");
  });

  it("rejects a bad --interval and a bad --env choice", async () => {
    const interval = await runCli(["demo", "--interval", "0"]);
    expect(interval.code).toBe(1);
    expect(interval.stderr).toMatch(/--interval must be a positive number, got '0'/);
    const env = await runCli(["token", "--env", "uat"]);
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/'uat' is invalid.*ppe, prod/s);
  });
});
