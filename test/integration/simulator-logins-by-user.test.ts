/**
 * The simulator's count of sessions logged in per machine ID at the same time (`loginsByUser` in
 * `GET /admin/state` and on `sim.state`), for tests of RDP exclusive sign-on (docs/protocol.md §1.7): a session
 * counts from its accepted Login until it is closed, refused, ended by the server or its connection goes.
 */
import { afterEach, describe, expect, test } from "vitest";
import type { RunningSimulator } from "../../src/simulator/index.js";
import { ManualClock } from "../../src/util/clock.js";
import { nameLogin, onStream } from "../helpers/ads.js";
import { passwordGrant } from "../helpers/auth.js";
import { httpCall } from "../helpers/http.js";
import { closeAllRawClients, connectRaw, loginRaw, loginRequest } from "../helpers/raw-client.js";
import { ManualRefreshAuth, adsContributor, cleanup, contributor, simulator, waitFor } from "./client-fixtures.js";

afterEach(async () => {
  await closeAllRawClients();
  await cleanup();
});

/** `{ current, max }` of `user`, or undefined when no session of it was ever logged in. */
function loginsOf(sim: RunningSimulator, user: string): { current: number; max: number } | undefined {
  const logins = sim.state.loginsByUser.get(user);
  return logins === undefined ? undefined : { current: logins.current, max: logins.max };
}

/** Waits until `user` has `current` sessions logged in. */
function currentIs(sim: RunningSimulator, user: string, current: number): Promise<void> {
  return waitFor(
    () => loginsOf(sim, user)?.current === current,
    2_000,
    () => `${current} session(s) of ${user}; have ${JSON.stringify(loginsOf(sim, user))}`,
  );
}

const ALICE = { user: "GE-A-00000001-1-0001", password: "alice-password", clientId: "GE-A-00000001-1-0001" };
const BOB = { user: "GE-A-00000002-1-0002", password: "bob-password", clientId: "GE-A-00000002-1-0002" };

