/**
 * Property tests of the simulator's inbound side (docs/protocol.md §2.2, §2.11, checklist items 11 and
 * 27): random JSON, wrong JSON types in every key of a post, nesting, packed arrays. Throughout, a healthy
 * connection keeps posting and must keep getting Acks, and nothing may escape to the process.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Received } from "../helpers/raw-client.js";
import { useFuzzEnvironment } from "./helpers/fuzz-environment.js";

// These properties check the answer to every element, so the bounds that stop a hostile peer early (Errors per
// frame, messages before login) are lifted here; hostile-peers/simulator-floods.test.ts tests those bounds.
const env = useFuzzEnvironment({
  maxMessagesPerSecond: 1_000_000,
  maxErrorsPerFrame: 1_000_000,
  maxMessagesBeforeLogin: 1_000_000,
});

/** Message types the server may answer with (§2.3); everything it sends is one of these. */
const SERVER_TYPES = new Set(["Error", "Status", "Refresh", "Ack", "Pong", "Update"]);
/** Error texts of §2.11 and the simulator's login-required text (item 12). */
const ERROR_TEXT = /^(JSON |Unsupported Message Type|Login required)/;

function expectWellFormed(answers: Received[]): void {
  for (const answer of answers) {
    expect(SERVER_TYPES.has(answer.Type as string), JSON.stringify(answer)).toBe(true);
    if (answer.Type === "Error") {
      expect(typeof answer.ID).toBe("number");
      expect(answer.Text).toMatch(ERROR_TEXT);
    }
  }
}

/** A valid off-stream post (§2.8) as a template. */
function template(postId: number): Record<string, any> {
  return {
    Type: "Post",
    ID: 1,
    Ack: true,
    PostID: postId,
    Key: { Service: "DDS_TRCE", Name: "TRCCTEST01" },
    Message: { Type: "Update", ID: 0, Fields: { BID: 1.5, DSPLY_NAME: "fuzz" } },
  };
}

type JsonKind = "string" | "number" | "boolean" | "null" | "object" | "array";
const ALL_KINDS: JsonKind[] = ["string", "number", "boolean", "null", "object", "array"];
/** JSON kinds each post key accepts (enums and Key.Service as string or number, §4A.7; blanks as null, §2.12). */
const ACCEPTED: Record<string, JsonKind[]> = {
  Type: ["string", "number"],
  ID: ["number"],
  Ack: ["boolean"],
  PostID: ["number"],
  Key: ["object"],
  "Key.Service": ["string", "number"],
  "Key.Name": ["string"],
  Message: ["object"],
  "Message.Type": ["string", "number"],
  "Message.ID": ["number"],
  "Message.Fields": ["object", "null"],
  "Message.Fields.BID": ["number", "null"],
  "Message.Fields.DSPLY_NAME": ["string", "null"],
  "Message.Domain": ["string", "number"],
  Domain: ["string", "number"],
  PostUserInfo: ["object"],
  SeqNumber: ["number"],
  // Multi-part keys (§2.8 key table, §4A.6 rule 8); Complete and Message.Domain were once accepted with any type.
  Complete: ["boolean"],
  PartNumber: ["number"],
};

function valueOf(kind: JsonKind): fc.Arbitrary<unknown> {
  switch (kind) {
    case "string":
      // "Inf", "-Inf" and "NaN" are valid Real values (§2.12).
      return fc.string({ maxLength: 20 }).filter((text) => !["Inf", "-Inf", "NaN"].includes(text));
    case "number":
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "object":
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    case "array":
      return fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 });
  }
}

const wrongTypedKey = fc
  .constantFrom(...Object.keys(ACCEPTED))
  .chain((path) =>
    fc
      .constantFrom(...ALL_KINDS.filter((kind) => !(ACCEPTED[path] ?? []).includes(kind)))
      .chain((kind) => valueOf(kind).map((value) => ({ path, kind, value }))),
  );

