/**
 * The RCC WebSocket server's handshake, framing and Login (docs/protocol.md §2.1–2.6; checklist items 10–17).
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/util/clock.js";
import { passwordGrant } from "../helpers/auth.js";
import { connectRaw, loginRaw, loginRequest, post, UpgradeRefusedError, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();
const SYSTEM_BUSY =
  '[{"Type":"Status","Domain":"Login","ID":1,"Private":true,"State":{"Stream":"Closed","Data":"Suspect","Code":"NoResources","Text":"System busy"}}]';

async function refusal(url: string, protocols: string[]): Promise<UpgradeRefusedError> {
  const error = await connectRaw(url, { protocols }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(UpgradeRefusedError);
  return error as UpgradeRefusedError;
}

describe("RCC handshake and framing", () => {
  it("§4 item 10: upgrades only /WebSocket with tr_json2 or rssl.json.v2, echoing the subprotocol chosen", async () => {
    const sim = await simulator();
    const url = sim.wsUrls[0]!;
    expect((await connectRaw(url)).protocol).toBe("tr_json2");
    expect((await connectRaw(url, { protocols: ["rssl.rwf", "rssl.json.v2"] })).protocol).toBe("rssl.json.v2");
    expect((await connectRaw(url, { protocols: ["rssl.json.v2", "tr_json2"] })).protocol).toBe("tr_json2");

    const wrongProtocol = await refusal(url, ["rssl.rwf"]);
    expect(wrongProtocol.status).toBe(400);
    expect(wrongProtocol.body).toContain("tr_json2");
    const noProtocol = await refusal(url, []);
    expect(noProtocol.status).toBe(400);
    expect(noProtocol.body).toContain("offered: none");
    const wrongPath = await refusal(url.replace("/WebSocket", "/websocket"), ["tr_json2"]);
    expect(wrongPath.status).toBe(400);
    expect(wrongPath.body).toContain("/WebSocket");
    expect(sim.listeners[0]!.connections).toBe(3);
  });

  it("§4 item 11: accepts an object or an array per frame, always answers with arrays, element by element", async () => {
    const sim = await simulator();
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send({ Type: "Ping" });
    await client.next((message) => message.Type === "Pong");
    expect(client.frames[0]).toBe('[{"Type":"Pong"}]');

    client.send([{ Type: "Ping" }, { ID: "2", Type: "Ping2" }, { Type: "Ping" }]);
    await client.next((message) => message.Type === "Error");
    expect(client.frames).toHaveLength(2);
    const second = JSON.parse(client.frames[1]!);
    expect(second.map((message: { Type: string }) => message.Type)).toEqual(["Pong", "Error", "Pong"]);
    expect(second[1].ID).toBe(0);
  });

  it("§4 item 12: refuses anything but a Login first, keeps the connection, and accepts the Login after", async () => {
    const sim = await simulator();
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send({ ID: 2, Key: { Name: "TRCCTEST01", Service: "DDS_TRCE" } });
    const error = await client.next();
    expect(error).toMatchObject({ Type: "Error", ID: 2 });
    expect(error.Text).toMatch(/^Login required/);
    client.send(post(7, "TRCCTEST01", { BID: 1 }));
    expect(await client.next()).toEqual({
      Type: "Ack",
      ID: 1,
      AckID: 7,
      NakCode: "NotOpen",
      Text: "No open stream with ID 1",
    });
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    client.send(loginRequest(tokens.accessToken));
    expect((await client.next()).Type).toBe("Refresh");
  });
});

describe("RCC Login", () => {
  it("§4 item 13: answers a valid AuthnToken Login with RCC's Login Refresh exactly", async () => {
    const sim = await simulator({ maxMessagesPerSecond: 250, hostName: "sim-host-01" });
    const { client, refresh } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    expect(client.frames[0]).toBe(
      `[{"Type":"Refresh","Domain":"Login","ID":1,"Key":{"Name":"${sim.accounts[0]!.user}","Elements":{"TRCE:MaxMessagesPerSecond":250}},` +
        `"State":{"Stream":"Open","Data":"Ok","Text":"Login accepted by host sim-host-01 via 127.0.0.1"},` +
        `"Private":true,"Solicited":false,"ClearCache":false,"DoNotCache":true}]`,
    );
    expect(refresh.Key.Elements["TRCE:MaxMessagesPerSecond"]).toBe(250);
    const info = [...sim.state.connections.values()][0]!;
    expect(info).toMatchObject({ state: "logged-in", user: sim.accounts[0]!.user, position: "127.0.0.1/rcc-test" });
    expect(sim.state.counters.logins).toBe(1);
  });

  it("§4 item 14: refuses an unknown token with Login Status Closed/Suspect and the configured code, then closes", async () => {
    const sim = await simulator();
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(loginRequest("not-a-token-the-server-issued"));
    expect(await client.next()).toEqual({
      Type: "Status",
      Domain: "Login",
      ID: 1,
      Private: true,
      State: {
        Stream: "Closed",
        Data: "Suspect",
        Code: "NotEntitled",
        Text: "Login denied: access token not recognised",
      },
    });
    expect((await client.closed).code).toBe(1000);
    expect(sim.state.counters.loginRejections).toBe(1);
    // The refused token is never echoed back, nor recorded in clear.
    expect(JSON.stringify(sim.state.recordedMessages.toArray())).not.toContain("not-a-token-the-server-issued");
  });

  it("§4 item 14: refuses an expired token with the configured invalidTokenCode", async () => {
    const clock = new ManualClock(Date.now());
    const sim = await simulator({ clock, invalidTokenCode: "UserAccessToAppDenied", accessTokenLifetimeSec: 300 });
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    clock.advance(301_000);
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(loginRequest(tokens.accessToken));
    const status = await client.next();
    expect(status.State).toEqual({
      Stream: "Closed",
      Data: "Suspect",
      Code: "UserAccessToAppDenied",
      Text: "Login denied: access token expired",
    });
    expect((await client.closed).code).toBe(1000);
  });

  it("§4 item 15: a re-login with Refresh:false is silent, without it a new Refresh comes, a bad token ends the session", async () => {
    const sim = await simulator();
    const account = sim.accounts[0]!;
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, account);
    const fresh = await passwordGrant(sim.authUrl, account);
    client.send(loginRequest(fresh.accessToken, { Refresh: false }));
    client.send(post(1, "TRCCTEST01", { BID: 1 }));
    // The Ack proves the re-login was processed; nothing else may have arrived for it.
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    expect(client.messages).toHaveLength(2);

    client.send(loginRequest(fresh.accessToken));
    expect(await client.next()).toMatchObject({ Type: "Refresh", Domain: "Login", State: { Stream: "Open" } });
    expect([...sim.state.connections.values()][0]!.logins).toBe(3);

    client.send(loginRequest("garbage", { Refresh: false }));
    expect(await client.next()).toMatchObject({ Type: "Status", State: { Stream: "Closed", Code: "NotEntitled" } });
    expect((await client.closed).code).toBe(1000);
  });

  it("§4 item 16: by default a session outlives its token; with expiredSessionPolicy close it is ended", async () => {
    const clock = new ManualClock(Date.now());
    // Pings far apart, so advancing the manual clock does not also trip the idle cut.
    const options = { clock, accessTokenLifetimeSec: 300, pingIntervalMs: 10_000_000 };
    const lenient = await simulator(options);
    const { client: kept } = await loginRaw(lenient.wsUrls[0]!, lenient.authUrl, lenient.accounts[0]!);
    const strict = await simulator({ ...options, expiredSessionPolicy: "close" });
    const { client: ended } = await loginRaw(strict.wsUrls[0]!, strict.authUrl, strict.accounts[0]!);

    clock.advance(301_000);
    expect(await ended.next()).toMatchObject({
      Type: "Status",
      Domain: "Login",
      State: { Stream: "Closed", Data: "Suspect", Code: "NotEntitled" },
    });
    expect((await ended.closed).code).toBe(1000);
    kept.send(post(1, "TRCCTEST01", { BID: 2 }));
    expect(await kept.next()).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
  });

  it("§4 item 17: the system-busy fault sends RCC's System busy Status and closes only the connections in scope", async () => {
    const sim = await simulator({ listeners: 2 });
    const { client: first } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const idle = await connectRaw(sim.wsUrls[1]!);
    sim.faults.add({ type: "system-busy", listener: 1 });
    await idle.next();
    expect(idle.frames).toEqual([SYSTEM_BUSY]);
    expect((await idle.closed).code).toBe(1000);

    sim.faults.add({ type: "system-busy" });
    await first.next((message) => message.Type === "Status");
    expect(first.frames.at(-1)).toBe(SYSTEM_BUSY);
    expect((await first.closed).code).toBe(1000);
  });

  it("§4 item 17: reject-logins with NoResources / System busy refuses new Logins the same way", async () => {
    const sim = await simulator();
    sim.faults.add({ type: "reject-logins", code: "NoResources", text: "System busy", count: 1 });
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    const refused = await connectRaw(sim.wsUrls[0]!);
    refused.send(loginRequest(tokens.accessToken));
    await refused.next();
    expect(refused.frames).toEqual([SYSTEM_BUSY]);
    expect((await refused.closed).code).toBe(1000);
    // The fault was for one use: the retry gets in.
    const retry = await connectRaw(sim.wsUrls[0]!);
    retry.send(loginRequest(tokens.accessToken));
    expect((await retry.next()).Type).toBe("Refresh");
  });
});
