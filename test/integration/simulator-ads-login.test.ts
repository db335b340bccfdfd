/**
 * The simulator's ADS-compatible profile, login side (docs/protocol.md §4A.4, §4A.5, §4A.7, §4A.8; checklist
 * item 33): DACS user-name logins, the ADS Login Refresh, the Source directory, Dictionary, numeric forms.
 */
import { describe, expect, it } from "vitest";
import { adsSimulator as startAds, nameLogin, notPing, onStream } from "../helpers/ads.js";
import { connectRaw, loginRaw, type Received, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();
const adsSimulator = (options: Parameters<typeof simulator>[0] = {}) => startAds(simulator, options);

describe("ADS-compatible profile: logins, directory and requests", () => {
  it("§4A.5: a user-name login gets the ADS Login Refresh: solicited, PingTimeout and MaxMsgSize on top, Support* elements", async () => {
    const { sim, user } = await adsSimulator({ pingIntervalMs: 10_000, missedPingsBeforeDisconnect: 3 });
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(nameLogin(user, { Type: "Request" }));
    const refresh = await client.next(notPing);
    expect(refresh).toEqual({
      ID: 1,
      Type: "Refresh",
      Domain: "Login",
      Key: {
        Name: user,
        Elements: {
          AllowSuspectData: 1,
          ApplicationId: "256",
          ApplicationName: "ADS",
          Position: "127.0.0.1/net",
          ProvidePermissionExpressions: 1,
          ProvidePermissionProfile: 0,
          SingleOpen: 1,
          SupportBatchRequests: 7,
          SupportEnhancedSymbolList: 0,
          SupportOMMPost: 1,
          SupportOptimizedPauseResume: 0,
          SupportPauseResume: 0,
          SupportStandby: 0,
          SupportViewRequests: 1,
        },
      },
      Elements: { MaxMsgSize: 61_440, PingTimeout: 30 },
      State: { Stream: "Open", Data: "Ok", Text: "Login accepted by host rcc-sim." },
    });
    expect(sim.state.snapshot(Date.now()).connections[0]).toMatchObject({ user, state: "logged-in" });
  });

  it("§4A.7: numeric Type, Domain and NameType and typed-null elements are accepted in a login, and token logins still work", async () => {
    const { sim, user } = await adsSimulator();
    const numeric = await connectRaw(sim.wsUrls[0]!);
    numeric.send({
      ID: 1,
      Type: 1,
      Domain: 1,
      Key: {
        Name: user,
        NameType: 1,
        Elements: { ApplicationId: "256", Password: { Type: "AsciiString", Data: null }, SingleOpen: 1 },
      },
    });
    expect(await numeric.next(notPing)).toMatchObject({ Type: "Refresh", Key: { Name: user } });

    const token = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    expect(token.refresh).toMatchObject({ Type: "Refresh", Key: { Name: user }, Elements: { PingTimeout: 30 } });
  });

  it("§4A.5: an unknown user is refused with UserUnknownToPermSys naming the user, and the connection closes", async () => {
    const { sim } = await adsSimulator();
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(nameLogin("fred"));
    expect(await client.next(notPing)).toEqual({
      Type: "Status",
      Domain: "Login",
      ID: 1,
      Key: { Name: "fred" },
      State: { Stream: "Closed", Data: "Suspect", Code: "UserUnknownToPermSys", Text: "fred, unknown to system." },
    });
    expect((await client.closed).code).toBe(1000);
    expect(sim.state.counters.loginRejections).toBe(1);
  });

  it("§4A.5: the RCC profile refuses user-name logins", async () => {
    const sim = await simulator();
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(nameLogin(sim.accounts[0]!.user));
    expect(await client.next(notPing)).toMatchObject({
      Type: "Status",
      State: { Stream: "Closed", Code: "NotEntitled", Text: expect.stringContaining("AuthnToken") },
    });
  });

  it("§4A.4: the Source directory lists the configured services with the requested filter entries only", async () => {
    const { login } = await adsSimulator({ services: { DDS_TRCE: 1, OTHER: 7 } });
    const client = await login();
    client.send({ ID: 2, Type: "Request", Domain: "Source", Priority: { Class: 1, Count: 1 }, Key: { Filter: 63 } });
    const full = await client.next(onStream(2));
    expect(full).toMatchObject({
      Type: "Refresh",
      Domain: "Source",
      Key: { Filter: 63 },
      State: { Stream: "Open", Data: "Ok", Text: "Source Directory Refresh Completed" },
    });
    expect(full.Map.KeyType).toBe("UInt");
    expect((full.Map.Entries as Received[]).map((entry) => entry.Key as unknown)).toEqual([1, 7]);
    const [info, state] = full.Map.Entries[0].FilterList.Entries;
    expect(info).toMatchObject({
      ID: 1,
      Action: "Set",
      Elements: { Name: "DDS_TRCE", IsSource: 1, Capabilities: { Type: "Array", Data: { Type: "UInt", Data: [6] } } },
    });
    expect(info.Elements.QoS.Data.Data).toEqual([{ Timeliness: "Realtime", Rate: "TickByTick" }]);
    expect(state).toEqual({ ID: 2, Action: "Set", Elements: { ServiceState: 1, AcceptingRequests: 1 } });

    client.send({ ID: 3, Domain: 4, Key: { Filter: 1, Service: 7 }, Streaming: false });
    const infoOnly = await client.next(onStream(3));
    expect(infoOnly).toMatchObject({ Key: { Filter: 1 }, State: { Stream: "NonStreaming" } });
    expect(infoOnly.Map.Entries).toHaveLength(1);
    expect(infoOnly.Map.Entries[0].Key).toBe(7);
    expect((infoOnly.Map.Entries[0].FilterList.Entries as Received[]).map((entry) => entry.ID as unknown)).toEqual([1]);
    expect(infoOnly.Map.Entries[0].FilterList.Entries[0].Elements.Name).toBe("OTHER");
  });

  it("§4A.8: a Dictionary request gets the Dictionary Status", async () => {
    const { login } = await adsSimulator();
    const client = await login();
    client.send({
      ID: 3,
      Type: "Request",
      Domain: "Dictionary",
      Streaming: false,
      Key: { Service: 1, Name: "RWFFld", Filter: 15 },
    });
    expect(await client.next(onStream(3))).toEqual({
      ID: 3,
      Type: "Status",
      Domain: "Dictionary",
      State: { Stream: "Closed", Data: "Suspect", Code: "NotFound", Text: "Dictionary download not supported" },
    });
  });

  it("§4A.7: an item request in the ETA Consumer's numeric form is served, with the service name in the Key", async () => {
    const { login } = await adsSimulator();
    const client = await login();
    client.send({
      ID: 6,
      Type: "Request",
      Priority: { Class: 1, Count: 1 },
      Qos: { Timeliness: "Realtime", Rate: "TickByTick" },
      Key: { Service: 1, Name: "TRCCTEST01", NameType: 1 },
      View: [22, 25, 30, 31, 1025],
    });
    expect(await client.next(onStream(6))).toMatchObject({
      Type: "Refresh",
      Key: { Service: "DDS_TRCE", Name: "TRCCTEST01" },
      Fields: { BID: null, ASK: null, BIDSIZE: null, ASKSIZE: null, QUOTIM: null },
    });
  });
});
