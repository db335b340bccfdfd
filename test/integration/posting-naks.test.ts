/** Negative outcomes of posts: Naks (§2.9) and converter Errors mapped to the right post (§2.11). */
import { afterEach, describe, expect, test } from "vitest";
import { ContentError, NakError } from "../../src/client/errors.js";
import { cleanup, contributor, simulator } from "./client-fixtures.js";

afterEach(cleanup);

async function nakOf(promise: Promise<unknown>): Promise<NakError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(NakError);
  return error as NakError;
}

describe("Naks", () => {
  test("§4 item 23: an unknown RIC is Nak'd SymbolUnknown and the promise rejects with a typed NakError", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    const naks: NakError[] = [];
    client.on("nak", (error) => naks.push(error));
    const error = await nakOf(client.contribute("NOSUCH.RIC", { BID: 1 }));
    expect(error).toMatchObject({
      code: "RCC_NAK",
      nakCode: "SymbolUnknown",
      ric: "NOSUCH.RIC",
      postId: 1,
      retriable: false,
    });
    expect(error.text).toBe(error.text.trim());
    expect(error.text.length).toBeGreaterThan(0);
    expect(naks).toEqual([error]);
    expect(client.stats().naked).toEqual({ SymbolUnknown: 1 });
  });

  test("an injected AccessDenied Nak is not retriable; NoResources is (RETRIABLE_NAK_CODES)", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    sim.faults.add({ type: "nak", code: "AccessDenied", count: 1 });
    const denied = await nakOf(client.contribute("TRCCTEST01", { BID: 1 }));
    expect(denied).toMatchObject({ nakCode: "AccessDenied", retriable: false });
    sim.faults.add({ type: "nak", code: "NoResources", count: 1 });
    const busy = await nakOf(client.contribute("TRCCTEST01", { BID: 2 }));
    expect(busy).toMatchObject({ nakCode: "NoResources", retriable: true });
    await expect(client.contribute("TRCCTEST01", { BID: 3 })).resolves.toMatchObject({ ric: "TRCCTEST01" });
    expect(client.stats().naked).toEqual({ AccessDenied: 1, NoResources: 1 });
  });

  test("a Nak for one RIC in a packed frame rejects only that post", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    sim.faults.add({ type: "nak", code: "DeniedBySrc", ric: "TRCCTEST02" });
    const results = await Promise.allSettled(
      ["TRCCTEST01", "TRCCTEST02", "TRCCTEST03"].map((ric) => client.contribute(ric, { BID: 1 })),
    );
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ nakCode: "DeniedBySrc", ric: "TRCCTEST02" });
  });
});

describe("converter Errors", () => {
  test("§4 item 24: an unknown field rejects the right post with ContentError while its frame-mates are acked", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    const results = await Promise.allSettled([
      client.contribute("TRCCTEST01", { BID: 1 }),
      client.contribute("TRCCTEST02", { BID: 2, NOSUCHFIELD: 3 }),
      client.contribute("TRCCTEST03", { ASK: 4 }),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const error = (results[1] as PromiseRejectedResult).reason as ContentError;
    expect(error).toBeInstanceOf(ContentError);
    expect(error).toMatchObject({ code: "RCC_CONTENT_ERROR", ric: "TRCCTEST02", postId: 2 });
    expect(error.text).toMatch(/NOSUCHFIELD/);
    expect(client.stats().errors).toMatchObject({ content: 1, unmatched: 0 });
    expect(client.stats().inFlight).toBe(0);
  });

  test("§4 item 21: an unknown service name is an Error tied to each post, not a Nak", async () => {
    const sim = await simulator();
    const client = contributor(sim, { service: "NO_SUCH_SERVICE" });
    await client.connect();
    const results = await Promise.allSettled([
      client.contribute("TRCCTEST01", { BID: 1 }),
      client.contribute("TRCCTEST02", { BID: 2 }),
    ]);
    const reasons = results.map((result) => (result as PromiseRejectedResult).reason as ContentError);
    expect(reasons.map((reason) => reason.constructor)).toEqual([ContentError, ContentError]);
    expect(reasons.map((reason) => reason.postId)).toEqual([1, 2]);
    expect(reasons[0]!.text).toMatch(/Service/);
  });
});
