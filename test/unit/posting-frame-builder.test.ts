/** Framing posts (§2.2, §2.8): template output equals buildPost, frames never exceed the byte cap. */
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import {
  FrameBuilder,
  MAX_POST_ID_DIGITS,
  PostFormat,
  digitCount,
  fitsInFrame,
  packFrames,
} from "../../src/client/posting/frame-builder.js";
import { buildPost } from "../../src/protocol/messages.js";

const FIELDS = { BID: 451.55, ASK: 451.57, DSPLY_NAME: "Hello RCC", PRIMACT_1: 100, SEC_ACT_1: null };

function render(format: PostFormat, postId: number, ric: string, fields: object): string {
  return format.render(postId, JSON.stringify(ric), JSON.stringify(fields));
}

describe("PostFormat", () => {
  test("renders exactly the off-stream post that buildPost builds (§2.8)", () => {
    const text = render(new PostFormat(), 17, "TRCCTEST01", FIELDS);
    expect(JSON.parse(text)).toEqual(buildPost({ ric: "TRCCTEST01", fields: FIELDS, postId: 17 }));
  });

  test("carries a numeric service and PostUserInfo when configured", () => {
    const postUserInfo = { Address: "10.0.0.5", UserID: 4242 };
    const text = render(new PostFormat({ service: 1, postUserInfo }), 3, "A.N", { BID: 1 });
    expect(JSON.parse(text)).toEqual(
      buildPost({ ric: "A.N", fields: { BID: 1 }, postId: 3, service: 1, postUserInfo }),
    );
  });

  fcTest.prop([
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.dictionary(
      fc.stringMatching(/^[A-Z_]{1,8}$/),
      fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.constant(null)),
    ),
    fc.integer({ min: 1, max: 10 ** 15 - 1 }),
  ])("predicts the exact byte size of any post, non-ASCII text included", (ric, fields, postId) => {
    const format = new PostFormat();
    const ricJson = JSON.stringify(ric);
    const fieldsJson = JSON.stringify(fields);
    const size = format.sizeWithoutPostId(Buffer.byteLength(ricJson) + Buffer.byteLength(fieldsJson));
    expect(size + digitCount(postId)).toBe(Buffer.byteLength(format.render(postId, ricJson, fieldsJson)));
    expect(digitCount(postId)).toBeLessThanOrEqual(MAX_POST_ID_DIGITS);
  });
});

describe("FrameBuilder", () => {
  test("packs messages into one JSON array and resets after take()", () => {
    const builder = new FrameBuilder(1000);
    builder.add('{"a":1}', 7);
    builder.add('{"b":2}', 7);
    expect(builder.bytes).toBe(2 + 7 + 1 + 7);
    expect(builder.take()).toBe('[{"a":1},{"b":2}]');
    expect(builder.count).toBe(0);
    expect(builder.bytes).toBe(2);
  });

  test("refuses a message that would push the frame over the cap, counting brackets and commas", () => {
    const builder = new FrameBuilder(20);
    expect(builder.fits(18)).toBe(true);
    expect(builder.fits(19)).toBe(false);
    builder.add("x".repeat(8), 8);
    expect(builder.fits(9)).toBe(true); // 2 + 8 + 1 + 9 = 20
    expect(builder.fits(10)).toBe(false);
  });
});

describe("packFrames", () => {
  test("keeps every frame within maxFrameBytes and the messages in order", () => {
    const messages = Array.from({ length: 500 }, (_, index) =>
      render(new PostFormat(), index + 1, `RIC${index}`, { BID: index, DSPLY_NAME: "é".repeat(index % 40) }),
    );
    const frames = packFrames(messages, 4096);
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(4096);
    const unpacked = frames.flatMap((frame) => JSON.parse(frame) as unknown[]);
    expect(unpacked).toEqual(messages.map((message): unknown => JSON.parse(message)));
  });

  test("fills each frame: the next message would not have fitted", () => {
    const messages = Array.from({ length: 100 }, (_, index) => JSON.stringify({ n: index, pad: "x".repeat(index) }));
    const frames = packFrames(messages, 1000);
    let next = 0;
    for (const frame of frames.slice(0, -1)) {
      next += (JSON.parse(frame) as unknown[]).length;
      expect(Buffer.byteLength(frame) + 1 + Buffer.byteLength(messages[next]!)).toBeGreaterThan(1000);
    }
  });

  test("sends a message larger than the cap alone (callers reject such posts earlier)", () => {
    const frames = packFrames(["a".repeat(50), '"b"'], 20);
    expect(frames).toEqual([`[${"a".repeat(50)}]`, '["b"]']);
  });
});

describe("fitsInFrame", () => {
  test("accepts a post only if it fits a frame with the longest possible PostID", () => {
    expect(fitsInFrame(61_440 - 2 - MAX_POST_ID_DIGITS, 61_440)).toBe(true);
    expect(fitsInFrame(61_440 - 1 - MAX_POST_ID_DIGITS, 61_440)).toBe(false);
  });
});
