/**
 * The words of a failure (error-output.ts, exit-codes.ts): commander's usage errors made `rcc: ` lines, the
 * `--json` error object, and the stable codes a CliError carries.
 */
import { describe, expect, it } from "vitest";
import { errorLine, jsonErrorLine, usageErrorMessage } from "../../src/cli/error-output.js";
import { CliError, cliErrorCode, EXIT } from "../../src/cli/exit-codes.js";

describe("usage errors", () => {
  it("drops commander's error: and keeps its suggestion on the same line", () => {
    expect(usageErrorMessage("error: unknown option '--rci'\n(Did you mean --ric?)\n")).toBe(
      "unknown option '--rci' (Did you mean --ric?)",
    );
    expect(usageErrorMessage("error: missing required argument 'file'\n")).toBe("missing required argument 'file'");
  });

  it("never echoes the value of an unknown --name=value option (a mistyped --password=…)", () => {
    expect(usageErrorMessage("error: unknown option '--pasword=hunter2'\n")).toBe("unknown option '--pasword=…'");
    expect(usageErrorMessage("error: unknown option '--pasword=two words, = and :'\n")).toBe(
      "unknown option '--pasword=…'",
    );
  });
});

describe("error lines and objects", () => {
  it("prefixes every error line with rcc: and escapes what a terminal would act on", () => {
    expect(errorLine("cannot connect")).toBe("rcc: cannot connect\n");
    expect(errorLine("Login denied\x1b[2J\nack TRCCTEST01")).toBe("rcc: Login denied\\x1b[2J\\nack TRCCTEST01\n");
  });

  it("renders one JSON line that parses back to the code, the whole message and the exit code", () => {
    const line = jsonErrorLine({ code: "RCC_LOGIN_REFUSED", message: "denied \u202e\x1b[2J", exitCode: 3 });
    expect(line.endsWith("\n")).toBe(true);
    for (const raw of ["\n", "\u202e", "\x1b"]) expect(line.trimEnd()).not.toContain(raw);
    expect(JSON.parse(line)).toEqual({
      error: { code: "RCC_LOGIN_REFUSED", message: "denied \u202e\x1b[2J", exitCode: 3 },
    });
  });

  it("gives a CliError the CLI's code for its exit code unless a library code is passed", () => {
    expect(new CliError("missing --url", EXIT.usage).code).toBe("RCC_CLI_USAGE");
    expect(new CliError("could not connect", EXIT.connection).code).toBe("RCC_CLI_CONNECTION");
    expect(new CliError("wrong password", EXIT.auth, "RCC_AUTH_INVALID_CREDENTIALS").code).toBe(
      "RCC_AUTH_INVALID_CREDENTIALS",
    );
    expect(cliErrorCode(EXIT.ackTimeout)).toBe("RCC_CLI_ACK_TIMEOUT");
    expect(cliErrorCode(99)).toBe("RCC_CLI_ERROR");
  });
});
