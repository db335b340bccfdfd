/**
 * Re-sending after a dropped connection never puts an older value back over a newer acknowledged one
 * (the contributor knows the outcome of every post, and each RIC ends with the last value contributed). This
 * graduated from the known-failure script `resend-overwrites-newer-ack.ts`: the first post's Ack is dropped (the
 * server applied it), a second post to the same RIC is acknowledged, the link drops; the client used to re-send
 * the first post on the new connection, and the RIC ended with the older value.
 */
import { afterEach, describe, expect, test } from "vitest";
import type { Contributor } from "../../src/client/contributor.js";
import { SupersededError } from "../../src/client/errors.js";
import type { RunningSimulator } from "../../src/simulator/index.js";
import { adsContributor, cleanup, contributor, simulator, waitFor } from "../integration/client-fixtures.js";

afterEach(cleanup);

const RIC = "TRCCTEST01";

/** What the simulator received for the RIC, per post: connection, fields and outcome. */
function trail(sim: RunningSimulator): { connectionId: string; fields: object; outcome: string }[] {
  return sim.state.contributions(RIC).map(({ connectionId, fields, outcome }) => ({ connectionId, fields, outcome }));
}

/**
 * Posts `older` with its Ack dropped (the server applies it), then `newer`, acknowledged, to the same RIC,
 * then drops the link. @returns the older post's promise, settled by the re-send policy.
 */
async function overtakeThenDrop(
  sim: RunningSimulator,
  client: Contributor,
  older: Record<string, number>,
  newer: Record<string, number>,
): Promise<unknown> {
  let reconnects = 0;
  client.on("reconnecting", () => (reconnects += 1));
  sim.faults.add({ type: "drop-acks", ric: RIC, count: 1 });
  const first = client.contribute(RIC, older);
  const outcome = first.then(
    (ack) => ack,
    (error: unknown) => error,
  );
  await waitFor(() => sim.state.contributions(RIC).length === 1, 2000, "the first post at the server");
  await client.contribute(RIC, newer);
  expect(client.stats().inFlight).toBe(1); // the first post, its Ack lost
  sim.faults.add({ type: "disconnect" });
  await waitFor(() => reconnects === 1 && client.state === "ready", 3000, "a reconnect");
  return outcome;
}

describe("re-sending posts in flight after a reconnect", () => {
  test("a post whose every field a newer acknowledged post carried is not re-sent and rejects with SupersededError", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    const outcome = await overtakeThenDrop(sim, client, { BID: 1 }, { BID: 2 });
    expect(outcome).toBeInstanceOf(SupersededError);
    expect(outcome).toMatchObject({ code: "RCC_SUPERSEDED", retriable: false, ric: RIC, postId: 1 });
    expect(client.stats()).toMatchObject({ resent: 0, inFlight: 0, queued: 0, errors: { superseded: 1 } });
    expect(sim.state.rics.get(RIC)?.fields.BID).toBe(2);
    // A re-send would go out before anything newer: the next post being PostID 1 of the new connection, with
    // nothing between it and the acknowledged one at the server, shows none happened.
    await expect(client.contribute(RIC, { BID: 3 })).resolves.toMatchObject({ postId: 1 });
    const [first, second, third] = trail(sim);
    expect(trail(sim)).toEqual([
      { connectionId: first!.connectionId, fields: { BID: 1 }, outcome: "no-ack" },
      { connectionId: first!.connectionId, fields: { BID: 2 }, outcome: "ack" },
      { connectionId: third!.connectionId, fields: { BID: 3 }, outcome: "ack" },
    ]);
    expect(third!.connectionId).not.toBe(second!.connectionId);
  });

  test("a partly covered post is re-sent with only its other fields, and its Ack resolves the call", async () => {
    const sim = await simulator();
    const client = contributor(sim);
    await client.connect();
    const outcome = await overtakeThenDrop(sim, client, { BID: 1, ASK: 11 }, { BID: 2 });
    expect(outcome).toEqual({ postId: 1, ric: RIC, latencyMs: expect.any(Number) as number });
    expect(sim.state.rics.get(RIC)?.fields).toMatchObject({ BID: 2, ASK: 11 });
    const posts = trail(sim);
    expect(posts.map(({ fields, outcome: result }) => [fields, result])).toEqual([
      [{ BID: 1, ASK: 11 }, "no-ack"],
      [{ BID: 2 }, "ack"],
      [{ ASK: 11 }, "ack"],
    ]);
    expect(posts[2]!.connectionId).not.toBe(posts[0]!.connectionId);
    expect(client.stats()).toMatchObject({ resent: 1, inFlight: 0, errors: { superseded: 0 } });
  });

  test("on item streams (§4A.6) a superseded post is not re-sent either", async () => {
    const sim = await simulator({ profile: "ads" });
    const client = adsContributor(sim, { postMode: "on-stream" });
    await client.connect();
    const outcome = await overtakeThenDrop(sim, client, { BID: 1 }, { BID: 2 });
    expect(outcome).toBeInstanceOf(SupersededError);
    await expect(client.contribute(RIC, { BID: 3 })).resolves.toMatchObject({ postId: 1 });
    expect(trail(sim).map(({ fields }) => fields)).toEqual([{ BID: 1 }, { BID: 2 }, { BID: 3 }]);
  });
});
