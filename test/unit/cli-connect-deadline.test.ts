import { describe, expect, it } from "vitest";
import { connectDeadlineError, formatDuration, withConnectDeadline } from "../../src/cli/connect.js";
import { CliError, EXIT } from "../../src/cli/exit-codes.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, exposedFileWarning, parseConnectTimeout } from "../../src/cli/settings.js";

const STEP = { waitingFor: "the token endpoint http://127.0.0.1:9/token", hint: "check --auth-url" };

describe("connect deadline", () => {
  it("shows durations in milliseconds below a second and in seconds above", () => {
    expect(formatDuration(500)).toBe("500 ms");
    expect(formatDuration(2000)).toBe("2 s");
    expect(formatDuration(2500)).toBe("2.5 s");
    expect(formatDuration(30_000)).toBe("30 s");
  });

  it("names the step it waited for and ends with exit code 4", () => {
    const error = connectDeadlineError(STEP, 30_000);
    expect(error).toBeInstanceOf(CliError);
    expect(error.exitCode).toBe(EXIT.connection);
    expect(error.message).toBe(
      "timed out after 30 s waiting for the token endpoint http://127.0.0.1:9/token — check --auth-url, or raise --connect-timeout",
    );
  });

  it("passes the work's result or failure through when it settles in time", async () => {
    const abort = () => Promise.reject(new Error("must not abort"));
    await expect(withConnectDeadline(Promise.resolve(42), 1000, () => STEP, abort)).resolves.toBe(42);
    await expect(withConnectDeadline(Promise.reject(new Error("refused")), 1000, () => STEP, abort)).rejects.toThrow(
      "refused",
    );
  });

  it("asks for the step before aborting, aborts the work, then fails naming the step", async () => {
    const events: string[] = [];
    let rejectWork: (error: Error) => void = () => undefined;
    const work = new Promise<never>((_resolve, reject) => (rejectWork = reject));
    const failure = withConnectDeadline(
      work,
      20,
      () => {
        events.push("step");
        return STEP;
      },
      () => {
        events.push("abort");
        rejectWork(new Error("closed"));
        return Promise.resolve();
      },
    );
    await expect(failure).rejects.toMatchObject({
      exitCode: EXIT.connection,
      message: /after 20 ms waiting for the token/,
    });
    expect(events).toEqual(["step", "abort"]);
  });

  it("reads the timeout as whole milliseconds from a flag, a variable or a config number, 30 s by default", () => {
    expect(parseConnectTimeout(undefined)).toBe(DEFAULT_CONNECT_TIMEOUT_MS);
    expect(DEFAULT_CONNECT_TIMEOUT_MS).toBe(30_000);
    expect(parseConnectTimeout("2000")).toBe(2000);
    expect(parseConnectTimeout(1500)).toBe(1500);
    for (const bad of ["0", "-5", "2s", "1.5", "", 0, 2.5, true]) {
      expect(() => parseConnectTimeout(bad), String(bad)).toThrow(/--connect-timeout must be a positive whole number/);
    }
  });
});

describe("secret file permissions", () => {
  it("warns, as ssh does, about a secret file other users may read or write, naming it, its mode and the fix", () => {
    expect(exposedFileWarning("/home/me/.rcc-pw", 0o644, "password file", "linux")).toBe(
      "rcc: warning: the password file '/home/me/.rcc-pw' is accessible by other users (mode 0644); make it private: chmod 600 /home/me/.rcc-pw",
    );
    expect(exposedFileWarning("/p", 0o620, "password file", "linux")).toMatch(/mode 0620/);
    expect(exposedFileWarning("/p", 0o601, "password file", "linux")).toMatch(/mode 0601/);
  });

  it("says nothing about a private file, nor on Windows where the mode means nothing", () => {
    expect(exposedFileWarning("/p", 0o600, "password file", "linux")).toBeUndefined();
    expect(exposedFileWarning("/p", 0o400, "password file", "linux")).toBeUndefined();
    expect(exposedFileWarning("/p", 0o700, "password file", "darwin")).toBeUndefined();
    expect(exposedFileWarning("C:\\pw", 0o666, "password file", "win32")).toBeUndefined();
  });

  it("quotes a path with spaces or quotes in the chmod it suggests", () => {
    expect(exposedFileWarning("/tmp/my pw", 0o644, "password file", "linux")).toMatch(/chmod 600 '\/tmp\/my pw'$/);
    expect(exposedFileWarning("/tmp/it's", 0o644, "password file", "linux")).toMatch(/chmod 600 '\/tmp\/it'\\''s'$/);
  });
});
