/** The bounded queue of unsent posts: FIFO, waiting room, conflation index, re-sends first. */
import { describe, expect, test } from "vitest";
import { type PostEntry, createPostEntry } from "../../src/client/posting/post-entry.js";
import { PostQueue } from "../../src/client/posting/post-queue.js";

function entry(ric: string, conflate = false): PostEntry {
  return createPostEntry(ric, JSON.stringify(ric), "{}", 10, conflate);
}

describe("PostQueue", () => {
  test("queues up to maxQueued, then makes waiting callers wait or refuses the others", () => {
    const queue = new PostQueue(2);
    expect(queue.offer(entry("A"), true)).toBe("queued");
    expect(queue.offer(entry("B"), false)).toBe("queued");
    expect(queue.offer(entry("C"), false)).toBe("full");
    expect(queue.offer(entry("D"), true)).toBe("waiting");
    expect([queue.length, queue.waiting]).toEqual([2, 1]);
  });

  test("keeps FIFO order: a new post does not jump ahead of waiting ones", () => {
    const queue = new PostQueue(2);
    queue.offer(entry("A"), true);
    queue.offer(entry("B"), true);
    queue.offer(entry("C"), true); // waits
    queue.shift();
    expect(queue.offer(entry("D"), true)).toBe("waiting"); // C is still waiting: D goes behind it
    expect(queue.admitWaiting(0)).toBe(1);
    const order: string[] = [];
    for (let next = queue.shift(); next; next = queue.shift()) order.push(next.ric);
    expect(order).toEqual(["B", "C"]);
    expect(queue.admitWaiting(0)).toBe(1);
    expect(queue.shift()?.ric).toBe("D");
    expect(queue.empty).toBe(true);
  });

  test("indexes conflatable entries by RIC until they are sent", () => {
    const queue = new PostQueue(10);
    const first = entry("A", true);
    queue.offer(first, true);
    queue.offer(entry("B"), true);
    expect(queue.conflatable("A")).toBe(first);
    expect(queue.conflatable("B")).toBeUndefined();
    queue.shift();
    expect(queue.conflatable("A")).toBeUndefined();
  });

  test("puts re-sent posts back at the front, in their order", () => {
    const queue = new PostQueue(10);
    queue.offer(entry("C"), true);
    queue.unshiftAll([entry("A"), entry("B")]);
    expect([queue.shift()?.ric, queue.shift()?.ric, queue.shift()?.ric]).toEqual(["A", "B", "C"]);
  });

  test("clear() hands back everything, queued before waiting", () => {
    const queue = new PostQueue(1);
    queue.offer(entry("A", true), true);
    queue.offer(entry("B"), true);
    expect(queue.clear().map((item) => item.ric)).toEqual(["A", "B"]);
    expect(queue.empty).toBe(true);
    expect(queue.conflatable("A")).toBeUndefined();
  });
});
