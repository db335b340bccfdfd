/**
 * Multi-part posts against the real simulator (docs/protocol.md §2.8 key table, §4A.6 rule 8): parts share
 * `PostID`, carry `"Complete":false` on all but the last and `PartNumber` 0, 1, 2…; the simulator buffers them per
 * (stream ID, PostID), applies and Acks the post once after its last part, Naks a gap `InvalidContent`, and bounds
 * its buffer per connection. Off-stream posts in the RCC profile, on-stream posts in the ADS profile.
 */
import { describe, expect, it, vi } from "vitest";
import { MULTIPART_LIMITS } from "../../src/simulator/rcc/post-parts.js";
import { adsSimulator, notPing, onStream, openItem } from "../helpers/ads.js";
import { loginRaw, loginRequest, post, type RawClient, type Received, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();

async function rccClient(options: Parameters<typeof simulator>[0] = {}) {
  const sim = await simulator(options);
  const { client, tokens } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
  return { sim, client, tokens };
}

/** One part of an off-stream post (§2.8): `last` leaves `Complete` out, as the last part may. */
function part(postId: number, partNumber: number, fields: Record<string, unknown>, last = false, ric = "TRCCTEST01") {
  return post(postId, ric, fields, last ? { PartNumber: partNumber } : { Complete: false, PartNumber: partNumber });
}

/** One part of an on-stream post on item stream `id` (§4A.6): no `Key`, the stream names the item. */
function onStreamPart(id: number, postId: number, partNumber: number, fields: Record<string, unknown>, last = false) {
  return {
    ID: id,
    Type: "Post",
    Ack: true,
    PostID: postId,
    PartNumber: partNumber,
    ...(last ? {} : { Complete: false }),
    Message: { ID: 0, Type: "Update", Fields: fields },
  };
}

/** Sends a Ping and waits for its Pong: every reply to the frames sent before has arrived by then (§2.7). */
async function fence(client: RawClient): Promise<void> {
  client.send({ Type: "Ping" });
  await client.next((message) => message.Type === "Pong");
}

const isAck = (message: Received): boolean => message.Type === "Ack";
const isUpdate = (message: Received): boolean => message.Type === "Update";

describe("multi-part posts", () => {
  it("§4A.6 rule 8: a 3-part off-stream post is Acked once, after its last part, and the image and the fan-out carry every part's fields", async () => {
    const { sim, client } = await rccClient();
    await openItem(client, 5, "TRCCTEST01");

    client.send(part(7, 0, { BID: 451.55 }));
    client.send(part(7, 1, { ASK: 451.57 }));
    await fence(client);
    expect(client.messages.filter(isAck)).toEqual([]);
    expect(client.messages.filter(isUpdate)).toEqual([]);
    expect(sim.state.rics.get("TRCCTEST01")).toBeUndefined();

    client.send(part(7, 2, { DSPLY_NAME: "three parts", BID: 451.56 }, true));
    expect(await client.next(isAck)).toEqual({ Type: "Ack", ID: 1, AckID: 7 });
    expect(await client.next(onStream(5, "Update"))).toMatchObject({
      Fields: { BID: 451.56, ASK: 451.57, DSPLY_NAME: "three parts" },
    });
    await fence(client);
    expect(client.messages.filter(isAck)).toHaveLength(1);
    expect(client.messages.filter(isUpdate)).toHaveLength(1);
    expect(sim.state.rics.get("TRCCTEST01")!.fields).toEqual({ BID: 451.56, ASK: 451.57, DSPLY_NAME: "three parts" });
    expect(sim.state.contributions("TRCCTEST01")).toMatchObject([{ postId: 7, outcome: "ack" }]);
  });

  it("§4A.6 rule 8: a gap in PartNumber is Nak'd InvalidContent with the expected part, and nothing of the post is applied", async () => {
    const { sim, client } = await rccClient();
    await openItem(client, 5, "TRCCTEST01");

    client.send([part(8, 0, { BID: 1 }), part(8, 2, { ASK: 2 })]);
    expect(await client.next(isAck)).toEqual({
      Type: "Ack",
      ID: 1,
      AckID: 8,
      NakCode: "InvalidContent",
      Text: "Multi-part post 8 on stream 1: expected PartNumber 1, received PartNumber 2; the post is discarded",
    });
    // The post is gone: its last part is now a part without its first.
    client.send(part(8, 3, { BID: 3 }, true));
    expect(await client.next(isAck)).toEqual({
      Type: "Ack",
      ID: 1,
      AckID: 8,
      NakCode: "InvalidContent",
      Text: "Multi-part post 8 on stream 1: expected PartNumber 0, received PartNumber 3 (parts missing or out of order)",
    });
    // A part that fails conversion is dropped (§2.11), so the part after it is a gap too.
    client.send([part(9, 0, { BID: 1 }), part(9, 1, { NO_SUCH_FIELD: 1 }), part(9, 2, { ASK: 2 }, true)]);
    expect(await client.next(notPing)).toMatchObject({ Type: "Error", Text: /^JSON Unexpected FID/ });
    expect(await client.next(isAck)).toMatchObject({
      AckID: 9,
      NakCode: "InvalidContent",
      Text: /expected PartNumber 1/,
    });

    await fence(client);
    expect(client.messages.filter(isUpdate)).toEqual([]);
    expect(client.messages.filter((message) => isAck(message) && message.NakCode === undefined)).toEqual([]);
    expect(sim.state.rics.get("TRCCTEST01")).toBeUndefined();
    expect(sim.state.contributions().every((received) => received.outcome !== "ack")).toBe(true);
  });

  it("§4A.6 rule 8: on-stream parts of different PostIDs may interleave, and each post is assembled and Acked on its own (ADS profile)", async () => {
    const { sim, login } = await adsSimulator(simulator);
    const client = await login();
    await openItem(client, 6, "TRCCTEST01");
    await openItem(client, 7, "TRCCTEST02");

    client.send([
      onStreamPart(6, 1, 0, { BID: 10 }),
      onStreamPart(7, 2, 0, { BID: 20 }),
      onStreamPart(6, 3, 0, { ASK: 31 }),
      onStreamPart(6, 1, 1, { ASK: 11 }, true),
      onStreamPart(6, 3, 1, { BIDSIZE: 32 }),
      onStreamPart(7, 2, 1, { ASK: 21 }, true),
      onStreamPart(6, 3, 2, { DSPLY_NAME: "post 3" }, true),
    ]);
    const acks = [await client.next(isAck), await client.next(isAck), await client.next(isAck)];
    expect(acks).toEqual([
      { Type: "Ack", ID: 6, AckID: 1, Text: "All is well" },
      { Type: "Ack", ID: 7, AckID: 2, Text: "All is well" },
      { Type: "Ack", ID: 6, AckID: 3, Text: "All is well" },
    ]);
    expect(await client.next(onStream(6, "Update"))).toMatchObject({ Fields: { BID: 10, ASK: 11 } });
    expect(await client.next(onStream(7, "Update"))).toMatchObject({ Fields: { BID: 20, ASK: 21 } });
    expect(await client.next(onStream(6, "Update"))).toMatchObject({
      Fields: { ASK: 31, BIDSIZE: 32, DSPLY_NAME: "post 3" },
    });
    expect(sim.state.rics.get("TRCCTEST01")!.fields).toEqual({ BID: 10, ASK: 31, BIDSIZE: 32, DSPLY_NAME: "post 3" });
    expect(sim.state.rics.get("TRCCTEST02")!.fields).toEqual({ BID: 20, ASK: 21 });
  });

  it("§4A.6 rule 8: a multi-part post beyond the per-connection cap of open posts is Nak'd NoResources, and the open ones still complete", async () => {
    const { sim, client } = await rccClient();
    const { maxOpenPosts } = MULTIPART_LIMITS;
    client.send(Array.from({ length: maxOpenPosts }, (_, index) => part(index + 1, 0, { BID: index })));
    client.send(part(100, 0, { BID: 100 }));
    expect(await client.next(isAck)).toEqual({
      Type: "Ack",
      ID: 1,
      AckID: 100,
      NakCode: "NoResources",
      Text: `Multi-part post 100 on stream 1: too many open multi-part posts on this connection (at most ${maxOpenPosts})`,
    });
    client.send(part(1, 1, { ASK: 1.5 }, true));
    expect(await client.next(isAck)).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    // Completing one frees its place.
    client.send([part(101, 0, { BID: 101 }), part(101, 1, { ASK: 102 }, true)]);
    expect(await client.next(isAck)).toEqual({ Type: "Ack", ID: 1, AckID: 101 });
    expect(sim.state.rics.get("TRCCTEST01")!.fields).toEqual({ BID: 101, ASK: 102 });
  });

  it("§4A.6 rule 8: a part beyond the per-connection cap of buffered parts is Nak'd NoResources and its post discarded", async () => {
    const { sim, client } = await rccClient();
    const { maxBufferedParts } = MULTIPART_LIMITS;
    const parts = Array.from({ length: maxBufferedParts + 1 }, (_, index) => part(5, index, { BID: index }));
    // Two frames, each well under the 61,440-byte frame limit (§2.2).
    const half = Math.ceil(parts.length / 2);
    client.send(parts.slice(0, half));
    client.send(parts.slice(half));
    expect(await client.next(isAck)).toEqual({
      Type: "Ack",
      ID: 1,
      AckID: 5,
      NakCode: "NoResources",
      Text:
        `Multi-part post 5 on stream 1: too many buffered parts of multi-part posts on this connection ` +
        `(at most ${maxBufferedParts}); the post is discarded`,
    });
    client.send(part(5, maxBufferedParts + 1, { BID: 0 }, true));
    expect(await client.next(isAck)).toMatchObject({ AckID: 5, NakCode: "InvalidContent" });
    expect(sim.state.rics.get("TRCCTEST01")).toBeUndefined();
  });

  it("§4A.6 rule 8: a connection closed mid-post leaves no state: nothing is applied and the simulator forgets the connection", async () => {
    const { sim, client } = await rccClient();
    client.send([part(3, 0, { BID: 1 }), part(3, 1, { ASK: 2 })]);
    await fence(client);
    await client.close();
    await vi.waitFor(() => expect(sim.state.connections.size).toBe(0));
    const response = await fetch(`${sim.adminUrl}/state`);
    const state = (await response.json()) as { connections: unknown[]; rics: Record<string, unknown> };
    expect(state.connections).toEqual([]);
    expect(state.rics).toEqual({});
    expect(sim.state.contributions()).toEqual([]);

    // The last part on a new connection has no first part there.
    const { client: again } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    again.send(part(3, 2, { BIDSIZE: 3 }, true));
    expect(await again.next(isAck)).toMatchObject({
      AckID: 3,
      NakCode: "InvalidContent",
      Text: /expected PartNumber 0/,
    });
    expect(sim.state.rics.get("TRCCTEST01")).toBeUndefined();
  });

  it("§4A.6 rule 8 and §2.13: a Login Close frees the open posts of the connection; after a new Login their parts are gaps", async () => {
    const { sim, client, tokens } = await rccClient();
    client.send([part(4, 0, { BID: 1 }), part(4, 1, { ASK: 2 })]);
    client.send({ ID: 1, Type: "Close", Domain: "Login" });
    client.send(loginRequest(tokens.accessToken));
    expect(await client.next((message) => message.Domain === "Login")).toMatchObject({ Type: "Refresh" });
    client.send(part(4, 2, { BIDSIZE: 3 }, true));
    expect(await client.next(isAck)).toMatchObject({
      AckID: 4,
      NakCode: "InvalidContent",
      Text: "Multi-part post 4 on stream 1: expected PartNumber 0, received PartNumber 2 (parts missing or out of order)",
    });
    expect(sim.state.rics.get("TRCCTEST01")).toBeUndefined();
  });
});
