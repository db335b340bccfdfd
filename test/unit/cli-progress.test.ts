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

const counts: ProgressCounts = { sent: 120, acked: 100, naked: 2, errors: 0, inFlight: 18, rows: 125, settled: 102 };

describe("progress", () => {
  it("puts % and ETA first, measured by settled rows against the rows expected from the bytes read", () => {
    // 125 rows in 250 of 1,000 bytes → 500 rows expected; 102 settled in 2 s (51/s) → 20 %, 398 left ≈ 8 s.
    const line = renderProgress({ ...counts, bytesRead: 250 }, 2000, 1000);
    expect(line).toBe("20%  ETA 8s  sent 120  acked 100  naked 2  in flight 18  51/s  elapsed 2s");
  });

  it("counts from the real total once the input is read, and says what it waits for while not connected", () => {
    const line = renderProgress(
      { ...counts, errors: 3, inputDone: true, status: "connecting to wss://h/WebSocket (attempt 2)" },
      4000,
      1000,
    );
    expect(line).toBe(
      "81%  ETA 1s  connecting to wss://h/WebSocket (attempt 2)  sent 120  acked 100  naked 2  errors 3  in flight 18  26/s  elapsed 4s",
    );
    expect(renderProgress({ ...counts, settled: 0, inputDone: true }, 1000)).toMatch(/^0% {2}ETA \? {2}sent 120/);
    expect(renderProgress({ ...counts, settled: 1 }, 20_000)).toContain("  0.1/s  ");
  });

  it("shows `sent` as the posts written, whatever was read: 3,000 rows read and handed over, 8 written, none settled", () => {
    const line = renderProgress(
      { sent: 8, acked: 0, naked: 0, errors: 0, inFlight: 8, rows: 3_000, settled: 0, inputDone: true },
      100,
    );
    expect(line).toBe("0%  ETA ?  sent 8  acked 0  naked 0  in flight 8  0/s  elapsed 0s");
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
