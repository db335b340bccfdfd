/**
 * The simulator's ADS-compatible profile, posting side (docs/protocol.md §4A.6; checklist item 33): on-stream
 * posts, their Acks and fan-out, PostUserInfo, posted Refreshes and Statuses, created items.
 */
import { describe, expect, it } from "vitest";
import { adsSimulator as startAds, notPing, onStream, openItem } from "../helpers/ads.js";
import { post, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();
const adsSimulator = (options: Parameters<typeof simulator>[0] = {}) => startAds(simulator, options);

describe("ADS-compatible profile: on-stream posts and fan-out", () => {
  it("§4A.6: an on-stream post is Acked on its ID with SeqNumber and text, then fanned out with its PostUserInfo", async () => {
    const { sim, login } = await adsSimulator();
    const poster = await login();
    const watcher = await login();
    await openItem(poster, 6, "TRCCTEST01");
    await openItem(watcher, 2, "TRCCTEST01");

    poster.send({
      ID: 6,
      Type: "Post",
      Domain: "MarketPrice",
      Ack: true,
      PostID: 1,
      SeqNumber: 9,
      PostUserInfo: { Address: "10.0.0.5", UserID: 4242 },
      Message: { ID: 0, Type: "Update", Domain: "MarketPrice", Fields: { BID: 45.55, ASK: 45.57 } },
    });
    expect(await poster.next(notPing)).toEqual({ Type: "Ack", ID: 6, AckID: 1, SeqNumber: 9, Text: "All is well" });
    const own = await poster.next(notPing);
    expect(own).toMatchObject({ ID: 6, Type: "Update", PostUserInfo: { Address: "10.0.0.5", UserID: 4242 } });
    expect(await watcher.next(onStream(2))).toEqual({
      ID: 2,
      Type: "Update",
      UpdateType: "Unspecified",
      Key: { Service: "DDS_TRCE", Name: "TRCCTEST01" },
      PostUserInfo: { Address: "10.0.0.5", UserID: 4242 },
      Fields: { BID: 45.55, ASK: 45.57 },
    });
    expect(sim.state.contributions("TRCCTEST01")).toMatchObject([{ outcome: "ack", postId: 1 }]);
  });

  it("§4A.6 rules 1–2: posts on a stream that is not open are Nak'd NotOpen; a PostUserInfo needs both keys", async () => {
    const { login } = await adsSimulator();
    const client = await login();
    await openItem(client, 6, "TRCCTEST01");
    client.send({ ID: 6, Type: "Close" });
    client.send({ ID: 6, Type: "Post", Ack: true, PostID: 1, Message: { ID: 0, Type: "Update", Fields: { BID: 1 } } });
    expect(await client.next(notPing)).toMatchObject({ Type: "Ack", ID: 6, AckID: 1, NakCode: "NotOpen" });

    await openItem(client, 7, "TRCCTEST01");
    client.send({
      ID: 7,
      Type: "Post",
      Ack: true,
      PostID: 2,
      PostUserInfo: { Address: "10.0.0.5" },
      Message: { ID: 0, Type: "Update", Fields: { BID: 1 } },
    });
    expect(await client.next(notPing)).toMatchObject({
      Type: "Error",
      Text: "JSON Missing required key 'UserID' for 'PostUserInfo'",
    });
  });

  it("§4A.6: payload-only posts update the item; a numeric PostUserInfo Address goes out dotted; off-stream posts fan out too", async () => {
    const { login } = await adsSimulator();
    const poster = await login();
    const watcher = await login();
    await openItem(poster, 6, "TRCCTEST01");
    await openItem(watcher, 3, "TRCCTEST01");

    poster.send({
      ID: 6,
      Type: "Post",
      PostID: 2,
      SeqNumber: 2,
      Ack: true,
      PostUserInfo: { Address: 167_772_165, UserID: 7 },
      Fields: { TRDPRC_1: 1.25 },
    });
    expect(await poster.next(notPing)).toMatchObject({ Type: "Ack", AckID: 2 });
    expect(await watcher.next(onStream(3))).toMatchObject({
      Fields: { TRDPRC_1: 1.25 },
      PostUserInfo: { Address: "10.0.0.5", UserID: 7 },
    });

    poster.send(post(3, "TRCCTEST01", { BID: 2 }, { PostUserInfo: { Address: "127.0.0.1", UserID: 1 } }));
    expect(await poster.next((message) => message.Type === "Ack")).toMatchObject({
      ID: 1,
      AckID: 3,
      Text: "All is well",
    });
    expect(await watcher.next(onStream(3))).toMatchObject({ Fields: { BID: 2 }, PostUserInfo: { UserID: 1 } });
  });

  it("§4A.6 rules 3 and 6: a posted Refresh replaces the image and reaches subscribers unsolicited; with the Create right it creates an item", async () => {
    const { login } = await adsSimulator();
    const poster = await login();
    const watcher = await login();
    await openItem(watcher, 3, "TRCCTEST01");
    poster.send(post(1, "TRCCTEST01", { BID: 1, ASK: 2 }));
    await watcher.next(onStream(3, "Update"));

    poster.send(post(2, "TRCCTEST01", { BID: 5 }, { Message: { ID: 0, Type: "Refresh", Fields: { BID: 5 } } }));
    expect(await poster.next((message) => message.Type === "Ack")).not.toHaveProperty("NakCode");
    expect(await watcher.next(onStream(3))).toMatchObject({
      Type: "Refresh",
      Solicited: false,
      State: { Stream: "Open", Data: "Ok" },
      Fields: { BID: 5 },
    });
    expect((await openItem(watcher, 4, "TRCCTEST01")).Fields).toEqual({ BID: 5 });

    const created = { Message: { ID: 0, Type: "Refresh", Fields: { DSPLY_NAME: "new" } } };
    poster.send(post(3, "NEW.ITEM", {}, created));
    expect(await poster.next((message) => message.AckID === 3)).toMatchObject({ NakCode: "SymbolUnknown" });
    poster.send(post(4, "NEW.ITEM", {}, { ...created, PostUserRights: 1 }));
    expect(await poster.next((message) => message.AckID === 4)).not.toHaveProperty("NakCode");
    expect((await openItem(watcher, 5, "NEW.ITEM")).Fields).toEqual({ DSPLY_NAME: "new" });
  });

  it("§4A.6 rule 3: a posted closing Status needs the Delete right; with it, subscribers get the Status and the item is gone", async () => {
    const { sim, login } = await adsSimulator();
    const poster = await login();
    const watcher = await login();
    poster.send(post(1, "TRCCTEST01", { BID: 1 }));
    await poster.next((message) => message.AckID === 1);
    await openItem(watcher, 3, "TRCCTEST01");

    const closing = { Message: { ID: 0, Type: "Status", State: { Stream: "Closed", Data: "Suspect" } } };
    poster.send(post(2, "TRCCTEST01", {}, closing));
    expect(await poster.next((message) => message.AckID === 2)).toMatchObject({
      NakCode: "InvalidContent",
      Text: "client has insufficient rights to close/delete an item",
    });
    poster.send(post(3, "TRCCTEST01", {}, { ...closing, PostUserRights: 2 }));
    expect(await poster.next((message) => message.AckID === 3)).not.toHaveProperty("NakCode");
    expect(await watcher.next(onStream(3))).toMatchObject({ Type: "Status", State: { Stream: "Closed" } });
    expect(sim.state.rics.has("TRCCTEST01")).toBe(false);
    poster.send(post(4, "TRCCTEST01", { BID: 2 }));
    await poster.next((message) => message.AckID === 4);
    await watcher.none(onStream(3), 100);
  });

  it("§4A.6 rule 6: an ADS words the Nak of a post to an unknown item its own way", async () => {
    const { login } = await adsSimulator();
    const client = await login();
    client.send(post(1, "IBM.N", { BID: 1 }));
    expect(await client.next(notPing)).toEqual({
      Type: "Ack",
      ID: 1,
      AckID: 1,
      NakCode: "SymbolUnknown",
      Text: "F44: Unable to find item on post update.",
    });
  });
});
