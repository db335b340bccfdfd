/** User-name logins (RCC through an on-site ADS, §4A.5): option checks, the Login, and which refusals are fatal. */
import { describe, expect, test } from "vitest";
import { Contributor } from "../../src/client/contributor.js";
import { type AuthBuildContext, type AuthOptions, resolveAuth } from "../../src/client/contributor-auth.js";
import { LoginTokens, isFatalLoginRefusal } from "../../src/client/connection/login-tokens.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/logger.js";

const context: AuthBuildContext = {
  clock: new ManualClock(0),
  random: () => 0.5,
  log: silentLogger,
  proxy: false,
  tls: {},
};

function resolve(options: unknown) {
  return resolveAuth(options as AuthOptions, context);
}

describe("user-name login options", () => {
  test("auth: { userName } logs in by name, with nothing to start or stop", async () => {
    const resolved = resolve({ auth: { userName: "jdoe" } });
    expect(resolved.login).toEqual({ kind: "name", name: "jdoe" });
    expect(resolved.owned).toBe(false);
    resolved.start();
    await expect(resolved.dispose()).resolves.toBeUndefined();
  });

  test("an empty, blank or control-character user name is refused without echoing it", () => {
    for (const userName of ["", "   ", "jdoe\n", 42]) {
      expect(() => resolve({ auth: { userName } })).toThrow(
        expect.objectContaining({ code: "RCC_INVALID_OPTIONS", message: expect.stringContaining("auth.userName") }),
      );
    }
    let message = "";
    try {
      resolve({ auth: { userName: "sec\u0007ret" } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/auth\.userName must be/);
    expect(message).not.toContain("sec");
  });

  test("a user-name login mixed with token fields is refused, naming the fields", () => {
    expect(() => resolve({ auth: { userName: "jdoe" }, password: "x", authUrl: "https://a" })).toThrow(
      "a user-name login (auth.userName) excludes authUrl, password",
    );
  });

  test("an auth that is neither a provider nor a user-name login is refused", () => {
    expect(() => resolve({ auth: { name: "jdoe" } })).toThrow(/auth must implement AuthProvider or be a user-name/);
  });

  test("the Contributor constructor takes a user-name login and validates it", () => {
    expect(() => new Contributor({ urls: ["ws://127.0.0.1:1/WebSocket"], auth: { userName: "jdoe" } })).not.toThrow();
    expect(() => new Contributor({ urls: ["ws://127.0.0.1:1/WebSocket"], auth: { userName: "" } })).toThrow(
      expect.objectContaining({ code: "RCC_INVALID_OPTIONS" }),
    );
    expect(
      () =>
        new Contributor({
          urls: ["ws://127.0.0.1:1/WebSocket"],
          auth: { userName: "jdoe" },
          postMode: "sideways" as "on-stream",
        }),
    ).toThrow(/postMode/);
  });
});

describe("user-name Login", () => {
  test("§4A.5: Key.Name with ApplicationId and Position, no NameType and no token", async () => {
    const tokens = new LoginTokens("256", "10.0.0.5/net");
    const expected = {
      ID: 1,
      Domain: "Login",
      Key: { Name: "jdoe", Elements: { ApplicationId: "256", Position: "10.0.0.5/net" } },
    };
    expect(tokens.nameLogin("jdoe")).toEqual(expected);
    const build = await tokens.next({ kind: "name", name: "jdoe" }, 60_000, 0);
    expect(build()).toEqual(expected);
  });

  test("a user/token refusal is always fatal for a user name; for a token only on a fresh token while logging in", () => {
    const byName = { kind: "name", name: "jdoe" } as const;
    expect(isFatalLoginRefusal(byName, true, false)).toBe(true);
    expect(isFatalLoginRefusal(byName, false, false)).toBe(true);
    const byToken = { kind: "token", auth: {} as never } as const;
    expect(isFatalLoginRefusal(byToken, true, true)).toBe(true);
    expect(isFatalLoginRefusal(byToken, true, false)).toBe(false);
    expect(isFatalLoginRefusal(byToken, false, true)).toBe(false);
  });
});
