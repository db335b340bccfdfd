/**
 * Comments, test names and messages cite the protocol as `§N` / `§N.M` (sections of docs/protocol.md) and the
 * simulator's list as "checklist item N" (its §4). These checks keep every citation pointing at something that
 * exists, and keep tracker issue numbers (which a reader of the repository cannot look up) out of src/.
 * Plain file reads, no parsing: a few milliseconds.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SECTION_SIGN = "\u00a7";

/** Every source and documentation file under `dir`, as paths relative to the repository root. */
function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (absolute: string): void => {
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const path = join(absolute, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|tsx|mts|js|mjs|cjs|md)$/.test(entry.name)) found.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, dir));
  return found;
}

const protocolDoc = readFileSync(join(ROOT, "docs/protocol.md"), "utf8");

/** Section numbers of docs/protocol.md: `## 2. …` gives "2", `### 4A.6 …` gives "4A.6". */
const headings = new Set([...protocolDoc.matchAll(/^#{2,3} (\d+A?(?:\.\d+)?)\.? /gm)].map((match) => match[1]));

/** Item numbers of the simulator's checklist: the numbered lines of §4 (up to §4A). */
function checklistItems(): Set<number> {
  const start = protocolDoc.search(/^## 4\. /m);
  const end = protocolDoc.search(/^## 4A\. /m);
  const section = protocolDoc.slice(start, end);
  return new Set([...section.matchAll(/^(\d+)\. /gm)].map((match) => Number(match[1])));
}

const CITATION = new RegExp(`${SECTION_SIGN}\\s?(\\d+A?(?:\\.\\d+)*)`, "g");
/** A citation that continues an RFC's ("RFC 6455 §5.2, §5.3") belongs to the RFC, not to docs/protocol.md. */
const RFC_BEFORE = new RegExp(`RFC\\s?\\d+(?:[\\s,;]|and|${SECTION_SIGN}\\s?[\\d.]+|[–-])*$`);
const CHECKLIST = /checklist items? (\d+(?:\s*(?:[–-]|,|and)\s*\d+)*)/g;
const ISSUE_NUMBER = /\bissues? #?\d+/i;

const sources = ["src", "test", "bench"].flatMap(filesUnder);
const texts = new Map(sources.map((path) => [path, readFileSync(join(ROOT, path), "utf8")]));

describe("docs/protocol.md citations", () => {
  it("has the numbered sections the code is written against", () => {
    for (const section of ["0", "1", "1.6", "2", "2.4", "2.11", "3", "3.4", "4", "4.3", "4A", "4A.6", "5"]) {
      expect(headings, `section ${section}`).toContain(section);
    }
    expect([...checklistItems()].sort((a, b) => a - b)).toEqual(Array.from({ length: 33 }, (_, i) => i + 1));
  });

  it(`resolves every ${SECTION_SIGN}N[.M] cited in src/, test/ and bench/ to a heading`, () => {
    const unresolved: string[] = [];
    let citations = 0;
    for (const [path, text] of texts) {
      for (const match of text.matchAll(CITATION)) {
        const index = match.index;
        const before = text.slice(Math.max(0, index - 80), index).replace(/\s*\n\s*(?:\*|\/\/)?\s*/g, " ");
        if (RFC_BEFORE.test(before)) continue;
        citations += 1;
        const section = match[1] ?? "";
        if (!headings.has(section)) {
          const line = text.slice(0, index).split("\n").length;
          unresolved.push(`${path}:${line}: ${match[0]}`);
        }
      }
    }
    expect(citations).toBeGreaterThan(500);
    expect(unresolved).toEqual([]);
  });

  it("resolves every checklist item cited to an item of the simulator's list (§4)", () => {
    const items = checklistItems();
    const unresolved: string[] = [];
    for (const [path, text] of texts) {
      for (const match of text.matchAll(CHECKLIST)) {
        for (const number of (match[1] ?? "")
          .split(/[^\d]+/)
          .filter(Boolean)
          .map(Number)) {
          if (!items.has(number)) unresolved.push(`${path}: ${match[0]}`);
        }
      }
    }
    expect(unresolved).toEqual([]);
  });

  it("finds no tracker issue number in any comment or string under src/", () => {
    const offenders: string[] = [];
    for (const [path, text] of texts) {
      if (!path.startsWith("src")) continue;
      text.split("\n").forEach((line, index) => {
        if (ISSUE_NUMBER.test(line)) offenders.push(`${path}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it("points nowhere outside the repository for the protocol", () => {
    const outside = /\/work\/shared|rcc-protocol\.md|rcc-websocket-tutorial\.txt/;
    const offenders = [...texts].filter(([, text]) => outside.test(text)).map(([path]) => path);
    expect(offenders).toEqual([]);
  });
});