describe("sessions logged in per machine ID", () => {
  test("§1.7: two contributors of one account at once count 2, and current follows them as they close", async () => {
    const sim = await simulator();
    const user = sim.accounts[0]!.user;
    expect(loginsOf(sim, user)).toBeUndefined();
    const first = contributor(sim);
    await first.connect();
    expect(loginsOf(sim, user)).toEqual({ current: 1, max: 1 });
    // The second sign-on takes exclusive control of the RDP session, but the WebSocket side only records.
    const second = contributor(sim);
    await second.connect();
    expect(loginsOf(sim, user)).toEqual({ current: 2, max: 2 });

    await first.close();
    await currentIs(sim, user, 1);
    expect(loginsOf(sim, user)).toEqual({ current: 1, max: 2 });
    const state = await httpCall(`${sim.adminUrl}/state`);
    expect(state.status).toBe(200);
    expect(state.body.loginsByUser).toEqual({ [user]: { current: 1, max: 2 } });

    await second.close();
    await currentIs(sim, user, 0);
    expect((await httpCall(`${sim.adminUrl}/state`)).body.loginsByUser).toEqual({ [user]: { current: 0, max: 2 } });
  });

  test("§2.13: a Login Close ends the session on an open connection, and a new Login there counts again", async () => {
    const sim = await simulator();
    const user = sim.accounts[0]!.user;
    const { client, tokens } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    expect(loginsOf(sim, user)).toEqual({ current: 1, max: 1 });
    client.send({ ID: 1, Type: "Close", Domain: "Login" });
    client.send({ Type: "Ping" });
    await client.next((message) => message.Type === "Pong");
    expect(loginsOf(sim, user)).toEqual({ current: 0, max: 1 });
    // A second Close of the stream no longer open changes nothing.
    client.send([{ ID: 1, Type: "Close", Domain: "Login" }, { Type: "Ping" }]);
    await client.next((message) => message.Type === "Pong");
    expect(loginsOf(sim, user)).toEqual({ current: 0, max: 1 });

    client.send(loginRequest(tokens.accessToken));
    expect(await client.next(onStream(1))).toMatchObject({ Type: "Refresh", Domain: "Login" });
    expect(loginsOf(sim, user)).toEqual({ current: 1, max: 1 });
    await client.close();
    await currentIs(sim, user, 0);
    expect(loginsOf(sim, user)).toEqual({ current: 0, max: 1 });
  });

  test("§2.4: a token-refresh re-login (Refresh:false) on the same stream is the same session, counted once", async () => {
    const sim = await simulator();
    const auth = new ManualRefreshAuth(sim);
    const client = contributor(sim, { auth });
    await client.connect();
    await auth.refreshNow();
    await waitFor(() => sim.state.counters.logins === 2, 2_000, "the re-login");
    expect(loginsOf(sim, auth.user)).toEqual({ current: 1, max: 1 });
    await client.close();
    await currentIs(sim, auth.user, 0);
  });

  test("§2.4: a re-login with Refresh:true on the open stream is the same session too", async () => {
    const sim = await simulator();
    const account = sim.accounts[0]!;
    const { client, tokens } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, account);
    client.send(loginRequest(tokens.accessToken));
    expect(await client.next(onStream(1))).toMatchObject({ Type: "Refresh", Domain: "Login" });
    expect(sim.state.counters.logins).toBe(2);
    expect(loginsOf(sim, account.user)).toEqual({ current: 1, max: 1 });
    // A Login on another stream is refused AlreadyOpen and leaves the session alone.
    client.send(loginRequest(tokens.accessToken, { ID: 7 }));
    expect(await client.next(onStream(7))).toMatchObject({ Type: "Status", State: { Code: "AlreadyOpen" } });
    expect(loginsOf(sim, account.user)).toEqual({ current: 1, max: 1 });
  });

  test("§2.4: a re-login on the open stream with another account's token moves the session to that account", async () => {
    const sim = await simulator({ accounts: [ALICE, BOB] });
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, ALICE);
    const bobTokens = await passwordGrant(sim.authUrl, BOB);
    client.send(loginRequest(bobTokens.accessToken, { Refresh: false }));
    client.send({ Type: "Ping" });
    await client.next((message) => message.Type === "Pong");
    expect(sim.state.counters.logins).toBe(2);
    expect(loginsOf(sim, ALICE.user)).toEqual({ current: 0, max: 1 });
    expect(loginsOf(sim, BOB.user)).toEqual({ current: 1, max: 1 });
  });

  test("a connection the client drops without a close handshake is no longer counted", async () => {
    const sim = await simulator();
    const user = sim.accounts[0]!.user;
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const { client: other } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    expect(loginsOf(sim, user)).toEqual({ current: 2, max: 2 });
    client.ws.terminate();
    await currentIs(sim, user, 1);
    other.ws.terminate();
    await currentIs(sim, user, 0);
    expect(loginsOf(sim, user)).toEqual({ current: 0, max: 2 });
  });

  test("item 17: a session closed by the server stops counting at once, before its socket has closed", async () => {
    const sim = await simulator();
    const user = sim.accounts[0]!.user;
    const { client: busy } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const { client: dropped } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    expect(loginsOf(sim, user)).toEqual({ current: 2, max: 2 });

    sim.faults.add({ type: "disconnect", connection: "c2" });
    expect(loginsOf(sim, user)).toEqual({ current: 1, max: 2 });
    await dropped.closed;

    sim.faults.add({ type: "system-busy" });
    expect(loginsOf(sim, user)).toEqual({ current: 0, max: 2 });
    expect(await busy.next(onStream(1))).toMatchObject({ Type: "Status", State: { Text: "System busy" } });
    await busy.closed;
    expect(loginsOf(sim, user)).toEqual({ current: 0, max: 2 });
  });

  test("item 17: a contributor reconnecting after System busy never has two sessions at once", async () => {
    const sim = await simulator();
    const user = sim.accounts[0]!.user;
    const client = contributor(sim);
    await client.connect();
    sim.faults.add({ type: "system-busy" });
    await waitFor(() => client.stats().reconnects === 1 && client.state === "ready", 3_000, "the reconnect");
    expect(sim.state.counters.logins).toBe(2);
    expect(loginsOf(sim, user)).toEqual({ current: 1, max: 1 });
  });

  test("item 16: a session ended for its expired token, or refused on a re-login, stops counting", async () => {
    const clock = new ManualClock(Date.now());
    // Pings far apart, so advancing the manual clock does not also trip the idle cut.
    const sim = await simulator({
      clock,
      accessTokenLifetimeSec: 300,
      pingIntervalMs: 10_000_000,
      expiredSessionPolicy: "close",
    });
    const user = sim.accounts[0]!.user;
    const { client: expiring } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const { client: relogging } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    expect(loginsOf(sim, user)).toEqual({ current: 2, max: 2 });

    relogging.send(loginRequest("not-a-token"));
    expect(await relogging.next(onStream(1))).toMatchObject({ Type: "Status", State: { Stream: "Closed" } });
    expect(loginsOf(sim, user)).toEqual({ current: 1, max: 2 });

    clock.advance(301_000);
    expect(await expiring.next(onStream(1))).toMatchObject({ Type: "Status", State: { Stream: "Closed" } });
    expect(loginsOf(sim, user)).toEqual({ current: 0, max: 2 });
    await Promise.all([expiring.closed, relogging.closed]);
    expect(loginsOf(sim, user)).toEqual({ current: 0, max: 2 });
  });

  test("item 29: stopping a listener ends its sessions", async () => {
    const sim = await simulator({ listeners: 2 });
    const user = sim.accounts[0]!.user;
    await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    await loginRaw(sim.wsUrls[1]!, sim.authUrl, sim.accounts[0]!);
    expect(loginsOf(sim, user)).toEqual({ current: 2, max: 2 });
    await sim.stopListener(0);
    expect(loginsOf(sim, user)).toEqual({ current: 1, max: 2 });
  });

  test("different accounts are counted apart", async () => {
    const sim = await simulator({ accounts: [ALICE, BOB] });
    const aliceOne = contributor(sim, { user: ALICE.user, password: ALICE.password, clientId: ALICE.clientId });
    const aliceTwo = contributor(sim, { user: ALICE.user, password: ALICE.password, clientId: ALICE.clientId });
    const bob = contributor(sim, { user: BOB.user, password: BOB.password, clientId: BOB.clientId });
    await Promise.all([aliceOne.connect(), bob.connect()]);
    await aliceTwo.connect();
    expect(loginsOf(sim, ALICE.user)).toEqual({ current: 2, max: 2 });
    expect(loginsOf(sim, BOB.user)).toEqual({ current: 1, max: 1 });
    await bob.close();
    await currentIs(sim, BOB.user, 0);
    expect(loginsOf(sim, ALICE.user)).toEqual({ current: 2, max: 2 });
    expect((await httpCall(`${sim.adminUrl}/state`)).body.loginsByUser).toEqual({
      [ALICE.user]: { current: 2, max: 2 },
      [BOB.user]: { current: 0, max: 1 },
    });
  });

  test("§4A.5: an ADS user-name Login is counted under its DACS user name, like a token Login of that account", async () => {
    const sim = await simulator({ profile: "ads", accounts: [ALICE, BOB] });
    const byName = adsContributor(sim);
    await byName.connect();
    expect(loginsOf(sim, ALICE.user)).toEqual({ current: 1, max: 1 });
    const raw = await connectRaw(sim.wsUrls[0]!);
    raw.send(nameLogin(BOB.user));
    expect(await raw.next(onStream(1))).toMatchObject({ Type: "Refresh", State: { Stream: "Open" } });
    expect(loginsOf(sim, BOB.user)).toEqual({ current: 1, max: 1 });
    const byToken = contributor(sim, { user: ALICE.user, password: ALICE.password, clientId: ALICE.clientId });
    await byToken.connect();
    expect(loginsOf(sim, ALICE.user)).toEqual({ current: 2, max: 2 });
    await raw.close();
    await currentIs(sim, BOB.user, 0);
    await byName.close();
    await currentIs(sim, ALICE.user, 1);
  });

  test("refused Logins add nobody: a flood of bad tokens and unknown user names leaves the table empty", async () => {
    const sim = await simulator({ profile: "ads" });
    const refusals = Array.from({ length: 40 }, async (_, index) => {
      const client = await connectRaw(sim.wsUrls[0]!);
      client.send(index % 2 === 0 ? nameLogin(`nobody-${index}`) : loginRequest(`bad-token-${index}`));
      expect(await client.next(onStream(1))).toMatchObject({ Type: "Status", State: { Stream: "Closed" } });
      await client.closed;
    });
    await Promise.all(refusals);
    sim.faults.add({ type: "reject-logins" });
    const refused = await connectRaw(sim.wsUrls[0]!);
    refused.send(nameLogin(sim.accounts[0]!.user));
    expect(await refused.next(onStream(1))).toMatchObject({ Type: "Status", State: { Code: "NotEntitled" } });
    expect(sim.state.counters.loginRejections).toBe(41);
    expect(sim.state.loginsByUser.size).toBe(0);
    expect((await httpCall(`${sim.adminUrl}/state`)).body.loginsByUser).toEqual({});
  });
});
