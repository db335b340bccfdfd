import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Progress, type ProgressCounts, renderProgress } from "../../src/cli/progress.js";
import { ManualClock } from "../../src/util/clock.js";

function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  }) as Writable & { isTTY: boolean; text: () => string };
  stream.isTTY = isTTY;
  stream.text = () => chunks.join("");
  return stream;
}

const counts: ProgressCounts = { sent: 120, acked: 100, naked: 2, errors: 0, inFlight: 18, rows: 125 };

describe("progress", () => {
  it("renders counts, rate, elapsed time and an ETA when the size is known", () => {
    const line = renderProgress({ ...counts, bytesRead: 250 }, 2000, 1000);
    expect(line).toBe("sent 120  acked 100  naked 2  in flight 18  51/s  elapsed 2s  25%  ETA 6s");
  });

  it("redraws in place on a terminal at most every 100 ms", () => {
    const clock = new ManualClock();
    const stream = sink(true);
    const progress = new Progress({ stream, clock });
    progress.update(counts);
    clock.advance(50);
    progress.update(counts);
    clock.advance(60);
    progress.update(counts);
    progress.finish(counts);
    const text = stream.text();
    expect(text.split("\r\x1b[2K")).toHaveLength(4);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("writes one plain line every five seconds when not a terminal", () => {
    const clock = new ManualClock();
    const stream = sink(false);
    const progress = new Progress({ stream, clock });
    for (let i = 0; i < 100; i++) {
      progress.update(counts);
      clock.advance(100);
    }
    const lines = stream.text().trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^progress: sent 120 {2}acked 100/);
    expect(stream.text()).not.toContain("\x1b");
  });
});
