/**
 * Off-stream posts, Acks and Naks (docs/protocol.md §2.8, §2.9, §2.12, §3.1, §3.5; checklist items 20–25, 28).
 */
import { describe, expect, it } from "vitest";
import { loginRaw, post, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();

async function loggedIn(options: Parameters<typeof simulator>[0] = {}) {
  const sim = await simulator(options);
  const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
  return { sim, client };
}

const nakOf = (postId: number, code: string, text?: string) => ({
  Type: "Ack",
  ID: 1,
  AckID: postId,
  NakCode: code,
  ...(text === undefined ? {} : { Text: text }),
});

describe("RCC posts", () => {
  it("§4 item 20: acks posts on the login stream and Naks posts on any other stream NotOpen", async () => {
    const { sim, client } = await loggedIn();
    client.send([post(1, "TRCCTEST01", { BID: 451.55 }), post(2, "TRCCTEST01", { BID: 451.56 }, { ID: 5 })]);
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    expect(await client.next()).toEqual({
      Type: "Ack",
      ID: 5,
      AckID: 2,
      NakCode: "NotOpen",
      Text: "No open stream with ID 5",
    });
    expect(sim.state.rics.get("TRCCTEST01")!.fields).toEqual({ BID: 451.55 });
  });

  it("§4 item 21: takes the service by name or id; an unknown name is an Error, an unknown id a Nak", async () => {
    const { client } = await loggedIn({ services: { DDS_TRCE: 1, DDS_ALT: 7 } });
    const unknownName = post(3, "TRCCTEST01", { BID: 1 }, { Key: { Service: "DDS_NOPE", Name: "TRCCTEST01" } });
    client.send([
      post(1, "TRCCTEST01", { BID: 1 }, { Key: { Service: 7, Name: "TRCCTEST01" } }),
      post(2, "TRCCTEST01", { BID: 1 }, { Key: { Service: "DDS_ALT", Name: "TRCCTEST01" } }),
      unknownName,
      post(4, "TRCCTEST01", { BID: 1 }, { Key: { Service: 99, Name: "TRCCTEST01" } }),
    ]);
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 2 });
    expect(await client.next()).toEqual({
      Type: "Error",
      ID: 1,
      Text: "JSON Unexpected Value. Received 'DDS_NOPE' for key 'Service'",
      Debug: { File: "Converter/jsonToRwfSimple.C", Line: 0, Message: JSON.stringify(unknownName) },
    });
    expect(await client.next()).toEqual(nakOf(4, "SourceUnknown", "Service id 99 is unknown"));
    // No Ack ever comes for the post that failed conversion (§2.11).
    expect(client.messages.filter((message) => message.AckID === 3)).toEqual([]);
  });

  it("§4 item 22: Naks a post whose nested message is not an Update InvalidContent", async () => {
    const { client } = await loggedIn();
    client.send(post(1, "TRCCTEST01", { BID: 1 }, { Message: { Type: "Refresh", ID: 0, Fields: { BID: 1 } } }));
    expect(await client.next()).toEqual(
      nakOf(1, "InvalidContent", "The nested message must be an Update, not a Refresh"),
    );
  });

  it("§4 item 23: Naks unknown RICs SymbolUnknown, unpermissioned ones AccessDenied, bad values InvalidContent", async () => {
    const { sim, client } = await loggedIn({
      rics: ["TRCCTEST*", "OTHER.RIC"],
      accounts: [{ user: "GE-A-00000002-1-0002", password: "secret-2", rics: ["TRCCTEST*"] }],
    });
    client.send([
      post(1, "NOPE.RIC", { BID: 1 }),
      post(2, "OTHER.RIC", { BID: 1 }),
      post(3, "TRCCTEST02", { DSPLY_NAME: "seventeen chars!!" }),
      post(4, "TRCCTEST02", { DSPLY_NAME: "sixteen chars!!!" }),
    ]);
    expect(await client.next()).toEqual(nakOf(1, "SymbolUnknown", "Symbol unknown"));
    expect(await client.next()).toMatchObject(nakOf(2, "AccessDenied"));
    expect(await client.next()).toEqual(
      nakOf(3, "InvalidContent", "Invalid value for DSPLY_NAME: 17 characters, at most 16 allowed"),
    );
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 4 });
    expect(sim.state.counters.naks).toEqual({ SymbolUnknown: 1, AccessDenied: 1, InvalidContent: 1 });
    expect(sim.state.contributions().map((entry) => entry.outcome)).toEqual(["nak", "nak", "nak", "ack"]);
  });

  it("§4 item 24: answers an unknown field acronym with a JSON Unexpected FID Error and no Ack", async () => {
    const { client } = await loggedIn();
    const bad = post(1, "TRCCTEST01", { BID: 1, NOT_A_FIELD: 2 });
    client.send(bad);
    expect(await client.next()).toMatchObject({
      Type: "Error",
      ID: 1,
      Text: "JSON Unexpected FID. Received 'NOT_A_FIELD' for key 'Fields'",
      Debug: { Message: JSON.stringify(bad) },
    });
    client.send(post(2, "TRCCTEST01", { BID: 1 }));
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 2 });
  });

  it("§4 item 25: acks only posts asking for it, with AckID = PostID and nothing else on a positive Ack", async () => {
    const { sim, client } = await loggedIn();
    client.send([
      post(10, "TRCCTEST01", { BID: 1 }, { Ack: false }),
      post(11, "TRCCTEST01", { BID: 2 }),
      post(12, "NOPE.RIC", { BID: 3 }, { Ack: false }),
    ]);
    await client.next();
    await client.none(() => true, 100);
    expect(client.frames.at(-1)).toBe('[{"Type":"Ack","ID":1,"AckID":11}]');
    expect(sim.state.contributions().map((entry) => entry.outcome)).toEqual(["no-ack", "ack", "nak"]);
    expect(sim.state.rics.get("TRCCTEST01")!.fields).toEqual({ BID: 2 });
  });

  it("§4 item 28: takes null blanks, Inf/-Inf/NaN reals, ISO dates and times; rejects impossible ones", async () => {
    const { sim, client } = await loggedIn();
    client.send([
      post(1, "TRCCTEST01", { BID: "Inf", ASK: "-Inf", PRIMACT_1: "NaN", SEC_ACT_1: null, DSPLY_NAME: null }),
      post(2, "TRCCTEST01", { TIMACT: "10:15:00.123456", ACTIV_DATE: "2024-02-29", VALUE_TS1: "23:59:60" }),
      post(3, "TRCCTEST01", { ACTIV_DATE: "2023-02-29" }),
      post(4, "TRCCTEST01", { TIMACT: "24:00:00" }),
      post(5, "TRCCTEST01", { CURRENCY: 840, RDN_EXCHID: 1.5 }),
    ]);
    // 1e999 is valid JSON that parses to Infinity; JSON.stringify cannot produce it, so it goes as text.
    client.send(JSON.stringify(post(6, "TRCCTEST01", { BID: 0 })).replace('"BID":0', '"BID":1e999'));
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 2 });
    expect(await client.next()).toMatchObject(nakOf(3, "InvalidContent"));
    expect(await client.next()).toMatchObject(nakOf(4, "InvalidContent"));
    expect(await client.next()).toMatchObject(
      nakOf(5, "InvalidContent", "Invalid value for RDN_EXCHID: 1.5 is not an enumeration value (0-65535)"),
    );
    expect(await client.next()).toMatchObject(nakOf(6, "InvalidContent"));
    expect(sim.state.rics.get("TRCCTEST01")!.fields).toMatchObject({
      BID: "Inf",
      SEC_ACT_1: null,
      ACTIV_DATE: "2024-02-29",
    });
  });

  it("§4 item 28: a value of the wrong JSON type is a converter Token Type Error", async () => {
    const { client } = await loggedIn();
    client.send([post(1, "TRCCTEST01", { BID: "451.55" }), post(2, "TRCCTEST01", { ACTIV_DATE: 20240229 })]);
    expect((await client.next()).Text).toBe(
      "JSON Converter Token Type error: Expected 'PRIMITIVE' for key 'BID' Received 'STRING'",
    );
    expect((await client.next()).Text).toBe(
      "JSON Converter Token Type error: Expected 'STRING' for key 'ACTIV_DATE' Received 'PRIMITIVE'",
    );
  });

  it("applies nak, drop-acks and delay-acks faults to the posts in their scope", async () => {
    const { client, sim } = await loggedIn();
    sim.faults.add({ type: "nak", ric: "TRCCTEST09", code: "GatewayDown", text: "Gateway down" });
    sim.faults.add({ type: "drop-acks", ric: "TRCCTEST08", count: 1 });
    sim.faults.add({ type: "delay-acks", ric: "TRCCTEST07", ms: 150 });
    const sentAt = Date.now();
    client.send([
      post(1, "TRCCTEST09", { BID: 1 }),
      post(2, "TRCCTEST08", { BID: 1 }),
      post(3, "TRCCTEST07", { BID: 1 }),
    ]);
    expect(await client.next()).toEqual(nakOf(1, "GatewayDown", "Gateway down"));
    expect(await client.next()).toEqual({ Type: "Ack", ID: 1, AckID: 3 });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(140);
    expect(client.messages.some((message) => message.AckID === 2)).toBe(false);
    expect(sim.state.rics.get("TRCCTEST08")!.updates).toBe(1);
  });
});
