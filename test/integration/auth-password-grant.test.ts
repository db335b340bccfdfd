/**
 * Token endpoint: the password grant and `newPassword` (docs/protocol.md §1.3, §1.5; simulator checklist
 * items 3 and 7), over real HTTP.
 */
import { afterEach, describe, expect, test } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { passwordGrant, requestToken } from "../helpers/auth.js";

const ALICE = { user: "GE-A-00000001-1-0001", password: "alice-Password-1", clientId: "GE-A-00000001-1-0001" };
const STRONG_PASSWORD = "Brand-new-password-42";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function passwordForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: "password",
    username: ALICE.user,
    password: ALICE.password,
    client_id: ALICE.clientId,
    ...overrides,
  };
}

describe("password grant", () => {
  test("§4 item 3: issues long opaque tokens with expires_in as a string of the configured lifetime", async () => {
    sim = await startSimulator({ accounts: [ALICE], accessTokenLifetimeSec: 300 });
    const response = await requestToken(sim.authUrl, passwordForm());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{64,}$/),
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{32,}$/),
      expires_in: "300",
      scope: "",
      token_type: "Bearer",
    });
    expect(response.body.access_token).not.toBe(response.body.refresh_token);
    expect(sim.state.counters.tokensIssued).toBe(1);
  });

  test("§4 item 3: echoes the requested scope", async () => {
    sim = await startSimulator({ accounts: [ALICE] });
    const tokens = await passwordGrant(sim.authUrl, ALICE, { scope: "trapi.streaming.pricing.read" });
    expect(tokens.scope).toBe("trapi.streaming.pricing.read");
  });

  test("§4 item 3: issues different tokens on every grant", async () => {
    sim = await startSimulator({ accounts: [ALICE] });
    const first = await passwordGrant(sim.authUrl, ALICE);
    const second = await passwordGrant(sim.authUrl, ALICE);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
  });

  test("§4 item 3: refuses a wrong password with 400 invalid_grant and counts the error", async () => {
    sim = await startSimulator({ accounts: [ALICE] });
    const response = await requestToken(sim.authUrl, passwordForm({ password: "wrong-password" }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: "invalid_grant", error_description: expect.any(String) });
    expect(sim.state.counters.tokenErrors).toBe(1);
    expect(sim.state.counters.tokensIssued).toBe(0);
  });

  test("§4 item 3: refuses an unknown user with 400 invalid_grant", async () => {
    sim = await startSimulator({ accounts: [ALICE] });
    const response = await requestToken(sim.authUrl, passwordForm({ username: "GE-A-99999999-9-9999" }));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("invalid_grant");
  });

  test.each(["username", "password"])(
    "§4 item 3: refuses a password grant without %s with 400 invalid_request",
    async (name) => {
      sim = await startSimulator({ accounts: [ALICE] });
      const form = Object.fromEntries(Object.entries(passwordForm()).filter(([key]) => key !== name));
      const response = await requestToken(sim.authUrl, form);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe("invalid_request");
      expect(response.body.error_description).toContain(name);
    },
  );

  test.each(["True", "true", "TRUE", "False", "false", "FALSE"])(
    "§4 item 6: parses takeExclusiveSignOnControl=%s case-insensitively",
    async (value) => {
      sim = await startSimulator({ accounts: [ALICE] });
      const response = await requestToken(sim.authUrl, passwordForm({ takeExclusiveSignOnControl: value }));
      expect(response.status).toBe(200);
    },
  );

  test("§4 item 6: refuses a takeExclusiveSignOnControl value that is not a boolean with 400 invalid_request", async () => {
    sim = await startSimulator({ accounts: [ALICE] });
    const response = await requestToken(sim.authUrl, passwordForm({ takeExclusiveSignOnControl: "yes" }));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("invalid_request");
    expect(response.body.error_description).toContain("takeExclusiveSignOnControl");
  });
});

describe("newPassword on the password grant", () => {
  test("§4 item 7: changes the password and issues tokens when newPassword meets the policy", async () => {
    sim = await startSimulator({ accounts: [ALICE] });
    const changed = await requestToken(sim.authUrl, passwordForm({ newPassword: STRONG_PASSWORD }));
    expect(changed.status).toBe(200);
    expect(changed.body.access_token).toEqual(expect.any(String));

    const withOld = await requestToken(sim.authUrl, passwordForm());
    expect(withOld.status).toBe(400);
    expect(withOld.body.error).toBe("invalid_grant");
    const withNew = await requestToken(sim.authUrl, passwordForm({ password: STRONG_PASSWORD }));
    expect(withNew.status).toBe(200);
  });

  test.each([
    ["shorter than 15 characters", "Short-pass-1", "at least 15 characters"],
    ["with only 2 character classes", "onlylowercaseand123", "3 of these 4 character classes"],
    ["equal to the current password", ALICE.password, "differ from the current password"],
  ])(
    "§4 item 7: refuses a newPassword %s with 400 invalid_request and keeps the old password",
    async (_case, newPassword, text) => {
      sim = await startSimulator({ accounts: [ALICE] });
      const refused = await requestToken(sim.authUrl, passwordForm({ newPassword }));
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe("invalid_request");
      expect(refused.body.error_description).toContain(text);
      expect(refused.body.error_description).not.toContain(newPassword);
      const stillOld = await requestToken(sim.authUrl, passwordForm());
      expect(stillOld.status).toBe(200);
    },
  );

  test("§4 item 7: does not change the password when the current password is wrong", async () => {
    sim = await startSimulator({ accounts: [ALICE] });
    const refused = await requestToken(
      sim.authUrl,
      passwordForm({ password: "wrong-password", newPassword: STRONG_PASSWORD }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_grant");
    const withNew = await requestToken(sim.authUrl, passwordForm({ password: STRONG_PASSWORD }));
    expect(withNew.status).toBe(400);
    expect((await requestToken(sim.authUrl, passwordForm())).status).toBe(200);
  });
});
