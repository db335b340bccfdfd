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

  it("hands a turn's records to the file before the next turn, whole lines only, and keeps every record", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "rcc-report-"));
    dirs.push(dir);
    const file = path.join(dir, "report.ndjson");
    const report = await ReportWriter.create(file);
    expect(report.enabled).toBe(true);
    for (let row = 1; row <= 1_000; row++) {
      expect(report.write({ row, outcome: "ack", text: "x".repeat(100) })).toBeUndefined();
    }
    // Not closed yet: after one turn the records are in the file (a SIGKILL now would keep them).
    await new Promise((resolve) => setImmediate(resolve));
    const before = await readFile(file, "utf8");
    expect(before.endsWith("\n")).toBe(true);
    expect(before.trimEnd().split("\n")).toHaveLength(1_000);
    report.write({ row: 1_001, outcome: "nak" });
    await report.close();
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as { row: number }).row)).toEqual(
      Array.from({ length: 1_001 }, (_, index) => index + 1),
    );
  });

  it("appends with { append: true } (--resume) instead of truncating", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "rcc-report-"));
    dirs.push(dir);
    const file = path.join(dir, "report.ndjson");
    const first = await ReportWriter.create(file);
    first.write({ row: 1, outcome: "not-sent" });
    await first.close();
    const second = await ReportWriter.create(file, { append: true });
    second.write({ row: 1, outcome: "ack" });
    await second.close();
    const outcomes = (await readFile(file, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { outcome: string }).outcome);
    expect(outcomes).toEqual(["not-sent", "ack"]);
  });
});
