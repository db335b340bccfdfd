/**
 * Posting-rate enforcement per `TRCE:MaxMessagesPerSecond` (docs/protocol.md §3.3, §3.4; checklist item 26).
 * Every inbound message counts in a sliding one-second window, the Login included.
 */
import { describe, expect, it } from "vitest";
import { loginRaw, post, type Received, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();
const LIMIT = 5;
const POSTS = 10;

function tenPosts() {
  return Array.from({ length: POSTS }, (_, index) => post(index + 1, "TRCCTEST01", { BID: index }));
}

describe("RCC rate limit", () => {
  it("§4 item 26: with the nak policy, posts over MaxMessagesPerSecond are Nak'd NoResources", async () => {
    const sim = await simulator({ maxMessagesPerSecond: LIMIT, ratePolicy: "nak" });
    const { client, refresh } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    expect(refresh.Key.Elements["TRCE:MaxMessagesPerSecond"]).toBe(LIMIT);
    client.send(tenPosts());
    const answers: Received[] = [];
    for (let index = 0; index < POSTS; index++) answers.push(await client.next((message) => message.Type === "Ack"));
    const acked = answers.filter((answer) => answer.NakCode === undefined).map((answer) => answer.AckID as number);
    const naks = answers.filter((answer) => answer.NakCode !== undefined);
    // The Login used one slot of the window, so at most LIMIT - 1 posts fit; the acked ones come first.
    expect(acked).toEqual(Array.from({ length: acked.length }, (_, index) => index + 1));
    expect(acked.length).toBeLessThanOrEqual(LIMIT - 1);
    expect(naks.length).toBeGreaterThanOrEqual(POSTS - LIMIT + 1);
    for (const nak of naks) {
      expect(nak).toEqual({
        Type: "Ack",
        ID: 1,
        AckID: nak.AckID,
        NakCode: "NoResources",
        Text: `Message rate exceeded: more than ${LIMIT} messages per second`,
      });
    }
    // All replies of the frame came in one frame.
    expect(client.frames).toHaveLength(2);
    const info = [...sim.state.connections.values()][0]!;
    expect(info.maxMessagesInWindow).toBeGreaterThanOrEqual(POSTS);
    expect(info.messagesOverLimit).toBe(naks.length);
    expect(sim.state.maxMessagesInWindow).toBe(info.maxMessagesInWindow);
  });

  it("§4 item 26: with the disconnect policy, the first post over the limit ends the session with NoResources", async () => {
    const sim = await simulator({ maxMessagesPerSecond: LIMIT, ratePolicy: "disconnect" });
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    client.send(tenPosts());
    const status = await client.next((message) => message.Type === "Status");
    expect(status).toEqual({
      Type: "Status",
      Domain: "Login",
      ID: 1,
      Private: true,
      State: {
        Stream: "Closed",
        Data: "Suspect",
        Code: "NoResources",
        Text: `Message rate exceeded: more than ${LIMIT} messages per second`,
      },
    });
    expect((await client.closed).code).toBe(1000);
    const acks = client.messages.filter((message) => message.Type === "Ack");
    expect(acks.length).toBeLessThanOrEqual(LIMIT - 1);
    expect(acks.every((ack) => ack.NakCode === undefined)).toBe(true);
    // Posts after the one over the limit were never handled.
    expect(sim.state.counters.posts).toBe(acks.length + 1);
  });

  it("§4 item 26: with the delay policy, posts over the limit are acked once the window has room", async () => {
    const sim = await simulator({ maxMessagesPerSecond: LIMIT, ratePolicy: "delay" });
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const sentAt = Date.now();
    client.send(tenPosts());
    const first = await client.next((message) => message.Type === "Ack");
    expect(first).toEqual({ Type: "Ack", ID: 1, AckID: 1 });
    const acks = [first];
    for (let index = 1; index < POSTS; index++)
      acks.push(await client.next((message) => message.Type === "Ack", 3_000));
    expect(acks.map((ack) => ack.AckID as number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(acks.every((ack) => ack.NakCode === undefined)).toBe(true);
    // The over-limit Acks left in a later frame, after the Login's slot expired (about a second after it).
    expect(client.frames.length).toBeGreaterThanOrEqual(3);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(500);
  });
});
