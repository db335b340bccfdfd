/** Tying a server Error (§2.11) to the post it is about. */
import { describe, expect, test } from "vitest";
import { type PostEntry, createPostEntry } from "../../src/client/posting/post-entry.js";
import { PostFormat } from "../../src/client/posting/frame-builder.js";
import { matchServerError } from "../../src/client/posting/server-error-match.js";

const format = new PostFormat();

function inFlight(...posts: [number, string, Record<string, unknown>][]): Map<number, PostEntry> {
  const map = new Map<number, PostEntry>();
  for (const [postId, ric, fields] of posts) {
    const entry = createPostEntry(ric, JSON.stringify(ric), JSON.stringify(fields), 0, false);
    entry.postId = postId;
    map.set(postId, entry);
  }
  return map;
}

function wire(postId: number, ric: string, fields: Record<string, unknown>): string {
  return format.render(postId, JSON.stringify(ric), JSON.stringify(fields));
}

describe("matchServerError", () => {
  const posts = inFlight([1, "A.N", { BID: 1 }], [2, "B.N", { BID: 2, NOSUCH: 3 }], [3, "C.N", { ASK: 4 }]);

  test("matches by the PostID echoed in Debug.Message", () => {
    const error = {
      Type: "Error",
      ID: 1,
      Text: "JSON Unexpected FID. Received 'NOSUCH' for key 'Fields'",
      Debug: { File: "Converter/jsonToRwfSimple.C", Line: 1, Message: wire(2, "B.N", { BID: 2, NOSUCH: 3 }) },
    };
    expect(matchServerError(error, posts)?.postId).toBe(2);
  });

  test("narrows a whole echoed frame by the field the Text names", () => {
    const frame = `[${wire(1, "A.N", { BID: 1 })},${wire(2, "B.N", { BID: 2, NOSUCH: 3 })},${wire(3, "C.N", { ASK: 4 })}]`;
    const error = {
      Type: "Error",
      ID: 1,
      Text: "JSON Unexpected FID. Received 'NOSUCH' for key 'Fields'",
      Debug: { Message: frame },
    };
    expect(matchServerError(error, posts)?.postId).toBe(2);
  });

  test("takes the oldest candidate when the Text names no field", () => {
    const frame = `[${wire(3, "C.N", { ASK: 4 })},${wire(1, "A.N", { BID: 1 })}]`;
    const error = {
      Type: "Error",
      ID: 1,
      Text: "JSON Unexpected Value. Received 'X' for key 'Service'",
      Debug: { Message: frame },
    };
    expect(matchServerError(error, posts)?.postId).toBe(1);
  });

  test("falls back to the RIC when the echo is truncated before the PostID", () => {
    const error = {
      Type: "Error",
      ID: 1,
      Text: "JSON parser error",
      Debug: { Message: '{"Type":"Post","Key":{"Name":"C.N","Serv' },
    };
    expect(matchServerError(error, posts)?.postId).toBe(3);
  });

  test("returns undefined without Debug.Message, for unknown PostIDs and for unknown RICs", () => {
    expect(matchServerError({ Type: "Error", ID: 0, Text: "JSON parser error: -2" }, posts)).toBeUndefined();
    expect(matchServerError({ Type: "Error", Debug: { Message: wire(99, "Z.N", { BID: 1 }) } }, posts)).toBeUndefined();
    expect(matchServerError({ Type: "Error", Debug: { Message: '{"ID":1,"Domain":"Login"}' } }, posts)).toBeUndefined();
  });
});
