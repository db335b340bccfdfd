/**
 * Token endpoint: access-token validation for the WebSocket server, bounded memory, and logs free of
 * secrets (docs/protocol.md §1.5, §1.7; simulator checklist items 5, 6 and 9).
 */
import { Writable } from "node:stream";
import { afterEach, describe, expect, test } from "vitest";
import { type RunningSimulator, type SimulatorConfigInput, startSimulator } from "../../src/simulator/index.js";
import { SWEEP_EVERY_ISSUES } from "../../src/simulator/auth/token-store.js";
import { ManualClock } from "../../src/util/clock.js";
import { createLogger } from "../../src/util/logger.js";
import {
  type StandaloneAuth,
  passwordGrant,
  refreshGrant,
  requestToken,
  startStandaloneAuth,
} from "../helpers/auth.js";

const ALICE = { user: "GE-A-00000001-1-0001", password: "alice-Password-1", clientId: "GE-A-00000001-1-0001" };

let auth: StandaloneAuth | undefined;
let sim: RunningSimulator | undefined;
afterEach(async () => {
  await auth?.close();
  await sim?.close();
  auth = undefined;
  sim = undefined;
});

async function startAuth(config: SimulatorConfigInput = {}) {
  const clock = new ManualClock();
  auth = await startStandaloneAuth({ clock, config: { accounts: [ALICE], ...config } });
  return { running: auth, clock };
}

describe("access-token validation", () => {
  test("§4 item 9: reports an issued token valid with its user, session and expiry", async () => {
    const { running, clock } = await startAuth({ accessTokenLifetimeSec: 300 });
    const tokens = await passwordGrant(running.authUrl, ALICE);
    const check = running.service.validateAccessToken(tokens.accessToken, clock.now());
    expect(check).toEqual({
      ok: true,
      info: {
        user: ALICE.user,
        sessionId: expect.any(String),
        issuedAtMs: clock.now(),
        expiresAtMs: clock.now() + 300_000,
      },
    });
  });

  test("§4 item 9: reports a token the endpoint never issued as unknown", async () => {
    const { running, clock } = await startAuth();
    expect(running.service.validateAccessToken("made-up-token", clock.now())).toEqual({ ok: false, reason: "unknown" });
  });

  test("§4 item 5: an access token expires exactly expires_in seconds after it was issued", async () => {
    const { running, clock } = await startAuth({ sessionLifetimeSec: 3, accessTokenLifetimeSec: 2 });
    const issuedAt = clock.now();
    const tokens = await passwordGrant(running.authUrl, ALICE);
    expect(running.service.validateAccessToken(tokens.accessToken, issuedAt + 1_999).ok).toBe(true);
    expect(running.service.validateAccessToken(tokens.accessToken, issuedAt + 2_000)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  test("§4 item 9: a refresh leaves the previous access token valid until its own expiry", async () => {
    const { running, clock } = await startAuth();
    const first = await passwordGrant(running.authUrl, ALICE);
    const second = await refreshGrant(running.authUrl, ALICE, first.refreshToken);
    const now = clock.now();
    const before = running.service.validateAccessToken(first.accessToken, now);
    const after = running.service.validateAccessToken(second.accessToken, now);
    expect(before.ok && after.ok && before.info.sessionId === after.info.sessionId).toBe(true);
  });

  test("§4 item 6: access tokens of a session taken over by an exclusive sign-on are reported revoked", async () => {
    const { running, clock } = await startAuth();
    const first = await passwordGrant(running.authUrl, ALICE);
    const second = await passwordGrant(running.authUrl, ALICE, { takeExclusiveSignOnControl: "True" });
    expect(running.service.validateAccessToken(first.accessToken, clock.now())).toEqual({
      ok: false,
      reason: "revoked",
    });
    expect(running.service.validateAccessToken(second.accessToken, clock.now()).ok).toBe(true);
  });

  test("§4 item 9: memory stays bounded while sessions come and go", async () => {
    const { running, clock } = await startAuth({ accessTokenLifetimeSec: 60, refreshTokenLifetimeSec: 120 });
    for (let round = 0; round < SWEEP_EVERY_ISSUES * 3; round += 1) {
      await passwordGrant(running.authUrl, ALICE);
      clock.advance(60_000);
    }
    const sizes = running.service.storeSizes;
    // Only what was issued in the last ~12 minutes (expired tokens are remembered 10 min) plus one sweep period.
    expect(sizes.accessTokens).toBeLessThanOrEqual(SWEEP_EVERY_ISSUES + 12);
    expect(sizes.sessions).toBeLessThanOrEqual(SWEEP_EVERY_ISSUES + 12);
    expect(sizes.refreshTokens).toBeLessThanOrEqual(SWEEP_EVERY_ISSUES + 12);
    expect(running.context.state.counters.tokensIssued).toBe(SWEEP_EVERY_ISSUES * 3);
  });
});

describe("logging", () => {
  test("§4 item 3: logs issued tokens and refusals without any password, token or Authorization header", async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString("utf8"));
        callback();
      },
    });
    const newPassword = "Brand-new-password-42";
    sim = await startSimulator({ accounts: [ALICE], log: createLogger({ destination, level: "trace" }) });
    const basic = Buffer.from(`${ALICE.clientId}:`).toString("base64");
    const form = { grant_type: "password", username: ALICE.user, password: ALICE.password, client_id: ALICE.clientId };
    const first = await requestToken(
      sim.authUrl,
      { ...form, takeExclusiveSignOnControl: "True" },
      { basicClientId: ALICE.clientId },
    );
    const refreshed = await refreshGrant(sim.authUrl, ALICE, first.body.refresh_token);
    await requestToken(sim.authUrl, { ...form, password: "wrong-password-xyz" });
    await requestToken(sim.authUrl, { ...form, newPassword: "short" });
    const changed = await passwordGrant(sim.authUrl, ALICE, { newPassword });
    await requestToken(sim.authUrl, {
      grant_type: "refresh_token",
      refresh_token: first.body.refresh_token,
      username: ALICE.user,
      client_id: ALICE.clientId,
    });

    const log = lines.join("");
    const secrets = [
      ALICE.password,
      newPassword,
      "wrong-password-xyz",
      basic,
      first.body.access_token,
      first.body.refresh_token,
      refreshed.accessToken,
      refreshed.refreshToken,
      changed.accessToken,
      changed.refreshToken,
    ];
    for (const secret of secrets) expect(log).not.toContain(secret);
    const entries: Record<string, unknown>[] = lines
      .flatMap((chunk) => chunk.split("\n").filter(Boolean))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const issued = entries.filter((entry) => entry.msg === "tokens issued");
    expect(issued.map((entry) => entry.grantType)).toEqual(["password", "refresh_token", "password"]);
    expect(issued.every((entry) => entry.user === ALICE.user && entry.level === 30)).toBe(true);
    const refusals = entries.filter((entry) => entry.msg === "token request refused");
    expect(refusals.map((entry) => entry.error)).toEqual(["invalid_grant", "invalid_request", "invalid_grant"]);
    expect(refusals.every((entry) => entry.level === 40)).toBe(true);
  });
});
