import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ReportWriter } from "../../src/cli/report-writer.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("the --report writer", () => {
  it("is disabled and costs nothing without a file", async () => {
    const report = await ReportWriter.create(undefined);
    expect(report.enabled).toBe(false);
    expect(report.write({ row: 1 })).toBeUndefined();
    await report.close();
  });

  it("asks writers to wait only once the file is full, with one shared promise, and keeps every record", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "rcc-report-"));
    dirs.push(dir);
    const file = path.join(dir, "report.ndjson");
    const report = await ReportWriter.create(file);
    expect(report.enabled).toBe(true);
    expect(report.write({ row: 1, outcome: "ack" })).toBeUndefined();
    const waits = new Set<Promise<void>>();
    for (let row = 2; row <= 1_000; row++) {
      const wait = report.write({ row, outcome: "ack", text: "x".repeat(100) });
      if (wait) waits.add(wait);
    }
    // 100 KB went into a 16 KiB buffer: later writers wait, all on the same drain.
    expect(waits.size).toBe(1);
    await Promise.all(waits);
    await report.close();
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(1_000);
    expect(lines.map((line) => (JSON.parse(line) as { row: number }).row)).toEqual(
      Array.from({ length: 1_000 }, (_, index) => index + 1),
    );
  });
});
