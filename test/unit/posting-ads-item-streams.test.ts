/** On-stream posting (§4A.6): item streams per RIC, their refusals, and framing posts on them. Pure, ManualClock. */
import { describe, expect, test } from "vitest";
import { type PostEntry, createPostEntry } from "../../src/client/posting/post-entry.js";
import { FrameBuilder, OnStreamPostFormat, PostFormat, digitCount } from "../../src/client/posting/frame-builder.js";
import { fillOnStream } from "../../src/client/posting/post-queue.js";
import { ItemStreams } from "../../src/client/posting/item-streams.js";
import { ItemStreamError } from "../../src/client/errors.js";
import { PostQueue } from "../../src/client/posting/post-queue.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/logger.js";

const offStream = new PostFormat();

function streams(clock = new ManualClock(0)): { streams: ItemStreams; sent: object[]; changes: number[] } {
  const sent: object[] = [];
  const changes: number[] = [];
  const result = new ItemStreams({
    clock,
    log: silentLogger,
    service: "DDS_TRCE",
    offStream,
    onStream: new OnStreamPostFormat(),
    openTimeoutMs: 1_000,
    send: (request) => sent.push(request),
    onChange: () => changes.push(clock.monotonic()),
  });
  return { streams: result, sent, changes };
}

const refresh = (id: number) => ({
  ID: id,
  Type: "Refresh",
  State: { Stream: "Open", Data: "Ok" },
  Fields: { BID: 1 },
});

function entry(ric: string, fields: object): PostEntry {
  const ricJson = JSON.stringify(ric);
  const fieldsJson = JSON.stringify(fields);
  const size = offStream.sizeWithoutPostId(Buffer.byteLength(ricJson) + Buffer.byteLength(fieldsJson));
  const created = createPostEntry(ric, ricJson, fieldsJson, size, false);
  created.promise.catch(() => undefined); // refusals are checked through `settled`
  return created;
}

describe("ItemStreams", () => {
  test("§4A.6: a RIC's first post opens a streaming Request with Name and Service, IDs 2, 3, … in order", () => {
    const { streams: table, sent } = streams();
    expect(table.open("A.N")).toBeUndefined(); // not connected: nothing sent
    table.connected([]);
    expect(table.open("A.N")).toMatchObject({ ric: "A.N", id: 2, state: "opening" });
    expect(table.open("B.N")).toMatchObject({ id: 3 });
    expect(table.open("A.N")).toMatchObject({ id: 2 }); // one stream per RIC
    expect(sent).toEqual([
      { ID: 2, Streaming: true, Key: { Name: "A.N", Service: "DDS_TRCE" } },
      { ID: 3, Streaming: true, Key: { Name: "B.N", Service: "DDS_TRCE" } },
    ]);
  });

  test("the Refresh opens the stream and says so; Updates on it are taken and ignored", () => {
    const { streams: table, changes } = streams();
    table.connected([]);
    table.open("A.N");
    expect(table.onMessage(refresh(2))).toBe(true);
    expect(table.get("A.N")?.state).toBe("open");
    expect(changes).toHaveLength(1);
    expect(table.onMessage({ ID: 2, Type: "Update", Fields: { BID: 2 } })).toBe(true);
    expect(table.onMessage({ ID: 9, Type: "Refresh" })).toBe(false); // not ours
    expect(changes).toHaveLength(1);
  });

  test("§4A.3: a Status Closed/Suspect NotFound refuses the stream with a typed, non-retriable error", () => {
    const { streams: table, changes } = streams();
    table.connected([]);
    table.open("NOPE.N");
    const status = {
      ID: 2,
      Type: "Status",
      Key: { Service: "DDS_TRCE", Name: "NOPE.N" },
      State: { Stream: "Closed", Data: "Suspect", Code: "NotFound", Text: "**The record could not be found" },
    };
    expect(table.onMessage(status)).toBe(true);
    const stream = table.get("NOPE.N");
    expect(stream?.state).toBe("refused");
    expect(stream?.error).toBeInstanceOf(ItemStreamError);
    expect(stream?.error).toMatchObject({
      code: "RCC_ITEM_STREAM_REFUSED",
      ric: "NOPE.N",
      reason: "status",
      streamState: "Closed",
      stateCode: "NotFound",
      text: "**The record could not be found",
      retriable: false,
    });
    expect(table.open("NOPE.N")).toBe(stream); // kept for the connection: no second Request
    expect(table.refusals).toBe(1);
    expect(changes).toHaveLength(1);
  });

  test("a converter Error on an opening stream's ID refuses it; one on an open stream is left to the posts", () => {
    const { streams: table } = streams();
    table.connected([]);
    table.open("A.N");
    table.open("B.N");
    table.onMessage(refresh(3));
    expect(table.onError({ Type: "Error", ID: 3, Text: "JSON Unexpected FID" })).toBe(false);
    expect(table.onError({ Type: "Error", ID: 2, Text: "JSON Unexpected Value. Received 'X' for key 'Service'" })).toBe(
      true,
    );
    expect(table.get("A.N")?.error).toMatchObject({ reason: "error", retriable: false });
  });

  test("a Request without an answer within the open timeout is refused as retriable", () => {
    const clock = new ManualClock(0);
    const { streams: table } = streams(clock);
    table.connected([]);
    table.open("A.N");
    clock.advance(999);
    expect(table.get("A.N")?.state).toBe("opening");
    clock.advance(1);
    expect(table.get("A.N")?.error).toMatchObject({ reason: "timeout", retriable: true });
  });

  test("ClosedRecover on an open stream forgets it, so the next post asks again with a new ID", () => {
    const { streams: table, sent } = streams();
    table.connected([]);
    table.open("A.N");
    table.onMessage(refresh(2));
    table.onMessage({ ID: 2, Type: "Status", State: { Stream: "ClosedRecover", Data: "Suspect" } });
    expect(table.get("A.N")).toBeUndefined();
    expect(table.open("A.N")).toMatchObject({ id: 3, state: "opening" });
    expect(sent).toHaveLength(2);
  });

  test("a new connection starts IDs at 2 again and re-requests the RICs still queued; timers are cleared", () => {
    const clock = new ManualClock(0);
    const { streams: table, sent } = streams(clock);
    table.connected([]);
    table.open("A.N");
    table.disconnected();
    expect(clock.pendingTimers).toBe(0);
    expect(table.get("A.N")).toBeUndefined();
    table.connected(new Set(["B.N", "A.N"]));
    expect(sent.slice(1)).toEqual([
      { ID: 2, Streaming: true, Key: { Name: "B.N", Service: "DDS_TRCE" } },
      { ID: 3, Streaming: true, Key: { Name: "A.N", Service: "DDS_TRCE" } },
    ]);
  });
});

