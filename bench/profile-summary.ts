/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function and by file, so
 * docs/performance.md can say where the time goes. Usage:
 * `node --import tsx bench/profile-summary.ts FILE.cpuprofile [top=25]`.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const index = url.indexOf("/work/main/");
  const path = index >= 0 ? url.slice(index + "/work/main/".length) : url;
  return path.replace(/^file:\/\//, "") || "(native)";
}

/** Self time per function and per file, microseconds, and the total. */
export function summarise(profile: Profile): {
  total: number;
  byFunction: Map<string, number>;
  byFile: Map<string, number>;
} {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const [index, id] of profile.samples.entries()) {
    const delta = profile.timeDeltas[index] ?? 0;
    const node = nodes.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = shortUrl(url);
    const name = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
    byFile.set(file, (byFile.get(file) ?? 0) + delta);
    total += delta;
  }
  return { total, byFunction, byFile };
}

function top(map: Map<string, number>, count: number, total: number): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([name, us]) =>
        `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
    )
    .join("\n");
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write("usage: profile-summary.ts FILE.cpuprofile [top]\n");
  process.exitCode = 1;
} else {
  const count = Number(process.argv[3] ?? 25);
  const { total, byFunction, byFile } = summarise(JSON.parse(readFileSync(file, "utf8")) as Profile);
  process.stdout.write(
    `total sampled: ${(total / 1000).toFixed(0)} ms\n\n# self time by file\n${top(byFile, count, total)}\n\n`,
  );
  process.stdout.write(`# self time by function\n${top(byFunction, count, total)}\n`);
}
