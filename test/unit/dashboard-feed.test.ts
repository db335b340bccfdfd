/** The dashboard feed's coalescing, ticks and lifecycle, driven by a ManualClock (no sockets, no sleeps). */
import { describe, expect, test } from "vitest";
import { resolveConfig } from "../../src/simulator/config.js";
import { DashboardFeed, type DashboardFeedOptions } from "../../src/simulator/dashboard/dashboard-feed.js";
import { type FeedEvent, MAX_REFUSAL_TEXT } from "../../src/simulator/dashboard/feed-types.js";
import { FaultRegistry } from "../../src/simulator/faults.js";
import { type ReceivedPost, SimulatorState } from "../../src/simulator/state.js";
import type { SimulatorContext } from "../../src/simulator/types.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/logger.js";

function setup(options: Partial<DashboardFeedOptions> = {}) {
  const clock = new ManualClock();
  const context: SimulatorContext = {
    config: resolveConfig(),
    clock,
    faults: new FaultRegistry(clock),
    state: new SimulatorState(),
    log: silentLogger,
  };
  const feed = new DashboardFeed(
    context,
    () => ({ wsUrls: ["ws://x"], maxMessagesPerSecond: 1000, knownRics: [] }),
    options,
  );
  const events: FeedEvent[] = [];
  const unsubscribe = feed.subscribe({ send: (event) => events.push(event) });
  const postTo = (ric: string, fields: Record<string, number>, outcome: ReceivedPost["outcome"] = "ack") =>
    context.state.recordPost({ atMs: clock.now(), connectionId: "c1", listener: 0, ric, fields, outcome });
  const ofType = <T extends FeedEvent["type"]>(type: T) =>
    events.filter((event): event is Extract<FeedEvent, { type: T }> => event.type === type);
  return { clock, context, feed, events, unsubscribe, postTo, ofType };
}