describe("on-stream framing", () => {
  test("§4A.6: an on-stream post has no Key, rides on the stream ID, and its size is exact", () => {
    const format = new OnStreamPostFormat({ postUserInfo: { Address: "10.0.0.5", UserID: 4242 } });
    const ricJson = JSON.stringify("TRCCTEST01");
    const fieldsJson = JSON.stringify({ BID: 45.55, DSPLY_NAME: "é" });
    const text = format.render(format.head(17), 3, fieldsJson);
    expect(JSON.parse(text)).toEqual({
      Type: "Post",
      ID: 17,
      Ack: true,
      PostID: 3,
      Message: { Type: "Update", ID: 0, Fields: { BID: 45.55, DSPLY_NAME: "é" } },
      PostUserInfo: { Address: "10.0.0.5", UserID: 4242 },
    });
    const withInfo = new PostFormat({ postUserInfo: { Address: "10.0.0.5", UserID: 4242 } });
    const offSize = withInfo.sizeWithoutPostId(Buffer.byteLength(ricJson) + Buffer.byteLength(fieldsJson));
    expect(offSize + format.sizeDelta(withInfo, 17, ricJson) + digitCount(3)).toBe(Buffer.byteLength(text));
  });

  test("fillOnStream stops at a post whose stream is opening and rejects posts whose stream was refused", () => {
    const { streams: table } = streams();
    table.connected([]);
    const queue = new PostQueue(100);
    const posts = [entry("A.N", { BID: 1 }), entry("B.N", { BID: 2 }), entry("A.N", { BID: 3 })];
    for (const post of posts) queue.offer(post, false);
    table.open("A.N");
    table.open("B.N");
    table.onMessage(refresh(2));
    const frame = new FrameBuilder(61_440);
    const batch: PostEntry[] = [];
    expect(fillOnStream(queue, frame, table, batch, 10, 1)).toBe(0);
    expect(batch.map((post) => post.postId)).toEqual([1]); // B.N is still opening: order is kept
    expect(frame.bytes).toBe(Buffer.byteLength(frame.take()));

    table.onMessage({ ID: 3, Type: "Status", State: { Stream: "Closed", Data: "Suspect", Code: "NotEntitled" } });
    const next: PostEntry[] = [];
    expect(fillOnStream(queue, frame, table, next, 10, 2)).toBe(1);
    expect(posts[1]?.settled).toBe(true);
    expect(next.map((post) => [post.ric, post.postId])).toEqual([["A.N", 2]]);
    expect(JSON.parse(frame.take())).toEqual([
      { Type: "Post", ID: 2, Ack: true, PostID: 2, Message: { Type: "Update", ID: 0, Fields: { BID: 3 } } },
    ]);
    expect(queue.length).toBe(0);
  });
});
