/**
 * Token endpoint: refresh rotation, session end of life, exclusive sign-on and the session quota
 * (docs/protocol.md §1.4, §1.7; simulator checklist items 4, 5 and 6), over real HTTP with a manual clock.
 */
import { afterEach, describe, expect, test } from "vitest";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";
import { ManualClock } from "../../src/util/clock.js";
import { passwordGrant, refreshGrant, requestToken } from "../helpers/auth.js";

const ALICE = { user: "GE-A-00000001-1-0001", password: "alice-Password-1", clientId: "GE-A-00000001-1-0001" };
const BOB = { user: "GE-A-00000002-1-0002", password: "bob-Password-2", clientId: "APPKEY-BOB" };

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}): Promise<{ authUrl: string; clock: ManualClock }> {
  const clock = new ManualClock();
  sim = await startSimulator({ accounts: [ALICE, BOB], clock, ...options });
  return { authUrl: sim.authUrl, clock };
}

function refreshForm(refreshToken: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    username: ALICE.user,
    client_id: ALICE.clientId,
    ...overrides,
  };
}

describe("refresh grant", () => {
  test("§4 item 4: rotates both tokens and keeps expires_in a string and the granted scope", async () => {
    const { authUrl } = await start();
    const first = await passwordGrant(authUrl, ALICE, { scope: "trapi" });
    const second = await refreshGrant(authUrl, ALICE, first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.expiresIn).toBe("600");
    expect(second.scope).toBe("trapi");
    expect(second.tokenType).toBe("Bearer");
    const third = await refreshGrant(authUrl, ALICE, second.refreshToken);
    expect(third.refreshToken).not.toBe(second.refreshToken);
  });

  test("§4 item 4: refuses a consumed refresh token with 400 invalid_grant while the latest one still works", async () => {
    const { authUrl } = await start();
    const first = await passwordGrant(authUrl, ALICE);
    const second = await refreshGrant(authUrl, ALICE, first.refreshToken);
    const reuse = await requestToken(authUrl, refreshForm(first.refreshToken));
    expect(reuse.status).toBe(400);
    expect(reuse.body).toEqual({
      error: "invalid_grant",
      error_description: expect.stringContaining("already been used"),
    });
    expect((await requestToken(authUrl, refreshForm(second.refreshToken))).status).toBe(200);
  });

  test("§4 item 4: refuses an unknown refresh token with 400 invalid_grant", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, refreshForm("not-a-token-the-simulator-issued"));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("invalid_grant");
  });

  test("§4 item 4: refuses a refresh token after its lifetime with 400 invalid_grant", async () => {
    const { authUrl, clock } = await start({ refreshTokenLifetimeSec: 5 });
    const tokens = await passwordGrant(authUrl, ALICE);
    clock.advance(4_999);
    const stillValid = await refreshGrant(authUrl, ALICE, tokens.refreshToken);
    clock.advance(5_000);
    const response = await requestToken(authUrl, refreshForm(stillValid.refreshToken));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: "invalid_grant", error_description: expect.stringContaining("expired") });
  });

  test("§4 item 4: refuses another user's refresh token with 400 invalid_grant", async () => {
    const { authUrl } = await start();
    const bobs = await passwordGrant(authUrl, BOB);
    const response = await requestToken(authUrl, refreshForm(bobs.refreshToken));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("invalid_grant");
    expect(
      (await requestToken(authUrl, refreshForm(bobs.refreshToken, { username: BOB.user, client_id: BOB.clientId })))
        .status,
    ).toBe(200);
  });

  test.each(["refresh_token", "username"])(
    "§4 item 4: refuses a refresh grant without %s with 400 invalid_request",
    async (name) => {
      const { authUrl } = await start();
      const tokens = await passwordGrant(authUrl, ALICE);
      const form = Object.fromEntries(Object.entries(refreshForm(tokens.refreshToken)).filter(([key]) => key !== name));
      const response = await requestToken(authUrl, form);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: "invalid_request", error_description: expect.stringContaining(name) });
    },
  );

  test("§4 item 2: refuses a refresh grant with another user's client id with 401 invalid_client", async () => {
    const { authUrl } = await start();
    const tokens = await passwordGrant(authUrl, ALICE);
    const response = await requestToken(authUrl, refreshForm(tokens.refreshToken, { client_id: BOB.clientId }));
    expect(response.status).toBe(401);
    expect(response.body.error).toBe("invalid_client");
  });
});

