/**
 * On-stream posting through an ADS (the simulator's ADS profile, docs/protocol.md §4A.6): one item stream per
 * RIC opened by a streaming Request, posts on its ID without a Key, refused streams as typed rejections, and
 * streams re-opened after a reconnect.
 */
import { afterEach, describe, expect, test } from "vitest";
import { ItemStreamError } from "../../src/client/errors.js";
import { type Recorded, adsContributor, cleanup, recorded, simulator, waitFor } from "./client-fixtures.js";

afterEach(cleanup);

/** Item Requests (the Login has a Domain; on-stream Requests have none and say `Streaming`). */
const requests = (message: Recorded): boolean => message.Domain === undefined && message.Streaming === true;
const posts = (message: Recorded): boolean => message.Type === "Post";

describe("on-stream posting", () => {
  test("§4A.6: each RIC gets one streaming Request; posts ride on its ID without a Key and are acked", async () => {
    const sim = await simulator({ profile: "ads" });
    const client = adsContributor(sim, { postMode: "on-stream", postUserInfo: { address: "10.0.0.5", userId: 42 } });
    await client.connect();
    const acks = await Promise.all([
      client.contribute("TRCCTEST01", { BID: 1 }),
      client.contribute("TRCCTEST02", { BID: 2 }),
      client.contribute("TRCCTEST01", { BID: 3 }),
    ]);
    expect(acks.map((ack) => [ack.ric, ack.postId])).toEqual([
      ["TRCCTEST01", 1],
      ["TRCCTEST02", 2],
      ["TRCCTEST01", 3],
    ]);
    expect(recorded(sim, requests)).toEqual([
      { ID: 2, Streaming: true, Key: { Name: "TRCCTEST01", Service: "DDS_TRCE" } },
      { ID: 3, Streaming: true, Key: { Name: "TRCCTEST02", Service: "DDS_TRCE" } },
    ]);
    const postUserInfo = { Address: "10.0.0.5", UserID: 42 };
    const update = (fields: object) => ({ Type: "Update", ID: 0, Fields: fields });
    expect(recorded(sim, posts)).toEqual([
      { Type: "Post", ID: 2, Ack: true, PostID: 1, Message: update({ BID: 1 }), PostUserInfo: postUserInfo },
      { Type: "Post", ID: 3, Ack: true, PostID: 2, Message: update({ BID: 2 }), PostUserInfo: postUserInfo },
      { Type: "Post", ID: 2, Ack: true, PostID: 3, Message: update({ BID: 3 }), PostUserInfo: postUserInfo },
    ]);
    expect(sim.state.rics.get("TRCCTEST01")?.fields.BID).toBe(3);
    // The server fans every post out on our own streams as an Update; the client ignores them.
    await expect(client.contribute("TRCCTEST02", { BID: 4 })).resolves.toMatchObject({ postId: 4 });
    expect(client.stats()).toMatchObject({ acked: 4, naked: {}, errors: { unmatched: 0, unmatchedAcks: 0 } });
  });

  test("§4A.3: a RIC the ADS does not know rejects its posts with ItemStreamError NotFound; other RICs go on", async () => {
    const sim = await simulator({ profile: "ads" });
    const client = adsContributor(sim, { postMode: "on-stream" });
    await client.connect();
    const unknown = client.contribute("NOPE.N", { BID: 1 });
    const known = client.contribute("TRCCTEST01", { BID: 2 });
    const error = await unknown.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ItemStreamError);
    expect(error).toMatchObject({
      code: "RCC_ITEM_STREAM_REFUSED",
      ric: "NOPE.N",
      reason: "status",
      streamState: "Closed",
      stateCode: "NotFound",
      retriable: false,
    });
    await expect(known).resolves.toMatchObject({ ric: "TRCCTEST01", postId: 1 });
    // The refusal holds for the connection: a later post fails at once, without another Request.
    await expect(client.contribute("NOPE.N", { BID: 3 })).rejects.toBeInstanceOf(ItemStreamError);
    expect(recorded(sim, (message) => requests(message) && message.Key.Name === "NOPE.N")).toHaveLength(1);
    expect(recorded(sim, posts).map((post): unknown => post.ID)).toEqual([3]);
    expect(client.stats().errors.itemStreamRefused).toBe(2);
  });

  test("a converter Error on the Request (an unknown service name) refuses the stream", async () => {
    const sim = await simulator({ profile: "ads" });
    const client = adsContributor(sim, { postMode: "on-stream", service: "NO_SUCH_SERVICE" });
    await client.connect();
    await expect(client.contribute("TRCCTEST01", { BID: 1 })).rejects.toMatchObject({
      code: "RCC_ITEM_STREAM_REFUSED",
      reason: "error",
      text: expect.stringContaining("NO_SUCH_SERVICE"),
    });
    expect(client.state).toBe("ready");
  });

  test("after a reconnect the streams are opened again, and posts in flight at the drop go out on them", async () => {
    const sim = await simulator({ profile: "ads" });
    const client = adsContributor(sim, { postMode: "on-stream" });
    let reconnects = 0;
    client.on("reconnecting", () => (reconnects += 1));
    await client.connect();
    await client.contribute("TRCCTEST01", { BID: 0 });
    sim.faults.add({ type: "drop-acks" });
    const inFlight = [1, 2].map((bid) => client.contribute("TRCCTEST01", { BID: bid }));
    await waitFor(() => client.stats().inFlight === 2, 2000, "posts in flight");
    sim.faults.clear("drop-acks");
    sim.faults.add({ type: "disconnect" });
    const acks = await Promise.all(inFlight);
    expect(reconnects).toBe(1);
    expect(acks.map((ack) => ack.postId)).toEqual([1, 2]); // PostIDs restart on the new connection
    await expect(client.contribute("TRCCTEST02", { BID: 3 })).resolves.toMatchObject({ postId: 3 });
    // Stream IDs restart too: TRCCTEST01 is on ID 2 on both connections.
    expect(recorded(sim, requests).map((request): unknown[] => [request.ID, request.Key.Name])).toEqual([
      [2, "TRCCTEST01"],
      [2, "TRCCTEST01"],
      [3, "TRCCTEST02"],
    ]);
    expect(recorded(sim, posts).map((post): unknown[] => [post.ID, post.Message.Fields.BID])).toEqual([
      [2, 0],
      [2, 1],
      [2, 2],
      [2, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(client.stats()).toMatchObject({ resent: 2, acked: 4, inFlight: 0 });
  });
});
