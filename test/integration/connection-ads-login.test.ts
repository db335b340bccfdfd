/**
 * The contributor through an on-site ADS (the simulator's ADS profile): DACS user-name logins instead of
 * tokens, fatal and retriable refusals, and the ADS's `PingTimeout` (docs/protocol.md §4A.5).
 */
import { afterEach, describe, expect, test } from "vitest";
import { LoginRefusedError } from "../../src/client/errors.js";
import type { ReadyInfo } from "../../src/client/connection/session-events.js";
import { adsContributor, cleanup, contributor, recorded, simulator, waitFor } from "./client-fixtures.js";

afterEach(cleanup);

describe("user-name login through an ADS", () => {
  test("§4A.5: the contributor logs in by DACS user name without any token, and its posts are acked", async () => {
    const sim = await simulator({ profile: "ads" });
    const user = sim.accounts[0]!.user;
    const client = adsContributor(sim, { position: "10.0.0.5/net" });
    const ready: ReadyInfo[] = [];
    client.on("ready", (info) => ready.push(info));
    await client.connect();
    await expect(client.contribute("TRCCTEST01", { BID: 45.55 })).resolves.toMatchObject({ postId: 1 });
    expect(recorded(sim, (message) => message.Domain === "Login")).toEqual([
      { ID: 1, Domain: "Login", Key: { Name: user, Elements: { ApplicationId: "256", Position: "10.0.0.5/net" } } },
    ]);
    expect(sim.state.counters.tokensIssued).toBe(0);
    // No TRCE:MaxMessagesPerSecond from an ADS: the configured default applies.
    expect(ready).toEqual([
      {
        url: sim.wsUrls[0],
        maxMessagesPerSecond: 1000,
        advertised: false,
        text: expect.stringContaining("Login accepted"),
      },
    ]);
    expect(sim.state.rics.get("TRCCTEST01")?.fields.BID).toBe(45.55);
  });

  test("§4A.5: a user unknown to DACS is fatal: connect() rejects with UserUnknownToPermSys and nothing retries", async () => {
    const sim = await simulator({ profile: "ads" });
    const client = contributor(sim, { auth: { userName: "nobody" } });
    const error = await client.connect().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(LoginRefusedError);
    expect(error).toMatchObject({
      code: "RCC_LOGIN_REFUSED",
      streamState: "Closed",
      stateCode: "UserUnknownToPermSys",
      text: "nobody, unknown to system.",
      retriable: false,
    });
    await expect(client.closed()).resolves.toBe(error);
    expect(client.state).toBe("closed");
    expect(client.stats().reconnects).toBe(0);
    expect(sim.state.counters.loginRejections).toBe(1);
  });

  test("§4A.5: a passing refusal such as DacsDown is retried, and the next login succeeds", async () => {
    const sim = await simulator({ profile: "ads" });
    sim.faults.add({ type: "reject-logins", code: "DacsDown", text: "DACS is down", count: 1 });
    const client = adsContributor(sim);
    await client.connect();
    expect(client.stats().reconnects).toBe(1);
    expect(sim.state.counters).toMatchObject({ loginRejections: 1, logins: 1 });
    await expect(client.contribute("TRCCTEST01", { BID: 1 })).resolves.toMatchObject({ postId: 1 });
  });

  test("§4A.5: the ADS's PingTimeout replaces pingIntervalMs × missedPings, and a Ping of ours keeps a quiet link up", async () => {
    // The simulator advertises PingTimeout = 300 ms × 3 → 1 s. By the RCC settings below the link would be
    // dead after 100 ms of silence; by the PingTimeout the client pings after a third of a second instead.
    const sim = await simulator({ profile: "ads", pingIntervalMs: 300, missedPingsBeforeDisconnect: 3 });
    const client = adsContributor(sim, { pingIntervalMs: 50, missedPings: 2 });
    let reconnects = 0;
    client.on("reconnecting", () => (reconnects += 1));
    await client.connect();
    sim.faults.add({ type: "stop-pings", durationMs: 900 });
    await waitFor(() => recorded(sim, (message) => message.Type === "Ping").length >= 2, 3000, "two client Pings");
    expect(reconnects).toBe(0);
    expect(client.state).toBe("ready");
    await expect(client.contribute("TRCCTEST01", { BID: 2 })).resolves.toMatchObject({ postId: 1 });
  });
});
