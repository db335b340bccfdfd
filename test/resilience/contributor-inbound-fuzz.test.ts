/**
 * Property tests of the client's inbound side: a fake tr_json2 server throws random server messages —
 * valid and not: Acks and Naks with odd AckIDs and codes, Errors, Login Refreshes and Statuses with odd states
 * and rate limits, Pings, unknown types, non-JSON text, binary frames — at a connected Contributor while posts
 * are in flight. Nothing may escape the event loop, every `contribute()` promise settles exactly once with an
 * Ack or a typed RccError, and afterwards posts still resolve with their own Acks (ack tracking intact).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Contributor } from "../../src/client/contributor.js";
import { RccError } from "../../src/client/errors.js";
import { waitFor } from "../helpers/wait-for.js";
import { watchEscapes } from "./helpers/escape-watch.js";
import { FakeRccServer, LOGIN_REFRESH, fixedTokenAuth } from "./helpers/fake-rcc-server.js";

const escaped = watchEscapes();

const text = fc.string({ maxLength: 30 });
const json = fc.jsonValue({ maxDepth: 2 });
const enumish = (names: string[]) =>
  fc.oneof(fc.constantFrom(...names), fc.integer({ min: -2, max: 40 }), text, fc.constant(null), json);
const anyPostId = fc.oneof(fc.integer({ min: -2, max: 12 }), fc.double(), text, fc.constant(null), json);
const state = fc.record(
  {
    Stream: enumish(["Open", "Closed", "ClosedRecover", "NonStreaming", "Redirected"]),
    Data: enumish(["Ok", "Suspect", "NoChange"]),
    Code: enumish(["None", "NotEntitled", "NoResources", "UserUnknownToPermSys", "Timeout"]),
    Text: text,
  },
  { requiredKeys: [] },
);
const ack = fc.record(
  {
    Type: fc.constantFrom("Ack", 6),
    ID: fc.oneof(fc.constant(1), fc.integer()),
    AckID: anyPostId,
    NakCode: enumish(["None", "SymbolUnknown", "NoResources", "AccessDenied", "InvalidContent"]),
    Text: text,
  },
  { requiredKeys: ["Type", "AckID"] },
);
const serverError = fc.record(
  {
    Type: fc.constant("Error"),
    ID: fc.oneof(fc.constant(0), fc.constant(1), fc.integer()),
    Text: fc.oneof(text, fc.constant("JSON Unexpected FID. Received 'BID' for key 'Fields'")),
    Debug: fc.oneof(
      fc.record({
        Message: fc.oneof(
          text,
          anyPostId.map((id) => `{"Type":"Post","PostID":${JSON.stringify(id)},"Key":{"Name":"TRCCTEST01"}}`),
        ),
      }),
      json,
    ),
  },
  { requiredKeys: ["Type"] },
);
const loginMessage = fc.record(
  {
    Type: fc.constantFrom("Refresh", "Status", 2, 3),
    Domain: fc.oneof(fc.constant("Login"), fc.constant(1), json),
    ID: fc.oneof(fc.constant(1), fc.integer()),
    State: fc.oneof(state, json),
    Key: fc.oneof(
      fc.record({
        Name: json,
        Elements: fc.oneof(
          fc.record({ "TRCE:MaxMessagesPerSecond": fc.oneof(fc.integer(), fc.double(), text, json) }),
          json,
        ),
      }),
      json,
    ),
  },
  { requiredKeys: ["Type"] },
);
/** A well-formed Login Status that ends the session ("System busy" and friends, §2.6): forces reconnects. */
const loginEnd = fc.record({
  Type: fc.constant("Status"),
  Domain: fc.constant("Login"),
  ID: fc.constant(1),
  State: fc.record({
    Stream: fc.constantFrom("Closed", "ClosedRecover"),
    Data: fc.constant("Suspect"),
    Code: fc.constantFrom("NoResources", "NotEntitled", "None"),
    Text: text,
  }),
});
const message = fc.oneof(
  loginEnd,
  ack,
  serverError,
  loginMessage,
  fc.constantFrom({ Type: "Ping" }, { Type: "Pong" }),
  fc.record({ Type: json, ID: json }),
  json,
);
const frame = fc.oneof(
  fc.array(message, { maxLength: 8 }).map((messages) => JSON.stringify(messages)),
  message.map((single) => JSON.stringify(single)),
  text,
  fc.uint8Array({ maxLength: 64 }),
);

interface Tracked {
  settles: number;
  outcome?: "ack" | "typed-error" | "untyped-error";
  ackRic?: string;
}

function track(promise: Promise<{ ric: string }>): Tracked {
  const tracked: Tracked = { settles: 0 };
  promise.then(
    (result) => {
      tracked.settles += 1;
      tracked.outcome = "ack";
      tracked.ackRic = result.ric;
    },
    (error: unknown) => {
      tracked.settles += 1;
      tracked.outcome = error instanceof RccError ? "typed-error" : "untyped-error";
    },
  );
  return tracked;
}

describe("client inbound fuzzing", () => {
  it("random server frames never escape the event loop, settle a post twice or corrupt the Ack tracking", async () => {
    let run = 0;
    // What the barrages did, so the property is known not to be vacuous.
    const seen = { reconnects: 0, typedErrors: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 15 }), async (barrage) => {
        run += 1;
        const server = await FakeRccServer.start();
        const client = new Contributor({
          urls: [server.url],
          auth: fixedTokenAuth(),
          backoff: { initialDelayMs: 5, maxDelayMs: 20 },
          ackTimeoutMs: 2000,
          loginTimeoutMs: 2000,
          drainTimeoutMs: 500,
        });
        try {
          await client.connect();
          server.holdAcks = true;
          const early = Array.from({ length: 5 }, (_, index) =>
            track(client.contribute(`TRCCTEST0${index}`, { BID: run * 10 + index })),
          );
          await server.received(5);
          for (const raw of barrage) server.send(raw);
          server.send(JSON.stringify([LOGIN_REFRESH])); // a sane rate limit again, in case the barrage set an odd one
          server.releaseAcks();
          await waitFor(() => early.every((post) => post.settles > 0), 8000, "the early posts to settle");
          seen.typedErrors += early.filter((post) => post.outcome === "typed-error").length;

          // Ack tracking intact: new posts resolve with the Ack of the PostID the server saw for each of them.
          const ready = () => client.state === "ready";
          await waitFor(ready, 5000, "the contributor to be ready");
          const late = Array.from({ length: 5 }, (_, index) =>
            client.contribute(`TRCCTEST1${index}`, { ASK: run * 10 + index }),
          );
          const acks = await Promise.all(late);
          for (const [index, result] of acks.entries()) {
            const seen = server.posts.filter(
              (post) => post.ric === `TRCCTEST1${index}` && post.fields.ASK === run * 10 + index,
            );
            expect(result.ric).toBe(`TRCCTEST1${index}`);
            expect(seen.at(-1)?.postId).toBe(result.postId);
          }
          expect(early.every((post) => post.settles === 1 && post.outcome !== "untyped-error")).toBe(true);
          expect(
            early.filter((post) => post.outcome === "ack").every((post) => post.ackRic?.startsWith("TRCCTEST0")),
          ).toBe(true);
          expect(client.stats().inFlight).toBe(0);
          expect(client.state).toBe("ready");
          if (server.connections > 1) seen.reconnects += 1;
        } finally {
          await client.close();
          await server.close();
        }
        expect(escaped).toEqual([]);
      }),
      { numRuns: 60 },
    );
    expect(seen.reconnects).toBeGreaterThan(0);
    expect(seen.typedErrors).toBeGreaterThan(0);
  });
});