describe("simulator inbound fuzzing", () => {
  it("§4 items 11, 12 and 27: any JSON frame before login gets at most one well-formed answer per element and the connection stays open", async () => {
    const prober = env.anonymous();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        const elements = Array.isArray(value) ? value.length : 1;
        const { answers, closed } = await prober.probe(JSON.stringify(value));
        expect(closed).toBeUndefined();
        expect(answers.length).toBeLessThanOrEqual(elements);
        expectWellFormed(answers);
      }),
      { numRuns: 300 },
    );
  });

  it("§2.11: text that is not JSON gets exactly one Error with ID 0 and a 'JSON parser error' text", async () => {
    const prober = env.anonymous();
    const notJson = fc.string({ unit: "grapheme", maxLength: 200 }).filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    });
    await fc.assert(
      fc.asyncProperty(notJson, async (text) => {
        const { answers, closed } = await prober.probe(text);
        expect(closed).toBeUndefined();
        expect(answers).toHaveLength(1);
        expect(answers[0]).toMatchObject({ Type: "Error", ID: 0 });
        expect(answers[0]!.Text).toMatch(/^JSON parser error: -[23] /);
      }),
      { numRuns: 200 },
    );
  });

  it("§2.11 and item 27: a post with a wrong JSON type in any key is answered by exactly one converter Error, never an Ack", async () => {
    const prober = env.loggedIn();
    let postId = 1;
    await fc.assert(
      fc.asyncProperty(wrongTypedKey, async ({ path, value }) => {
        const message = template(postId++);
        const keys = path.split(".");
        let target = message;
        for (const key of keys.slice(0, -1)) target = target[key] as Record<string, any>;
        target[keys.at(-1)!] = value;
        const { answers, closed } = await prober.probe(JSON.stringify(message));
        expect(closed).toBeUndefined();
        expect(answers, JSON.stringify(message)).toHaveLength(1);
        expect(answers[0]!.Type, JSON.stringify(answers[0])).toBe("Error");
        expect(answers[0]!.Text).toMatch(/^JSON /);
      }),
      { numRuns: 400 },
    );
  });

  it("§2.2 and item 11: a packed array of good and bad posts gets one answer per element, in order", async () => {
    const prober = env.loggedIn();
    let postId = 1_000_000;
    const element = fc.oneof(
      fc.constant("good" as const),
      fc.constant("unknown-ric" as const),
      fc.constant("bad-field" as const),
      fc.constant("not-an-object" as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(element, { minLength: 1, maxLength: 200 }), async (kinds) => {
        const messages = kinds.map((kind) => {
          const message = template(postId++);
          if (kind === "unknown-ric") message.Key.Name = "NOT.A.RIC";
          if (kind === "bad-field") message.Message.Fields = { NO_SUCH_FIELD: 1 };
          return kind === "not-an-object" ? 42 : message;
        });
        const { answers, closed } = await prober.probe(JSON.stringify(messages));
        expect(closed).toBeUndefined();
        expect(answers).toHaveLength(kinds.length);
        for (const [index, kind] of kinds.entries()) {
          const answer = answers[index]!;
          const sent = messages[index] as Record<string, any> | number;
          if (kind === "good")
            expect(answer).toEqual({ Type: "Ack", ID: 1, AckID: (sent as Record<string, any>).PostID });
          if (kind === "unknown-ric") expect(answer).toMatchObject({ Type: "Ack", NakCode: "SymbolUnknown" });
          if (kind === "bad-field")
            expect(answer.Text).toBe("JSON Unexpected FID. Received 'NO_SUCH_FIELD' for key 'Fields'");
          if (kind === "not-an-object")
            expect(answer).toMatchObject({ Type: "Error", ID: 0, Text: "JSON invalid container type." });
        }
      }),
      { numRuns: 60 },
    );
  });

  it("§2.11: nesting of any depth within the frame limit, as a frame or inside a field, gets one Error and the connection stays open", async () => {
    // Up to 30,000 levels of arrays and 10,000 of objects (≤ 61,440 bytes): deep enough to overflow a recursive
    // JSON.stringify, which once crashed the simulator (fixed; the case came from this suite's known failures).
    const prober = env.loggedIn();
    let postId = 2_000_000;
    const shape = fc
      .record({ kind: fc.constantFrom("array", "object"), where: fc.constantFrom("frame", "field") })
      .chain((base) =>
        fc
          .oneof(
            fc.integer({ min: 2, max: 2000 }),
            fc.integer({ min: 2, max: base.kind === "array" ? 30_000 : 10_000 }),
          )
          .map((depth) => ({ ...base, depth })),
      );
    await fc.assert(
      fc.asyncProperty(shape, async ({ depth, kind, where }) => {
        const nested =
          kind === "array"
            ? `${"[".repeat(depth)}${"]".repeat(depth)}`
            : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
        const frame =
          where === "frame" ? nested : JSON.stringify(template(postId++)).replace('"BID":1.5', `"BID":${nested}`);
        const { answers, closed } = await prober.probe(frame);
        expect(closed).toBeUndefined();
        expect(answers.length).toBeGreaterThanOrEqual(1);
        expectWellFormed(answers);
        expect(answers.every((answer) => answer.Type === "Error")).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
