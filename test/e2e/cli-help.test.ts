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
    expect(result.stdout).toMatch(/^Errors: one line on stderr starting with "rcc: "/m);
    expect(result.stdout).toContain('{"error":{"code","message","exitCode"}} on stdout');
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

  it("rcc token --help lists only the flags of a token request, not the WebSocket-only ones", async () => {
    const result = await runCli(["token", "--help"]);
    expect(result.code).toBe(0);
    const listed = [...result.stdout.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((match) => match[1]);
    expect(listed).toEqual([
      "--user",
      "--password",
      "--password-file",
      "--clientid",
      "--auth-url",
      "--env",
      "--scope",
      "--ca",
      "--config",
      "--connect-timeout",
      "--log-level",
      "--log-format",
      "--json",
      "--verbose",
      "--show-token",
      "--help",
    ]);
    // Said once, in the text after the options: accepted for a shared command line, but not used.
    expect(result.stdout).toMatch(/WebSocket-only flags \(--url,\s+--hostname, .*--trace\) are accepted but not used/s);
  });

  it("rcc post --help still lists the WebSocket flags", async () => {
    const result = await runCli(["post", "--help"]);
    for (const flag of ["--url", "--hostname", "--port", "--scheme", "--app-id", "--position", "--service"]) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${flag} `, "m"));
    }
    expect(result.stdout).toMatch(/^ {2}--login-name <user>/m);
    expect(result.stdout).toMatch(/^ {2}--trace /m);
  });

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
