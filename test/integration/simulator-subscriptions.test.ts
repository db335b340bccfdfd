/**
 * The simulator's consumer side (docs/protocol.md §4A.1–4A.3; checklist item 33) in the default RCC profile:
 * MarketPrice item streams fed by the contributions of every connection.
 */
import { describe, expect, it } from "vitest";
import { connectRaw, loginRaw, post, type RawClient, type Received, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();

const notPing = (message: Received): boolean => message.Type !== "Ping";
const onStream =
  (id: number, type?: string) =>
  (message: Received): boolean =>
    message.ID === id && (type === undefined || message.Type === type);

async function twoClients(options: Parameters<typeof simulator>[0] = {}) {
  const sim = await simulator(options);
  const account = sim.accounts[0]!;
  const poster = (await loginRaw(sim.wsUrls[0]!, sim.authUrl, account)).client;
  const watcher = (await loginRaw(sim.wsUrls.at(-1)!, sim.authUrl, account)).client;
  return { sim, poster, watcher };
}

/** Posts and waits for the Ack, so the contribution is in the image before the next step. */
async function contribute(client: RawClient, postId: number, ric: string, fields: Record<string, unknown>) {
  client.send(post(postId, ric, fields));
  expect(await client.next((message) => message.Type === "Ack" && message.AckID === postId)).not.toHaveProperty(
    "NakCode",
  );
}

describe("consumer side: MarketPrice item streams", () => {
  it("§4A.1: a request for a contributed RIC gets an Open/Ok Refresh with every field contributed so far", async () => {
    const { poster, watcher } = await twoClients();
    await contribute(poster, 1, "TRCCTEST01", { BID: 451.55, DSPLY_NAME: "Hello RCC" });
    await contribute(poster, 2, "TRCCTEST01", { ASK: 451.57, BID: 451.56 });

    watcher.send({ ID: 5, Key: { Name: "TRCCTEST01", Service: "DDS_TRCE" } });
    const refresh = await watcher.next(onStream(5));
    expect(refresh).toEqual({
      ID: 5,
      Type: "Refresh",
      Key: { Service: "DDS_TRCE", Name: "TRCCTEST01" },
      State: { Stream: "Open", Data: "Ok", Text: "All is well" },
      Qos: { Timeliness: "Realtime", Rate: "TickByTick" },
      Fields: { BID: 451.56, DSPLY_NAME: "Hello RCC", ASK: 451.57 },
    });
  });

  it("§4A.3: every accepted contribution reaches every subscriber as an Update on its own stream ID, across listeners", async () => {
    const { sim, poster, watcher } = await twoClients({ listeners: 2 });
    const second = (await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!)).client;
    watcher.send({ ID: 5, Key: { Name: "TRCCTEST02" } });
    second.send({ ID: 9, Key: { Name: "TRCCTEST02" } });
    await watcher.next(onStream(5, "Refresh"));
    await second.next(onStream(9, "Refresh"));

    await contribute(poster, 1, "TRCCTEST02", { BID: 1.5, TIMACT: "10:15:00" });
    const update = { Type: "Update", UpdateType: "Unspecified", Key: { Service: "DDS_TRCE", Name: "TRCCTEST02" } };
    expect(await watcher.next(onStream(5))).toEqual({ ID: 5, ...update, Fields: { BID: 1.5, TIMACT: "10:15:00" } });
    expect(await second.next(onStream(9))).toEqual({ ID: 9, ...update, Fields: { BID: 1.5, TIMACT: "10:15:00" } });
    expect(sim.listeners.map((listener) => listener.connections)).toEqual([2, 1]);
  });

  it("§4A.6 rule 4: a poster subscribed to its own RIC gets the Ack first, then the Update; rejected posts fan out nothing", async () => {
    const { poster, watcher } = await twoClients();
    poster.send({ ID: 3, Key: { Name: "TRCCTEST01" } });
    watcher.send({ ID: 3, Key: { Name: "TRCCTEST01" } });
    await poster.next(onStream(3, "Refresh"));
    await watcher.next(onStream(3, "Refresh"));

    poster.send([
      post(1, "TRCCTEST01", { BID: 2 }),
      post(2, "TRCCTEST01", { DSPLY_NAME: "far too long a display name" }),
    ]);
    const replies = [await poster.next(notPing), await poster.next(notPing), await poster.next(notPing)];
    expect(replies.map((message): unknown => message.Type)).toEqual(["Ack", "Ack", "Update"]);
    expect(replies[1]).toMatchObject({ AckID: 2, NakCode: "InvalidContent" });
    expect(replies[2]).toMatchObject({ ID: 3, Fields: { BID: 2 } });
    expect(await watcher.next(onStream(3))).toMatchObject({ Type: "Update", Fields: { BID: 2 } });
    await watcher.none((message) => message.Type === "Update", 100);
  });

  it("§4A.1: a known RIC nobody contributed to yet is open with one blank field, and its first contribution arrives as an Update", async () => {
    const { poster, watcher } = await twoClients();
    watcher.send({ ID: 4, Key: { Name: "TRCCTEST07" } });
    expect(await watcher.next(onStream(4))).toMatchObject({
      Type: "Refresh",
      State: { Stream: "Open", Data: "Ok" },
      Fields: { DSPLY_NAME: null },
    });
    await contribute(poster, 1, "TRCCTEST07", { ASK: 3 });
    expect(await watcher.next(onStream(4))).toMatchObject({ Type: "Update", Fields: { ASK: 3 } });
  });

  it("§4A.1: a snapshot gets one NonStreaming Refresh and no Updates, and its ID can be used again", async () => {
    const { sim, poster, watcher } = await twoClients();
    await contribute(poster, 1, "TRCCTEST01", { BID: 10 });
    watcher.send({ ID: 6, Key: { Name: "TRCCTEST01" }, Streaming: false });
    expect(await watcher.next(onStream(6))).toMatchObject({
      Type: "Refresh",
      State: { Stream: "NonStreaming", Data: "Ok" },
      Fields: { BID: 10 },
    });
    await contribute(poster, 2, "TRCCTEST01", { BID: 11 });
    await watcher.none(onStream(6), 100);

    watcher.send({ ID: 6, Key: { Name: "TRCCTEST02" }, Streaming: false });
    expect(await watcher.next(onStream(6))).toMatchObject({ Type: "Refresh", Key: { Name: "TRCCTEST02" } });
    expect(sim.state.rics.get("TRCCTEST01")?.fields).toEqual({ BID: 11 });
  });

  it("§4A.3: Close ends a stream at once, without a reply; a Close for an unknown ID is ignored", async () => {
    const { poster, watcher } = await twoClients();
    watcher.send([
      { ID: 5, Key: { Name: "TRCCTEST01" } },
      { ID: 6, Key: { Name: "TRCCTEST01" } },
    ]);
    await watcher.next(onStream(5, "Refresh"));
    await watcher.next(onStream(6, "Refresh"));
    watcher.send([
      { ID: 5, Type: "Close" },
      { ID: 77, Type: "Close" },
    ]);
    await contribute(poster, 1, "TRCCTEST01", { BID: 1 });
    expect(await watcher.next(onStream(6))).toMatchObject({ Type: "Update" });
    await watcher.none((message) => message.ID === 5 || message.ID === 77, 100);
  });

  it("§4A.2: a batch request closes the batch ID with a Status and opens ID batch+1+i per name, refused names included", async () => {
    const { poster, watcher } = await twoClients();
    await contribute(poster, 1, "TRCCTEST01", { BID: 1 });
    watcher.send({ ID: 10, Key: { Name: ["TRCCTEST01", "NOPE.N", "TRCCTEST02"], Service: "DDS_TRCE" }, View: ["BID"] });
    const batchStatus = await watcher.next(notPing);
    expect(batchStatus).toEqual({
      ID: 10,
      Type: "Status",
      State: { Stream: "Closed", Data: "Ok", Text: "Processed 3 total items from Batch Request. 3 Ok." },
    });
    expect(await watcher.next(onStream(11))).toMatchObject({ Type: "Refresh", Fields: { BID: 1 } });
    expect(await watcher.next(onStream(12))).toMatchObject({ Type: "Status", State: { Code: "NotFound" } });
    expect(await watcher.next(onStream(13))).toMatchObject({ Type: "Refresh", Fields: { BID: null } });

    watcher.send({ ID: 20, Key: { Name: ["TRCCTEST01"] } });
    await watcher.next(onStream(20, "Status"));
    expect(await watcher.next(onStream(21))).toMatchObject({
      Type: "Status",
      State: { Stream: "Closed", Data: "Suspect", Code: "UsageError", Text: expect.stringContaining("batch") },
    });

    watcher.send({ ID: [11, 13], Type: "Close" });
    expect(await watcher.next(notPing)).toEqual({
      ID: 11,
      Type: "Status",
      State: { Stream: "Closed", Data: "Ok", Text: "Processed 2 total stream ids from Batch Close Request. 2 Ok. " },
    });
    await contribute(poster, 2, "TRCCTEST01", { BID: 2 });
    await watcher.none((message) => message.Type === "Update", 100);
  });

  it("§4A.1: a View filters the Refresh and the Updates, takes FIDs, drops unknown names, and skips Updates left empty", async () => {
    const { poster, watcher } = await twoClients();
    await contribute(poster, 1, "TRCCTEST01", { BID: 1, ASK: 2, DSPLY_NAME: "X" });
    watcher.send({ ID: 5, Key: { Name: "TRCCTEST01" }, View: [25, "BID", "NOT_A_FIELD", "TIMACT"] });
    expect((await watcher.next(onStream(5))).Fields).toEqual({ ASK: 2, BID: 1, TIMACT: null });

    await contribute(poster, 2, "TRCCTEST01", { DSPLY_NAME: "Y" });
    await contribute(poster, 3, "TRCCTEST01", { DSPLY_NAME: "Z", BID: 3 });
    expect(await watcher.next(onStream(5))).toMatchObject({ Type: "Update", Fields: { BID: 3 } });
    expect(watcher.messages.filter((message) => message.Type === "Update")).toHaveLength(1);

    watcher.send({ ID: 6, Key: { Name: "TRCCTEST01" }, View: ["NOT_A_FIELD", 99_999] });
    expect(await watcher.next(onStream(6))).toMatchObject({
      Type: "Status",
      State: { Stream: "Closed", Data: "Suspect", Code: "InvalidView" },
    });
  });

  it("§4A.1: a reissue replaces the view, one without View removes it, Refresh:false sends nothing, and a new name on the ID is refused", async () => {
    const { poster, watcher } = await twoClients();
    await contribute(poster, 1, "TRCCTEST01", { BID: 1, ASK: 2 });
    watcher.send({ ID: 5, Key: { Name: "TRCCTEST01" }, View: ["BID"] });
    expect((await watcher.next(onStream(5))).Fields).toEqual({ BID: 1 });

    watcher.send({ ID: 5, Key: { Name: "TRCCTEST01" }, View: ["ASK"] });
    expect(await watcher.next(onStream(5))).toMatchObject({ Type: "Refresh", Fields: { ASK: 2 } });
    watcher.send({ ID: 5, Key: { Name: "TRCCTEST01", Service: "DDS_TRCE" }, Refresh: false });
    await watcher.none(onStream(5), 100);
    await contribute(poster, 2, "TRCCTEST01", { BID: 5, ASK: 6 });
    expect((await watcher.next(onStream(5))).Fields).toEqual({ BID: 5, ASK: 6 });

    watcher.send({ ID: 5, Key: { Name: "TRCCTEST02" } });
    expect(await watcher.next(onStream(5))).toMatchObject({
      Type: "Status",
      State: {
        Stream: "ClosedRecover",
        Data: "Suspect",
        Code: "UsageError",
        Text: "Item request rejected for stream id 5 - stream already in use with a different key",
      },
    });
    await contribute(poster, 3, "TRCCTEST01", { BID: 7 });
    await watcher.none(onStream(5), 100);
  });

  it("§4A.1: an item request on the login stream's ID is refused, and the login stays open", async () => {
    const { watcher } = await twoClients();
    watcher.send({ ID: 1, Key: { Name: "TRCCTEST01" } });
    expect(await watcher.next(notPing)).toMatchObject({
      ID: 1,
      Type: "Status",
      State: { Stream: "ClosedRecover", Code: "UsageError" },
    });
    await contribute(watcher, 1, "TRCCTEST01", { BID: 1 });
  });

  it("§4A.3: an unknown RIC gets Status Closed/Suspect NotFound with its key", async () => {
    const { watcher } = await twoClients();
    watcher.send({ ID: 5, Key: { Name: "IBM.N" } });
    expect(await watcher.next(onStream(5))).toEqual({
      ID: 5,
      Type: "Status",
      Key: { Service: "DDS_TRCE", Name: "IBM.N" },
      State: { Stream: "Closed", Data: "Suspect", Code: "NotFound", Text: "**The record could not be found" },
    });
  });

  it("§4A.3: an unknown service name is a converter Error, an unknown service id a SourceUnknown Status, a known id answers with the name", async () => {
    const { watcher } = await twoClients();
    watcher.send([
      { ID: 5, Key: { Name: "TRCCTEST01", Service: "ELEKTRON_DD" } },
      { ID: 6, Key: { Name: "TRCCTEST01", Service: 777 } },
      { ID: 7, Key: { Name: "TRCCTEST01", Service: 1 } },
    ]);
    expect(await watcher.next(onStream(5))).toMatchObject({
      Type: "Error",
      Text: "JSON Unexpected Value. Received 'ELEKTRON_DD' for key 'Service'",
    });
    expect(await watcher.next(onStream(6))).toMatchObject({ Type: "Status", State: { Code: "SourceUnknown" } });
    expect(await watcher.next(onStream(7))).toMatchObject({ Type: "Refresh", Key: { Service: "DDS_TRCE" } });
  });

  it("§2.13: a Login Close ends every item stream of the connection", async () => {
    const { poster, watcher } = await twoClients();
    watcher.send({ ID: 5, Key: { Name: "TRCCTEST01" } });
    await watcher.next(onStream(5, "Refresh"));
    watcher.send({ ID: 1, Type: "Close", Domain: "Login" });
    await contribute(poster, 1, "TRCCTEST01", { BID: 1 });
    await watcher.none(onStream(5), 100);
  });

  it("§4A: the RCC profile answers item requests before a Login with an Error, and Source or Dictionary requests with a Status", async () => {
    const { sim, watcher } = await twoClients();
    watcher.send([
      { ID: 2, Domain: "Source", Key: { Filter: 63 } },
      { ID: 3, Domain: "Dictionary", Key: { Name: "RWFFld" } },
    ]);
    for (const [id, domain] of [
      [2, "Source"],
      [3, "Dictionary"],
    ] as const) {
      expect(await watcher.next(onStream(id))).toMatchObject({
        Type: "Status",
        Domain: domain,
        State: { Stream: "Closed", Data: "Suspect", Code: "UsageError" },
      });
    }
    const anonymous = await connectRaw(sim.wsUrls[0]!);
    anonymous.send({ ID: 2, Key: { Name: "TRCCTEST01" } });
    expect(await anonymous.next(notPing)).toMatchObject({
      Type: "Error",
      ID: 2,
      Text: expect.stringContaining("Login"),
    });
  });
});
