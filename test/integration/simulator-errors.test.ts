/**
 * Converter Errors for malformed input (docs/protocol.md §2.11; checklist item 27), and the server's
 * resilience to bad input: each malformed frame is answered, the connection stays up, other connections
 * are unaffected.
 */
import { describe, expect, it } from "vitest";
import { passwordGrant } from "../helpers/auth.js";
import { connectRaw, loginRaw, loginRequest, post, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();
const goodPost = post(1, "TRCCTEST01", { BID: 1 });

/** Malformed inputs and the Error each must produce. */
const CASES: { name: string; frame: string; text: string | RegExp; id: number }[] = [
  {
    name: "a string ID",
    frame: '{"ID":"2","Key":{"Name":"TRI.N"}}',
    text: "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'ID' Received 'STRING'",
    id: 0,
  },
  {
    name: "an object ID",
    frame: '{"ID":{"Test":1},"Key":{"Name":"TRI.N"}}',
    text: "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'ID' Received 'OBJECT'",
    id: 0,
  },
  {
    name: "an object Type",
    frame: '{"ID":2,"Type":{"Test":1}}',
    text: "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'Type' Received 'OBJECT'",
    id: 2,
  },
  {
    name: "an unknown Type",
    frame: '{"ID":2,"Type":"ExtraInfo"}',
    text: "JSON Unexpected Value. Received 'ExtraInfo' for key 'Type'",
    id: 2,
  },
  {
    name: "an unknown Domain",
    frame: '{"ID":2,"Domain":"Weather","Key":{"Name":"X"}}',
    text: "JSON Unexpected Value. Received 'Weather' for key 'Domain'",
    id: 2,
  },
  {
    name: "a missing ID",
    frame: '{"Type":"Post","Ack":true,"PostID":3}',
    text: "JSON Missing required key 'ID'",
    id: 0,
  },
  { name: "truncated JSON", frame: '{"ID":1,"Type":"Po', text: /^JSON parser error: -3 /, id: 0 },
  { name: "an invalid character", frame: '{"ID":1 x}', text: /^JSON parser error: -2 /, id: 0 },
  { name: "a bare number", frame: "42", text: "JSON invalid container type.", id: 0 },
  {
    name: "a string Ack",
    frame: JSON.stringify({ ...goodPost, Ack: "true" }),
    text: "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'Ack' Received 'STRING'",
    id: 1,
  },
  {
    name: "an Ack without PostID",
    frame: JSON.stringify({ ...goodPost, PostID: undefined }),
    text: "JSON Missing required key 'PostID'",
    id: 0,
  },
  {
    name: "a nested message without ID",
    frame: JSON.stringify({ ...goodPost, Message: { Type: "Update", Fields: { BID: 1 } } }),
    text: "JSON Missing required key 'ID' for 'Message'",
    id: 0,
  },
  {
    name: "an array field value",
    frame: JSON.stringify(post(1, "TRCCTEST01", { BID: [1, "2"] })),
    text: "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'BID' Received 'ARRAY'",
    id: 1,
  },
  {
    name: "a string Fields",
    frame: JSON.stringify({ ...goodPost, Message: { Type: "Update", ID: 0, Fields: "BID=1" } }),
    text: "JSON Converter Token Type error: Expected 'OBJECT' for key 'Fields' Received 'STRING'",
    id: 1,
  },
  {
    name: "a Status from the client",
    frame: '{"ID":1,"Type":"Status","Domain":"Login"}',
    text: "Unsupported Message Type. Received 'Status'",
    id: 1,
  },
  {
    name: "a Login without Key",
    frame: '{"ID":1,"Domain":"Login"}',
    text: "JSON Missing required key 'Key'",
    id: 0,
  },
];

describe("RCC converter errors", () => {
  it("§4 item 27: answers wrong types, bad enums, missing keys, unparseable JSON and arrays with Errors, staying open", async () => {
    const sim = await simulator();
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    for (const { name, frame, text, id } of CASES) {
      client.send(frame);
      const error = await client.next();
      expect(error.Type, name).toBe("Error");
      if (typeof text === "string") expect(error.Text, name).toBe(text);
      else expect(error.Text, name).toMatch(text);
      expect(error.ID, name).toBe(id);
      expect(error.Debug.Message, name).toBe(frame);
    }
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.send(goodPost);
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    expect(sim.state.counters.errors).toBe(CASES.length);
  });

  it("§4 item 27: answers each bad element of an array on its own and processes the good ones", async () => {
    const sim = await simulator();
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    client.send(
      `[${JSON.stringify(post(1, "TRCCTEST01", { BID: 1 }))},7,{"ID":"x"},${JSON.stringify(post(2, "TRCCTEST01", { ASK: 2 }))}]`,
    );
    await client.next((message) => message.AckID === 2);
    expect(JSON.parse(client.frames.at(-1)!).map((message: { Type: string }) => message.Type)).toEqual([
      "Ack",
      "Error",
      "Error",
      "Ack",
    ]);
  });

  it("treats a binary frame as unparseable JSON and keeps the connection", async () => {
    const sim = await simulator();
    const client = await connectRaw(sim.wsUrls[0]!);
    client.ws.send(Buffer.from('[{"Type":"Ping"}]'), { binary: true });
    const error = await client.next();
    expect(error).toMatchObject({ Type: "Error", ID: 0 });
    expect(error.Text).toMatch(/^JSON parser error: -2 \(binary frame/);
    client.send({ Type: "Ping" });
    expect(await client.next()).toEqual({ Type: "Pong" });
  });

  it("never echoes an access token in an Error's Debug.Message", async () => {
    const sim = await simulator();
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    const client = await connectRaw(sim.wsUrls[0]!);
    client.send(loginRequest(tokens.accessToken, { Refresh: "yes" }));
    const error = await client.next();
    expect(error.Text).toBe(
      "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'Refresh' Received 'STRING'",
    );
    expect(error.Debug.Message).toContain('"AuthenticationToken":"[redacted]"');
    expect(client.frames.join("")).not.toContain(tokens.accessToken);
  });

  it("keeps serving other connections and new ones while one connection sends garbage", async () => {
    const sim = await simulator();
    const { client: victim } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const bystander = await connectRaw(sim.wsUrls[0]!);
    bystander.send(loginRequest((await passwordGrant(sim.authUrl, sim.accounts[0]!)).accessToken));
    await bystander.next();
    for (const { frame } of CASES) victim.send(frame);
    bystander.send([post(1, "TRCCTEST01", { BID: 1 }), post(2, "TRCCTEST01", { BID: 2 })]);
    expect(await bystander.next()).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    expect(await bystander.next()).toEqual({ Type: "Ack", ID: 1, AckID: 2 });
    for (let index = 0; index < CASES.length; index++) expect((await victim.next()).Type).toBe("Error");
    const newcomer = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    expect(newcomer.refresh.State.Stream).toBe("Open");
    expect(sim.listeners[0]!.connections).toBe(3);
  });
});
