/**
 * The simulator's per-connection inbound queue (src/simulator/rcc/inbound-queue.ts): order, slices, pausing the
 * socket while it waits, and its bound. The scheduler is driven by hand, so turns of the event loop are explicit.
 */
import { describe, expect, it } from "vitest";
import { type InboundFrame, InboundQueue, type MessageCursor } from "../../src/simulator/rcc/inbound-queue.js";

/** A queue whose turns run when `runTurn` is called, recording what it handled and did to the socket. */
function harness(options: { messagesPerSlice?: number; maxQueuedBytes?: number } = {}) {
  const handled: string[] = [];
  const events: string[] = [];
  const turns: (() => void)[] = [];
  const queue = new InboundQueue({
    messagesPerSlice: options.messagesPerSlice ?? 3,
    maxQueuedBytes: options.maxQueuedBytes ?? 1_000,
    schedule: (fn) => turns.push(fn),
    pause: () => events.push("pause"),
    resume: () => events.push("resume"),
    onOverflow: (bytes) => events.push(`overflow ${bytes}`),
  });
  /** A frame of `count` messages, handled as `name.0`, `name.1`…; 0 = a frame answered at once (not JSON). */
  const frame = (name: string, count: number, bytes = 10): InboundFrame => ({
    bytes,
    open: (): MessageCursor | undefined => {
      if (count === 0) {
        handled.push(`${name}!`);
        return undefined;
      }
      let next = 0;
      return {
        advance: (limit) => {
          const start = next;
          const end = Math.min(count, next + limit);
          for (; next < end; next++) handled.push(`${name}.${next}`);
          if (next === count) events.push(`end ${name}`);
          return end - start;
        },
        get done() {
          return next >= count;
        },
        endSlice: () => events.push(`slice of ${name}`),
      };
    },
  });
  const runTurn = (): void => {
    const turn = turns.shift();
    if (!turn) throw new Error("no turn scheduled");
    turn();
  };
  return { queue, handled, events, turns, frame, runTurn };
}

describe("InboundQueue", () => {
  it("handles a small frame at once, without pausing the socket", () => {
    const { queue, handled, events, turns, frame } = harness();
    queue.push(frame("a", 2));
    expect(handled).toEqual(["a.0", "a.1"]);
    expect(events).toEqual(["end a"]);
    expect(turns).toHaveLength(0);
  });

  it("handles a large frame one slice per turn, pausing the socket until it is done", () => {
    const { queue, handled, events, turns, frame, runTurn } = harness();
    queue.push(frame("a", 7));
    expect(handled).toEqual(["a.0", "a.1", "a.2"]);
    expect(events).toEqual(["slice of a", "pause"]);
    runTurn();
    expect(handled).toHaveLength(6);
    runTurn();
    expect(handled).toHaveLength(7);
    // The last slice was not full: nothing more is scheduled and the socket is read again.
    expect(events).toEqual(["slice of a", "pause", "slice of a", "pause", "end a", "resume"]);
    expect(turns).toHaveLength(0);
  });

  it("keeps frames that arrive meanwhile in order behind the one being handled", () => {
    const { queue, handled, frame, runTurn } = harness();
    queue.push(frame("a", 4));
    queue.push(frame("b", 1));
    queue.push(frame("c", 0));
    queue.push(frame("d", 2));
    expect(queue.waiting).toBe(3);
    runTurn();
    expect(handled).toEqual(["a.0", "a.1", "a.2", "a.3", "b.0", "c!"]);
    runTurn();
    expect(handled).toEqual(["a.0", "a.1", "a.2", "a.3", "b.0", "c!", "d.0", "d.1"]);
    expect(queue.waiting).toBe(0);
  });

  it("counts the slice per connection, so a burst of small frames in one turn also yields", () => {
    const { queue, handled, events, frame, runTurn } = harness();
    queue.push(frame("a", 2));
    queue.push(frame("b", 2));
    // a and b.0 used the slice of three; b.1 waits for the next turn.
    expect(handled).toEqual(["a.0", "a.1", "b.0"]);
    expect(events).toContain("pause");
    runTurn();
    expect(handled).toEqual(["a.0", "a.1", "b.0", "b.1"]);
    expect(events.at(-1)).toBe("resume");
  });

  it("yields after a slice used up exactly, so frames later in the same turn wait", () => {
    const { queue, handled, turns, frame, runTurn } = harness();
    queue.push(frame("a", 3));
    expect(turns).toHaveLength(1);
    queue.push(frame("b", 1));
    expect(handled).toEqual(["a.0", "a.1", "a.2"]);
    runTurn();
    expect(handled).toEqual(["a.0", "a.1", "a.2", "b.0"]);
  });

  it("ends the connection when more than maxQueuedBytes wait, and handles nothing more", () => {
    const { queue, handled, events, frame, runTurn } = harness({ maxQueuedBytes: 25 });
    queue.push(frame("a", 5));
    queue.push(frame("b", 1));
    queue.push(frame("c", 1));
    expect(events).not.toContain("overflow 20");
    queue.push(frame("d", 1));
    expect(events).toContain("overflow 30");
    runTurn();
    expect(handled).toEqual(["a.0", "a.1", "a.2"]);
    expect(events.at(-1)).toBe("overflow 30");
  });

  it("drops everything once stopped, even a turn already scheduled", () => {
    const { queue, handled, events, frame, runTurn } = harness();
    queue.push(frame("a", 5));
    queue.push(frame("b", 1));
    queue.stop();
    runTurn();
    queue.push(frame("c", 1));
    expect(handled).toEqual(["a.0", "a.1", "a.2"]);
    expect(events).not.toContain("resume");
  });
});
