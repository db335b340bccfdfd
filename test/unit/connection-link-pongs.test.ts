/**
 * Pongs of one link (§2.7): a burst of server Pings is answered by one Pong once its frame is read; further
 * Pings while that Pong waits for the governor's reply cap add nothing; and a Pong held by the cap does not
 * hold posts back. Driven by a ManualClock and an in-memory socket.
 */
import type { WebSocket } from "ws";
import { describe, expect, test } from "vitest";
import { Link, type LinkHandlers } from "../../src/client/connection/link.js";
import { RateGovernor } from "../../src/client/connection/rate-governor.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/logger.js";
import { MemorySocket } from "../helpers/memory-socket.js";

function setUp(limit = 1000) {
  const clock = new ManualClock(0);
  const socket = new MemorySocket();
  const governor = new RateGovernor({ maxMessagesPerSecond: limit, paceBurstMs: 0, ackClocked: true });
  let writable = 0;
  const handlers: LinkHandlers = {
    onLogin: () => undefined,
    onItem: () => undefined,
    onAck: () => undefined,
    onServerError: () => undefined,
    onClosed: () => undefined,
    onWritable: () => void (writable += 1),
  };
  const link = new Link(socket as unknown as WebSocket, {
    clock,
    log: silentLogger,
    governor,
    pingIntervalMs: 20_000,
    missedPings: 3,
    handlers,
  });
  return { clock, socket, governor, link, writable: () => writable };
}

const pings = (count: number) => Array.from({ length: count }, () => ({ Type: "Ping" }));

describe("Link Pongs", () => {
  test("a frame of 30,000 Pings is answered by one Pong", () => {
    const { socket, link } = setUp();
    socket.receive(pings(30_000));
    expect(socket.pongs).toBe(1);
    expect([link.pingsReceived, link.pongsSent]).toEqual([30_000, 1]);
    link.terminate();
  });

  test("Pings beyond the reply cap wait for one Pong, sent when the cap allows, then posts are told to go on", () => {
    const { clock, socket, governor, link, writable } = setUp(1000);
    for (let frame = 0; frame < governor.replyCap; frame++) socket.receive(pings(1));
    expect(socket.pongs).toBe(50);
    for (let frame = 0; frame < 500; frame++) socket.receive(pings(3));
    expect(socket.pongs).toBe(50); // one Pong owed for all 1,500 Pings, held by the cap
    expect(link.postCapacity(clock.monotonic())).toBeGreaterThan(900); // posts are not held back by it
    clock.advance(1020); // the first Pongs leave the window (sent at 0 plus the 0 ms margin)
    expect(socket.pongs).toBe(51);
    expect(writable()).toBe(1);
    link.terminate();
    expect(clock.pendingTimers).toBe(0);
  });

  test("a Pong never answers Pings that had not arrived when it was sent", () => {
    const { socket, link } = setUp();
    socket.receive(pings(2));
    socket.receive([{ Type: "Ack", ID: 1, AckID: 1 }]);
    socket.receive(pings(1));
    expect(socket.pongs).toBe(2);
    link.terminate();
  });
});
