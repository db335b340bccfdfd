/**
 * LSEG's own posting example, `Refinitiv/websocket-api` `Applications/Examples/python/market_price_posting.py`,
 * replayed against the ADS profile (docs/protocol.md §4A.5, §4A.6): the same messages, sent on the same
 * triggers, and every assumption the script makes about the replies checked. Its timing (a post every 3 s,
 * starting 3 s after the item Refresh) is compressed; nothing else differs.
 *
 * What the script depends on: every frame is a JSON array it can iterate; every message has `Type`; the Login
 * Refresh has `Type` "Refresh" and `Domain` "Login" (the trigger of its item request); a message on ID 2 with no
 * `State` or State Open/Ok (the trigger of its posts); Pings answered with Pongs keep the connection.
 */
import { describe, expect, it, vi } from "vitest";
import { connectRaw, type RawClient, type Received, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();

/** The script's defaults: user `root`, app id `256`, and its IP address as Position and PostUserInfo Address. */
const USER = "root";
const POSITION = "127.0.1.1";
const PROCESS_ID = 31_337;

/** `send_login_request`: a user-name Login without NameType (§4A.5). */
const LOGIN = { ID: 1, Domain: "Login", Key: { Name: USER, Elements: { ApplicationId: "256", Position: POSITION } } };
/** `send_market_price_request`: streaming, no Service (the default service). */
const ITEM_REQUEST = { ID: 2, Key: { Name: "TRI.N" } };

/** `send_market_price_post`: an on-stream post on ID 2, without Key, with PostUserInfo. */
function postMessage(postId: number) {
  return {
    ID: 2,
    Type: "Post",
    Domain: "MarketPrice",
    Ack: true,
    PostID: postId,
    PostUserInfo: { Address: POSITION, UserID: PROCESS_ID },
    Message: {
      ID: 0,
      Type: "Update",
      Domain: "MarketPrice",
      Fields: { BID: 45.55, BIDSIZE: 18, ASK: 45.57, ASKSIZE: 19 },
    },
  };
}

/** The script's `on_message` / `process_message`, with its posting loop reduced to "post twice". */
class PostingScript {
  postingStarted = false;
  pongsSent = 0;
  readonly #client: RawClient;
  #seenFrames = 0;

  constructor(client: RawClient) {
    this.#client = client;
  }

  /** Processes every frame received so far, exactly in the script's order; @returns messages processed. */
  processNewFrames(): Received[] {
    const processed: Received[] = [];
    for (; this.#seenFrames < this.#client.frames.length; this.#seenFrames++) {
      const messages: unknown = JSON.parse(this.#client.frames[this.#seenFrames]!);
      // `for singleMsg in message_json`: a bare object would iterate its keys and break the script.
      expect(Array.isArray(messages)).toBe(true);
      for (const message of messages as Received[]) {
        this.#process(message);
        processed.push(message);
      }
    }
    return processed;
  }

  #process(message: Received): void {
    // `message_json['Type']` is read unconditionally: a message without Type raises KeyError.
    expect(message).toHaveProperty("Type");
    if (message.Type === "Refresh" && "Domain" in message && message.Domain === "Login") {
      this.#client.send(ITEM_REQUEST);
    } else if (message.Type === "Ping") {
      this.#client.send({ Type: "Pong" });
      this.pongsSent += 1;
    }
    const state = message.State as Received | undefined;
    if (
      message.ID === 2 &&
      !this.postingStarted &&
      (state === undefined || (state.Stream === "Open" && state.Data === "Ok"))
    ) {
      this.postingStarted = true;
    }
  }
}

async function until(script: PostingScript, client: RawClient, condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt++) {
    await client.next(() => true, 2_000);
    script.processNewFrames();
  }
  expect(condition()).toBe(true);
}

describe("LSEG websocket-api example market_price_posting.py against the ADS profile", () => {
  it("§4A.5/§4A.6: logs in by user name, opens TRI.N, posts on its stream with PostUserInfo, gets Acks and its own Updates, answers Pings", async () => {
    const sim = await simulator({
      profile: "ads",
      accounts: [{ user: USER, password: "not-used-by-user-name-logins" }],
      rics: ["TRI.N"],
      pingIntervalMs: 150,
    });
    const client = await connectRaw(sim.wsUrls[0]!);
    const script = new PostingScript(client);
    client.send(LOGIN);

    await until(script, client, () => script.postingStarted);
    const itemRefresh = client.messages.find((message) => message.ID === 2)!;
    expect(itemRefresh).toMatchObject({ Type: "Refresh", Key: { Name: "TRI.N", Service: "DDS_TRCE" } });

    client.send(postMessage(1));
    await until(script, client, () => client.messages.some((message) => message.Type === "Ack" && message.AckID === 1));
    client.send(postMessage(2));
    await until(script, client, () => client.messages.some((message) => message.Type === "Ack" && message.AckID === 2));
    await until(script, client, () => script.pongsSent >= 1);

    const acks = client.messages.filter((message) => message.Type === "Ack");
    expect(acks).toEqual([
      { Type: "Ack", ID: 2, AckID: 1, Text: "All is well" },
      { Type: "Ack", ID: 2, AckID: 2, Text: "All is well" },
    ]);
    const updates = client.messages.filter((message) => message.Type === "Update");
    expect(updates).toHaveLength(2);
    for (const update of updates) {
      expect(update).toMatchObject({
        ID: 2,
        PostUserInfo: { Address: POSITION, UserID: PROCESS_ID },
        Fields: { BID: 45.55, BIDSIZE: 18, ASK: 45.57, ASKSIZE: 19 },
      });
    }
    expect(client.messages.filter((message) => message.Type === "Error" || message.Type === "Status")).toEqual([]);
    expect(sim.state.rics.get("TRI.N")?.fields).toEqual({ BID: 45.55, BIDSIZE: 18, ASK: 45.57, ASKSIZE: 19 });
    // The Pong is on its way when the script has sent it.
    await vi.waitFor(() => expect(sim.state.counters.pongsReceived).toBeGreaterThanOrEqual(1));
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });
});
