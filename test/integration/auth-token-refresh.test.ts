/** Tokens and logins: re-login after a refresh (§2.4), fatal refusals and the one-retry rule (§2.6). */
import { afterEach, describe, expect, test } from "vitest";
import { InvalidCredentialsError, LoginRefusedError } from "../../src/client/errors.js";
import type { TokenRefreshInfo } from "../../src/client/connection/session-events.js";
import {
  ManualRefreshAuth,
  type Recorded,
  capturingLogger,
  cleanup,
  contributor,
  recorded,
  simulator,
  waitFor,
} from "./client-fixtures.js";

afterEach(cleanup);

const isLogin = (message: any): boolean => message.Domain === "Login" && message.Type !== "Close";

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
}

describe("token refresh", () => {
  test("§4 item 15: a refreshed token is applied with a Refresh:false re-login on the open socket", async () => {
    const sim = await simulator();
    const auth = new ManualRefreshAuth(sim);
    const client = contributor(sim, { auth });
    const refreshed: TokenRefreshInfo[] = [];
    client.on("token-refreshed", (info) => refreshed.push(info));
    await client.connect();
    const token = await auth.refreshNow();
    await waitFor(() => recorded(sim, isLogin).length === 2, 2000, "the re-login");
    const [first, second] = recorded(sim, isLogin) as [Recorded, Recorded];
    expect(first.Refresh).toBeUndefined();
    expect(second).toMatchObject({ ID: 1, Domain: "Login", Refresh: false, Key: { NameType: "AuthnToken" } });
    expect(second.Key.Elements.ApplicationId).toBe(first.Key.Elements.ApplicationId);
    expect(refreshed).toEqual([{ expiresAtMs: token.expiresAtMs }]);
    expect(client.stats().tokenRefreshes).toBe(1);
    expect(sim.state.counters.logins).toBe(2); // the simulator validated the new token silently
    await expect(client.contribute("TRCCTEST01", { BID: 1 })).resolves.toBeDefined();
    expect(client.stats().reconnects).toBe(0);
  });

  test("the built-in token manager's schedule triggers the re-login by itself", async () => {
    const sim = await simulator({ accessTokenLifetimeSec: 1 });
    const client = contributor(sim, { refreshMarginMs: 700, tokenMinValidityMs: 0 });
    await client.connect();
    await waitFor(
      () => recorded(sim, (message) => isLogin(message) && message.Refresh === false).length >= 1,
      3000,
      "a re-login",
    );
    expect(client.stats().tokenRefreshes).toBeGreaterThanOrEqual(1);
    expect(client.state).toBe("ready");
  });
});

describe("logging", () => {
  test("logs at every level without ever writing an access token or the password", async () => {
    const sim = await simulator();
    const auth = new ManualRefreshAuth(sim);
    const lines: string[] = [];
    const client = contributor(sim, { auth, log: capturingLogger(lines) });
    await client.connect();
    const first = await auth.manager.getToken();
    const second = await auth.refreshNow();
    await client.contribute("TRCCTEST01", { BID: 1 });
    await client.contribute("NOSUCH.RIC", { BID: 1 }).catch(() => undefined);
    sim.faults.add({ type: "system-busy" });
    await waitFor(() => client.stats().reconnects === 1 && client.state === "ready", 3000, "a reconnect");
    await client.close();
    expect(lines.length).toBeGreaterThan(5);
    const all = lines.join("\n");
    expect(all).not.toContain(first.accessToken);
    expect(all).not.toContain(second.accessToken);
    expect(all).not.toContain(sim.accounts[0]!.password);
  });
});

describe("fatal refusals", () => {
  test("wrong credentials stop the session: connect() rejects with InvalidCredentialsError and nothing loops", async () => {
    const sim = await simulator();
    const client = contributor(sim, { password: "wrong-password" });
    const error = await failureOf(client.connect());
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(client.state).toBe("closed");
    await expect(client.closed()).resolves.toBe(error);
    expect(client.stats().reconnects).toBe(0);
    expect(sim.state.counters.connections).toBe(0);
  });

  test("§4 item 14: NotEntitled on a freshly obtained token is fatal (LoginRefusedError), with a single login", async () => {
    const sim = await simulator();
    sim.faults.add({ type: "reject-logins", code: "NotEntitled", text: "Login denied\n" });
    const client = contributor(sim);
    const error = await failureOf(client.connect());
    expect(error).toBeInstanceOf(LoginRefusedError);
    expect(error).toMatchObject({
      code: "RCC_LOGIN_REFUSED",
      stateCode: "NotEntitled",
      text: "Login denied",
      retriable: false,
    });
    expect(recorded(sim, isLogin)).toHaveLength(1);
    expect(client.state).toBe("closed");
  });

  test("NotEntitled on a token used before triggers one retry with a new token, which succeeds", async () => {
    const sim = await simulator();
    const auth = new ManualRefreshAuth(sim);
    const client = contributor(sim, { auth });
    await client.connect();
    const grantsBefore = auth.manager.stats.refreshGrants;
    sim.faults.add({ type: "reject-logins", code: "NotEntitled", count: 1 });
    sim.faults.add({ type: "disconnect" });
    await waitFor(() => client.stats().reconnects === 2 && client.state === "ready", 3000, "ready after the retry");
    expect(auth.manager.stats.refreshGrants).toBe(grantsBefore + 1); // a new token was fetched for the retry
    await expect(client.contribute("TRCCTEST01", { BID: 1 })).resolves.toBeDefined();
  });

  test("NotEntitled again with the new token is fatal", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    sim.faults.add({ type: "reject-logins", code: "UserAccessToAppDenied", count: 2 });
    sim.faults.add({ type: "disconnect" });
    const result = await client.closed();
    expect(result).toBeInstanceOf(LoginRefusedError);
    expect(result).toMatchObject({ stateCode: "UserAccessToAppDenied", retriable: false });
    expect(recorded(sim, isLogin)).toHaveLength(3);
  });
});
