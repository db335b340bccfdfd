/**
 * The simulator under abusive input (docs/protocol.md §2.2, §2.11, checklist items 12, 20, 27, 30):
 * binary frames, frames over the size limit, huge strings and arrays within it, and floods before login.
 * A healthy connection keeps posting throughout and must keep getting Acks; nothing may escape to the process.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connectRaw, post } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";
import { useFuzzEnvironment } from "./helpers/fuzz-environment.js";

const LIMIT_BYTES = 61_440;
// These properties check the answer to every element, so the bounds that stop a hostile peer early (Errors per
// frame, messages before login) are lifted here; hostile-peers/simulator-floods.test.ts tests those bounds.
const env = useFuzzEnvironment({
  maxMessageBytes: LIMIT_BYTES,
  maxMessagesPerSecond: 1_000_000,
  maxErrorsPerFrame: 1_000_000,
  maxMessagesBeforeLogin: 1_000_000,
});

describe("simulator under abusive input", () => {
  it("§2.11: a binary frame of any bytes gets one 'JSON parser error' Error with ID 0 and the connection stays open", async () => {
    const prober = env.anonymous();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        const { answers, closed } = await prober.probe(bytes);
        expect(closed).toBeUndefined();
        expect(answers).toHaveLength(1);
        expect(answers[0]).toMatchObject({ Type: "Error", ID: 0 });
        expect(answers[0]!.Text).toMatch(/^JSON parser error: -2 \(binary frame/);
      }),
      { numRuns: 100 },
    );
  });

  it("§4 item 30: a frame over maxMessageBytes closes that connection with 1009 and nothing else", async () => {
    const prober = env.loggedIn();
    const oversized = fc.record({
      bytes: fc.integer({ min: LIMIT_BYTES + 1, max: 4 * LIMIT_BYTES }),
      binary: fc.boolean(),
      fill: fc.constantFrom("x", "[", "{", " "),
    });
    await fc.assert(
      fc.asyncProperty(oversized, async ({ bytes, binary, fill }) => {
        const text = fill.repeat(bytes);
        const { closed } = await prober.probe(binary ? Buffer.from(text) : text);
        expect(closed?.code).toBe(1009);
      }),
      { numRuns: 8 },
    );
    expect(prober.closes).toBe(8);
    // A new connection is served as usual.
    const client = await env.login();
    client.send(post(7, "TRCCTEST02", { BID: 2 }));
    expect(await client.next((message) => message.Type === "Ack")).toEqual({ Type: "Ack", ID: 1, AckID: 7 });
  });

  it("§2.11 and item 23: huge strings within the limit are answered per the field and RIC rules", async () => {
    const prober = env.loggedIn();
    let postId = 1;
    const huge = fc.record({
      length: fc.integer({ min: 1_000, max: 58_000 }),
      where: fc.constantFrom("ric", "DSPLY_NAME", "unknown-field-name", "service"),
    });
    await fc.assert(
      fc.asyncProperty(huge, async ({ length, where }) => {
        const text = "A".repeat(length);
        const fields: Record<string, unknown> = where === "DSPLY_NAME" ? { DSPLY_NAME: text } : { BID: 1 };
        if (where === "unknown-field-name") fields[text] = 1;
        const message = post(postId++, where === "ric" ? text : "TRCCTEST03", fields);
        if (where === "service") message.Key.Service = text;
        const { answers, closed } = await prober.probe(JSON.stringify(message));
        expect(closed).toBeUndefined();
        expect(answers).toHaveLength(1);
        const [answer] = answers;
        if (where === "ric") expect(answer).toMatchObject({ Type: "Ack", NakCode: "SymbolUnknown" });
        if (where === "DSPLY_NAME") expect(answer).toMatchObject({ Type: "Ack", NakCode: "InvalidContent" });
        if (where === "unknown-field-name")
          expect(answer!.Text).toMatch(/^JSON Unexpected FID\. Received 'A+' for key 'Fields'$/);
        if (where === "service")
          expect(answer!.Text).toMatch(/^JSON Unexpected Value\. Received 'A+' for key 'Service'$/);
      }),
      { numRuns: 40 },
    );
  });

  it("§2.2: huge packed arrays within the limit get one answer per element", async () => {
    const prober = env.loggedIn();
    const packed = fc.record({
      count: fc.integer({ min: 1, max: 3_000 }),
      element: fc.constantFrom("ping", "number", "empty-object"),
    });
    await fc.assert(
      fc.asyncProperty(packed, async ({ count, element }) => {
        const item = element === "ping" ? { Type: "Ping" } : element === "number" ? 1 : {};
        const { answers, closed } = await prober.probe(JSON.stringify(new Array(count).fill(item)));
        expect(closed).toBeUndefined();
        expect(answers).toHaveLength(count);
        if (element === "ping") expect(answers.every((answer) => answer.Type === "Pong")).toBe(true);
        if (element === "number")
          expect(answers.every((answer) => answer.Text === "JSON invalid container type.")).toBe(true);
        if (element === "empty-object")
          expect(answers.every((answer) => answer.Text === "JSON Missing required key 'ID'")).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it("§4 items 12 and 20: a flood of posts and requests before login gets a Nak NotOpen per post and an Error per request, then the login works", async () => {
    const client = await connectRaw(env.sim.wsUrls[0]!);
    const posts = 3_000;
    for (let postId = 1; postId <= posts; postId++) client.send(post(postId, "TRCCTEST04", { BID: postId }));
    const batch = Array.from({ length: 100 }, (_, index) => ({ ID: 10 + index, Key: { Name: "TRCCTEST04" } }));
    for (let round = 0; round < 20; round++) client.send(batch);
    client.send({ Type: "Ping" });
    await client.next((message) => message.Type === "Pong", 20_000);
    const naks = client.messages.filter((message) => message.Type === "Ack" && message.NakCode === "NotOpen");
    const errors = client.messages.filter(
      (message) => message.Type === "Error" && /^Login required/.test(message.Text as string),
    );
    expect(naks).toHaveLength(posts);
    expect(errors).toHaveLength(2_000);
    expect(env.sim.state.rics.get("TRCCTEST04")).toBeUndefined();
    await client.close();
    const loggedIn = await env.login();
    loggedIn.send(post(1, "TRCCTEST04", { BID: 4 }));
    expect(await loggedIn.next((message) => message.Type === "Ack")).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
  });

  it("§4 item 12: fifty connections flooding before login are all answered and the healthy connection is still served", async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => connectRaw(env.sim.wsUrls[0]!)));
    for (const client of clients) {
      client.send(Array.from({ length: 200 }, (_, index) => ({ ID: 5 + index, Key: { Name: "TRCCTEST05" } })));
      client.send({ Type: "Ping" });
    }
    await Promise.all(clients.map((client) => client.next((message) => message.Type === "Pong", 20_000)));
    for (const client of clients) {
      expect(client.messages.filter((message) => message.Type === "Error")).toHaveLength(200);
    }
    await Promise.all(clients.map((client) => client.close()));
    const before = env.healthy.acked;
    await waitFor(() => env.healthy.acked > before, 5000, "a further Ack on the healthy connection");
    expect(env.healthy.acked).toBeGreaterThan(before);
  });
});