describe("session end of life", () => {
  test("§4 item 5: shrinks expires_in to the session's remaining lifetime, then refuses the refresh", async () => {
    const { authUrl, clock } = await start({ sessionLifetimeSec: 3, accessTokenLifetimeSec: 2 });
    const initial = await passwordGrant(authUrl, ALICE);
    expect(initial.expiresIn).toBe("2");
    clock.advance(1_000);
    const standard = await refreshGrant(authUrl, ALICE, initial.refreshToken);
    expect(standard.expiresIn).toBe("2");
    clock.advance(1_000);
    const shrunk = await refreshGrant(authUrl, ALICE, standard.refreshToken);
    expect(shrunk.expiresIn).toBe("1");
    clock.advance(1_000);
    const ended = await requestToken(authUrl, refreshForm(shrunk.refreshToken));
    expect(ended.status).toBe(400);
    expect(ended.body).toEqual({
      error: "invalid_grant",
      error_description: expect.stringContaining("maximum lifetime"),
    });
    const again = await passwordGrant(authUrl, ALICE);
    expect(again.expiresIn).toBe("2");
  });

  test("§4 item 5: refuses a refresh in the session's last partial second", async () => {
    const { authUrl, clock } = await start({ sessionLifetimeSec: 3, accessTokenLifetimeSec: 2 });
    const initial = await passwordGrant(authUrl, ALICE);
    clock.advance(2_500);
    const response = await requestToken(authUrl, refreshForm(initial.refreshToken));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("invalid_grant");
  });
});

describe("exclusive sign-on and session quota", () => {
  test("§4 item 6: a sign-on with takeExclusiveSignOnControl=True ends the user's other session", async () => {
    const { authUrl } = await start();
    const first = await passwordGrant(authUrl, ALICE);
    const second = await passwordGrant(authUrl, ALICE, { takeExclusiveSignOnControl: "True" });
    const stolen = await requestToken(authUrl, refreshForm(first.refreshToken));
    expect(stolen.status).toBe(400);
    expect(stolen.body).toEqual({ error: "invalid_grant", error_description: expect.stringContaining("taken over") });
    expect((await requestToken(authUrl, refreshForm(second.refreshToken))).status).toBe(200);
  });

  test("§4 item 6: a sign-on without takeExclusiveSignOnControl takes over, as RTSDK's default true does", async () => {
    const { authUrl } = await start();
    const first = await passwordGrant(authUrl, ALICE);
    const response = await requestToken(authUrl, {
      grant_type: "password",
      username: ALICE.user,
      password: ALICE.password,
      client_id: ALICE.clientId,
    });
    expect(response.status).toBe(200);
    expect((await requestToken(authUrl, refreshForm(first.refreshToken))).body.error).toBe("invalid_grant");
  });

  test("§4 item 6: takeExclusiveSignOnControl=FALSE with an active session answers 401 'Session quota is reached.'", async () => {
    const { authUrl } = await start();
    const first = await passwordGrant(authUrl, ALICE);
    const refused = await requestToken(authUrl, {
      grant_type: "password",
      username: ALICE.user,
      password: ALICE.password,
      client_id: ALICE.clientId,
      takeExclusiveSignOnControl: "FALSE",
    });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: "access_denied", error_description: "Session quota is reached." });
    expect((await requestToken(authUrl, refreshForm(first.refreshToken))).status).toBe(200);
  });

  test("§4 item 6: the quota refusal uses the configured sessionQuotaStatus", async () => {
    const { authUrl } = await start({ sessionQuotaStatus: 403 });
    await passwordGrant(authUrl, ALICE);
    const refused = await requestToken(authUrl, {
      grant_type: "password",
      username: ALICE.user,
      password: ALICE.password,
      client_id: ALICE.clientId,
      takeExclusiveSignOnControl: "false",
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error_description).toBe("Session quota is reached.");
  });

  test("§4 item 6: takeExclusiveSignOnControl=false succeeds once the other session has expired", async () => {
    const { authUrl, clock } = await start({ accessTokenLifetimeSec: 60, refreshTokenLifetimeSec: 120 });
    await passwordGrant(authUrl, ALICE);
    clock.advance(120_000);
    const tokens = await passwordGrant(authUrl, ALICE, { takeExclusiveSignOnControl: "false" });
    expect(tokens.expiresIn).toBe("60");
  });

  test("§4 item 6: another user's session does not count against the quota", async () => {
    const { authUrl } = await start();
    await passwordGrant(authUrl, BOB);
    const tokens = await passwordGrant(authUrl, ALICE, { takeExclusiveSignOnControl: "false" });
    expect(tokens.tokenType).toBe("Bearer");
    await expect(passwordGrant(authUrl, BOB, { takeExclusiveSignOnControl: "false" })).rejects.toThrow(
      "Session quota is reached.",
    );
  });
});
