/** Preparing posts (§2.2, §2.12): entries, their sizes and promises, with the one-RIC memo and shared executor. */
import { describe, expect, test } from "vitest";
import { resolvePost, rejectPost } from "../../src/client/posting/post-entry.js";
import { PostFormat, fitsInFrame } from "../../src/client/posting/frame-builder.js";
import { type PrepareContext, createEntry, mergeInto } from "../../src/client/posting/post-entry.js";
import { ValidationError } from "../../src/client/errors.js";

const format = new PostFormat();
const context: PrepareContext = { format, maxFrameBytes: 61_440 };

/** The wire size of the entry's post with PostID `postId`, bytes. */
function renderedBytes(postId: number, ricJson: string, fieldsJson: string): number {
  return Buffer.byteLength(format.render(postId, ricJson, fieldsJson));
}

describe("createEntry", () => {
  test("§2.8: gives each post its own RIC JSON and exact size when RICs alternate and repeat", () => {
    const rics = ["TRCCTEST01", "TRCCTEST01", "EUR=", "ÉCU.PA", "ÉCU.PA", "TRCCTEST01"];
    for (const [index, ric] of rics.entries()) {
      const fields = { BID: index, DSPLY_NAME: "Zürich" };
      const entry = createEntry(ric, fields, false, context);
      expect(entry.ric).toBe(ric);
      expect(entry.ricJson).toBe(JSON.stringify(ric));
      expect(entry.fieldsJson).toBe(JSON.stringify(fields));
      expect(entry.sizeWithoutPostId + 1).toBe(renderedBytes(7, entry.ricJson, entry.fieldsJson));
    }
  });

  test("gives every entry its own promise, settled only through that entry", async () => {
    const first = createEntry("A", { BID: 1 }, false, context);
    const second = createEntry("B", { BID: 2 }, false, context);
    expect(first.promise).not.toBe(second.promise);
    expect(first.resolve).not.toBe(second.resolve);
    const error = new Error("rejected");
    expect(rejectPost(second, error)).toBe(true);
    expect(resolvePost(first, { postId: 1, latencyMs: 0, ric: "A" })).toBe(true);
    await expect(first.promise).resolves.toEqual({ postId: 1, latencyMs: 0, ric: "A" });
    await expect(second.promise).rejects.toBe(error);
  });

  test("§2.2: rejects a post that would not fit in a frame on its own", () => {
    const small: PrepareContext = { format, maxFrameBytes: 256 };
    expect(() => createEntry("TRCCTEST01", { DSPLY_NAME: "x".repeat(200) }, false, small)).toThrow(ValidationError);
    const entry = createEntry("TRCCTEST01", { DSPLY_NAME: "x" }, false, small);
    expect(fitsInFrame(entry.sizeWithoutPostId, 256)).toBe(true);
  });
});

describe("createEntry validation and mergeInto", () => {
  test("§2.12: validates the fields as it writes them, converting Dates and rejecting bad values", () => {
    const dated = createEntry("TRCCTEST01", { BID: 1, TIMESTAMP: new Date(0) }, false, context);
    expect(dated.fieldsJson).toBe('{"BID":1,"TIMESTAMP":"1970-01-01T00:00:00.000"}');
    expect(() => createEntry("TRCCTEST01", { BID: Number.NaN }, false, context)).toThrow(ValidationError);
    expect(() => createEntry("TRCCTEST01", {}, false, context)).toThrow(/at least one field/);
  });

  test("merges later fields over a queued entry and keeps its size exact", () => {
    const entry = createEntry("TRCCTEST01", { BID: 1, ASK: 2 }, true, context);
    expect(mergeInto(entry, { ASK: 3, DSPLY_NAME: "ü" }, context)).toBe(true);
    expect(JSON.parse(entry.fieldsJson)).toEqual({ BID: 1, ASK: 3, DSPLY_NAME: "ü" });
    expect(entry.sizeWithoutPostId + 2).toBe(renderedBytes(12, entry.ricJson, entry.fieldsJson));
  });
});
