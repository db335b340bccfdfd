/**
 * The `mayPost` gate (docs/cluster.md, "Fencing"): while it is closed no post frame is written, whatever is
 * queued; once it opens the queued posts go, in order; a gate that is not a function is refused.
 */
import { afterEach, describe, expect, test } from "vitest";
import { InvalidOptionsError } from "../../src/client/errors.js";
import { cleanup, contributor, recorded, simulator, waitFor } from "./client-fixtures.js";

afterEach(cleanup);

const isPost = (message: any): boolean => message.Type === "Post";

describe("the mayPost gate", () => {
  test("holds every post back while it returns false, and sends them in order once it returns true", async () => {
    const sim = await simulator();
    let open = false;
    let asked = 0;
    const client = contributor(sim, {
      mayPost: () => {
        asked += 1;
        return open;
      },
    });
    await client.connect();
    const acks = Promise.all([1, 2, 3].map((value) => client.contribute("TRCCTEST01", { BID: value })));
    await waitFor(() => asked >= 3, 2_000, "the gate asked again while closed");
    expect(recorded(sim, isPost)).toHaveLength(0);
    expect(client.stats()).toMatchObject({ queued: 3, inFlight: 0, sent: 0 });
    open = true;
    expect((await acks).map((ack) => ack.postId)).toEqual([1, 2, 3]);
    expect(recorded(sim, isPost).map((post) => post.Message.Fields.BID as number)).toEqual([1, 2, 3]);
    expect(sim.state.rics.get("TRCCTEST01")?.fields.BID).toBe(3);
  });

  test("a gate that is not a function is refused by name", async () => {
    const sim = await simulator();
    expect(() => contributor(sim, { mayPost: true as never })).toThrow(InvalidOptionsError);
    expect(() => contributor(sim, { mayPost: true as never })).toThrow(/mayPost/);
  });
});