describe("DashboardFeed", () => {
  test("sends a snapshot first to each new subscriber", () => {
    const { events, context, feed } = setup();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "snapshot", data: { connections: [], rics: [], tickIntervalMs: 1000 } });
    context.state.recordPost({
      atMs: 1,
      connectionId: "c1",
      listener: 0,
      ric: "A",
      fields: { BID: 1 },
      outcome: "ack",
    });
    const later: FeedEvent[] = [];
    feed.subscribe({ send: (event) => later.push(event) });
    expect(later[0]).toMatchObject({
      type: "snapshot",
      data: { rics: [{ ric: "A", fields: { BID: 1 }, updates: 1 }] },
    });
  });

  test("coalesces 10,000 posts to one RIC within a flush interval into a single update with the last values", () => {
    const { clock, postTo, ofType } = setup();
    for (let bid = 1; bid <= 10_000; bid += 1) postTo("TRCCTEST01", { BID: bid });
    expect(ofType("rics")).toHaveLength(0);
    clock.advance(100);
    const updates = ofType("rics");
    expect(updates).toHaveLength(1);
    expect(updates[0]!.data).toEqual([
      expect.objectContaining({ ric: "TRCCTEST01", fields: { BID: 10_000 }, updates: 10_000 }),
    ]);
  });

  test("sends each RIC at most once per flush interval under a steady stream of posts", () => {
    const { clock, postTo, ofType } = setup();
    for (let ms = 0; ms < 1000; ms += 1) {
      postTo("A", { BID: ms });
      postTo("B", { ASK: ms });
      clock.advance(1);
    }
    const perRic = (ric: string) =>
      ofType("rics").filter((event) => event.data.some((view) => view.ric === ric)).length;
    expect(perRic("A")).toBeLessThanOrEqual(10);
    expect(perRic("B")).toBeLessThanOrEqual(10);
    expect(perRic("A")).toBeGreaterThanOrEqual(9);
  });

  test("ignores posts that change no last value (Naks and Errors)", () => {
    const { clock, postTo, ofType } = setup();
    postTo("A", { BID: 1 }, "nak");
    postTo("A", { BID: 2 }, "error");
    clock.advance(500);
    expect(ofType("rics")).toHaveLength(0);
  });

  test("caps the RICs per update and sends the rest in the next flushes, oldest change first", () => {
    const { clock, postTo, ofType } = setup({ maxRicsPerFlush: 2 });
    for (const ric of ["A", "B", "C", "D", "E"]) postTo(ric, { BID: 1 });
    clock.advance(100);
    postTo("A", { BID: 2 });
    clock.advance(100);
    clock.advance(100);
    expect(ofType("rics").map((event) => event.data.map((view) => view.ric))).toEqual([
      ["A", "B"],
      ["C", "D"],
      ["E", "A"],
    ]);
  });

  test("ticks once per interval with the post rate, the counters and per-connection counts", () => {
    const { clock, context, postTo, ofType } = setup();
    const info = context.state.openConnection(0, "127.0.0.1", clock.now());
    info.posts = 30;
    for (let index = 0; index < 30; index += 1) postTo("A", { BID: index });
    clock.advance(1000);
    for (let index = 0; index < 5; index += 1) postTo("A", { BID: index }, "nak");
    clock.advance(1000);
    const ticks = ofType("tick");
    expect(ticks.map((tick) => tick.data.point.postsPerSecond)).toEqual([30, 5]);
    expect(ticks[1]!.data.counters).toMatchObject({ posts: 35, acks: 30 });
    expect(ticks[0]!.data.connections).toEqual([
      { id: info.id, posts: 30, acks: 0, naks: 0, errors: 0, messagesIn: 0 },
    ]);
    expect(ticks[1]!.data.point.atMs - ticks[0]!.data.point.atMs).toBe(1000);
  });

  test("keeps the last N rate points for the snapshot", () => {
    const { clock, feed } = setup({ ratePoints: 3 });
    clock.advance(5000);
    const { rate } = feed.snapshot();
    expect(rate).toHaveLength(3);
    expect(rate.map((point) => point.atMs - rate[0]!.atMs)).toEqual([0, 1000, 2000]);
  });

  test("forwards connection changes and added faults as they happen", () => {
    const { clock, context, ofType } = setup();
    const info = context.state.openConnection(0, "127.0.0.1", clock.now());
    context.state.closeConnection(info);
    context.faults.add({ type: "stop-pings" });
    expect(ofType("connection").map((event) => event.data.state)).toEqual(["connected", "closed"]);
    expect(ofType("faults")[0]!.data).toMatchObject({
      added: { type: "stop-pings" },
      active: [{ type: "stop-pings" }],
    });
  });

  test("forwards refused logins as they happen, with their code, text and reason, cutting long client text", () => {
    const { clock, context, ofType } = setup();
    const refusal = {
      atMs: clock.now(),
      connectionId: "c1",
      listener: 0,
      remoteAddress: "127.0.0.1",
      code: "NotEntitled",
      text: "Login denied: access token expired",
      reason: "token-expired",
      relogin: true,
      user: "GE-A-00000001-1-0001",
    };
    context.state.recordLoginRefusal(refusal);
    const longName = "u".repeat(MAX_REFUSAL_TEXT * 4);
    context.state.recordLoginRefusal({
      ...refusal,
      connectionId: "c2",
      code: "UserUnknownToPermSys",
      text: `${longName}, unknown to system.`,
      reason: "unknown-user",
      relogin: false,
      user: longName,
    });
    const events = ofType("login-refused");
    expect(events.map((event) => event.data)).toEqual([
      refusal,
      expect.objectContaining({ connectionId: "c2", code: "UserUnknownToPermSys", reason: "unknown-user" }),
    ]);
    const long = events[1]!.data;
    expect(long.user).toHaveLength(MAX_REFUSAL_TEXT);
    expect(long.user!.endsWith("…")).toBe(true);
    expect(long.text).toHaveLength(MAX_REFUSAL_TEXT);
    expect(context.state.counters.loginRejections).toBe(2);
  });

  test("stops listening and clears its timers when the last subscriber leaves", () => {
    const { clock, context, feed, unsubscribe, postTo } = setup();
    postTo("A", { BID: 1 });
    expect(clock.pendingTimers).toBe(2); // tick + flush
    unsubscribe();
    unsubscribe(); // idempotent
    expect(feed.subscribers).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(context.state.listenerCount("contribution")).toBe(0);
    expect(context.state.listenerCount("connection")).toBe(0);
    expect(context.state.listenerCount("login-refused")).toBe(0);
    expect(context.faults.listenerCount("fault")).toBe(0);
  });
});
