/**
 * Session and connection lifecycle, size limit, multiple listeners, recording, the tutorial's whole flow,
 * and many connections (docs/protocol.md §2.2, §2.13, §3.7; checklist items 29–32).
 */
import { describe, expect, it } from "vitest";
import { passwordGrant, refreshGrant } from "../helpers/auth.js";
import { connectRaw, loginRaw, loginRequest, post, type RawClient, useSimulators } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

const simulator = useSimulators();
const LOGIN_CLOSE = { ID: 1, Type: "Close", Domain: "Login" };

describe("RCC lifecycle", () => {
  it("§4 item 29: a Login Close drops the session silently; the socket stays and may log in again", async () => {
    const sim = await simulator();
    const { client, tokens } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    client.send([LOGIN_CLOSE, post(1, "TRCCTEST01", { BID: 1 })]);
    expect(await client.next()).toMatchObject({ Type: "Ack", AckID: 1, NakCode: "NotOpen" });
    expect(client.frames).toHaveLength(2);
    expect([...sim.state.connections.values()][0]!.state).toBe("connected");
    client.send(loginRequest(tokens.accessToken));
    expect((await client.next()).Type).toBe("Refresh");
  });

  it("§4 item 29: cleans up when the client closes, and closes with 1001 when the server shuts down", async () => {
    const sim = await simulator();
    const { client: leaving } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const staying = await connectRaw(sim.wsUrls[0]!);
    expect(sim.listeners[0]!.connections).toBe(2);
    await leaving.close();
    await waitFor(() => sim.listeners[0]!.connections === 1, 2_000, "one connection at the listener");
    expect(sim.state.connections.size).toBe(1);
    await sim.close();
    expect((await staying.closed).code).toBe(1001);
    expect(sim.state.connections.size).toBe(0);
  });

  it("§4 item 30: closes the connection with 1009 on a frame larger than maxMessageBytes", async () => {
    const sim = await simulator({ maxMessageBytes: 1_000 });
    const client = await connectRaw(sim.wsUrls[0]!);
    const padded = (bytes: number) => {
      const frame = '{"Type":"Ping","Pad":""}';
      return frame.replace('""', `"${"x".repeat(bytes - frame.length)}"`);
    };
    client.send(padded(1_000));
    expect(await client.next()).toEqual({ Type: "Pong" });
    client.send(padded(1_001));
    expect((await client.closed).code).toBe(1009);
  });

  it("§4 item 31: runs several listeners whose faults are independent", async () => {
    const sim = await simulator({ listeners: 2 });
    expect(sim.wsUrls).toHaveLength(2);
    const { client: onFirst } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    const onSecond = await connectRaw(sim.wsUrls[1]!);
    onSecond.send(loginRequest(tokens.accessToken));
    await onSecond.next();
    expect([...sim.state.connections.values()].map((info) => info.listener).sort()).toEqual([0, 1]);

    sim.faults.add({ type: "disconnect", listener: 1 });
    expect((await onSecond.closed).code).toBe(1006);
    onFirst.send(post(1, "TRCCTEST01", { BID: 1 }));
    expect(await onFirst.next()).toEqual({ Type: "Ack", ID: 1, AckID: 1 });

    sim.faults.add({ type: "reject-logins", listener: 0 });
    const refused = await connectRaw(sim.wsUrls[0]!);
    refused.send(loginRequest(tokens.accessToken));
    expect((await refused.next()).Type).toBe("Status");
    const accepted = await connectRaw(sim.wsUrls[1]!);
    accepted.send(loginRequest(tokens.accessToken));
    expect((await accepted.next()).Type).toBe("Refresh");
  });

  it("§4 item 32: records every received message with its time and connection, tokens masked", async () => {
    const sim = await simulator();
    const before = Date.now();
    const { client, tokens } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    client.send([post(1, "TRCCTEST01", { BID: 1 }), { Type: "Pong" }]);
    client.send("not json");
    await client.next((message) => message.Type === "Error");
    const recorded = sim.state.recordedMessages.toArray();
    const connectionId = [...sim.state.connections.keys()][0];
    expect(recorded.map((entry) => entry.connectionId)).toEqual([
      connectionId,
      connectionId,
      connectionId,
      connectionId,
    ]);
    expect(recorded[0]!.message).toMatchObject({
      Domain: "Login",
      Key: { Elements: { AuthenticationToken: "[redacted]" } },
    });
    expect(recorded[1]!.message).toEqual(post(1, "TRCCTEST01", { BID: 1 }));
    expect(recorded[2]!.message).toEqual({ Type: "Pong" });
    expect(recorded[3]!.message).toBe("not json");
    for (const entry of recorded) expect(entry.atMs).toBeGreaterThanOrEqual(before);
    expect(JSON.stringify(recorded)).not.toContain(tokens.accessToken);
    expect(sim.state.counters.messagesIn).toBe(4);
  });

  it("walks the tutorial's whole flow with a plain ws client", async () => {
    const sim = await simulator({ pingIntervalMs: 100 });
    const account = sim.accounts[0]!;
    const first = await passwordGrant(sim.authUrl, account);
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(loginRequest(first.accessToken));
    const refresh = await client.next((message) => message.Type !== "Ping");
    expect(refresh).toMatchObject({ Type: "Refresh", Domain: "Login", State: { Stream: "Open", Data: "Ok" } });
    expect(refresh.Key.Elements["TRCE:MaxMessagesPerSecond"]).toBe(1000);

    client.send(
      post(1, "TRCCTEST01", { BID: 451.55, ASK: 451.57, DSPLY_NAME: "Hello RCC", PRIMACT_1: 100, SEC_ACT_1: 20 }),
    );
    // Pings every 100 ms may come first on a loaded machine.
    expect(await client.next((message) => message.Type !== "Ping")).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    await client.next((message) => message.Type === "Ping");
    client.send({ Type: "Pong" });

    const second = await refreshGrant(sim.authUrl, account, first.refreshToken);
    client.send(loginRequest(second.accessToken, { Refresh: false }));
    client.send(post(2, "TRCCTEST01", { BID: 451.56 }));
    expect(await client.next((message) => message.Type !== "Ping")).toEqual({ Type: "Ack", ID: 1, AckID: 2 });
    expect(client.messages.filter((message) => message.Domain === "Login")).toHaveLength(1);

    client.send(LOGIN_CLOSE);
    await client.none((message) => message.Type !== "Ping", 50);
    expect((await client.close()).code).toBe(1000);
    expect(sim.state.rics.get("TRCCTEST01")).toMatchObject({ updates: 2, fields: { BID: 451.56, ASK: 451.57 } });
    expect(sim.state.counters).toMatchObject({ logins: 2, acks: 2, pongsReceived: 1 });
  });

  it("serves 1,000 concurrent connections on one listener", async () => {
    const sim = await simulator();
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    const clients: RawClient[] = [];
    for (let batch = 0; batch < 10; batch++) {
      clients.push(...(await Promise.all(Array.from({ length: 100 }, () => connectRaw(sim.wsUrls[0]!)))));
    }
    for (const [index, client] of clients.entries()) {
      client.send([loginRequest(tokens.accessToken), post(index + 1, "TRCCTEST01", { BID: index })]);
    }
    const acks = await Promise.all(clients.map((client) => client.next((message) => message.Type === "Ack", 10_000)));
    expect(acks.every((ack, index) => ack.AckID === index + 1 && ack.NakCode === undefined)).toBe(true);
    expect(sim.listeners[0]!.connections).toBe(1_000);
    expect(sim.state.counters.logins).toBe(1_000);
  }, 30_000);
});
