/** The hint of a session that gave up reconnecting names the cause of the last attempt, not always the network. */
import { describe, expect, it } from "vitest";
import { toCliError } from "../../src/cli/connect.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { AuthUnavailableError, ConnectionLostError, LoginRefusedError } from "../../src/client/errors.js";

function gaveUp(cause: Error): ConnectionLostError {
  return new ConnectionLostError(`gave up reconnecting after 300 s (41 attempts): ${cause.message}`, {
    cause,
    retriable: false,
  });
}

describe("the hint after reconnecting gave up", () => {
  it("a refused Login points at the server and the account, with the server's words in the message", () => {
    const error = toCliError(gaveUp(new LoginRefusedError("Closed", "NoResources", "System busy", true)));
    expect(error.exitCode).toBe(EXIT.connection);
    expect(error.message).toMatch(
      /System busy.* — the server refused the Login; try again later, or check the account$/,
    );
  });

  it("a failing token endpoint is named as such, whatever wraps it", () => {
    const error = toCliError(gaveUp(new AuthUnavailableError("token endpoint answered HTTP 503")));
    expect(error.message).toBe(
      "cannot get a token: token endpoint answered HTTP 503 — check --auth-url and the network",
    );
  });

  it("a network failure points at --url and the network", () => {
    const error = toCliError(gaveUp(new Error("connect ECONNREFUSED 127.0.0.1:9")));
    expect(error.message).toMatch(/ECONNREFUSED 127\.0\.0\.1:9 — check --url and the network$/);
  });
});
