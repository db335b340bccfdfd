import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/util/package-root.js";

const scratch = mkdtempSync(join(tmpdir(), "rcc-root-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("packageRoot", () => {
  it("finds this repository from a source module and from a bundled chunk's depth", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
    expect(packageRoot(import.meta.url)).toBe(root);
    expect(packageRoot(pathToFileURL(join(root, "dist/chunks/chunk-X.js")).href)).toBe(root);
  });

  it("stops at the nearest package.json", () => {
    const inner = join(scratch, "outer", "node_modules", "rcc-contrib");
    mkdirSync(join(inner, "dist", "chunks"), { recursive: true });
    writeFileSync(join(scratch, "outer", "package.json"), "{}");
    writeFileSync(join(inner, "package.json"), "{}");
    expect(packageRoot(pathToFileURL(join(inner, "dist", "chunks", "a.js")).href)).toBe(inner);
  });

  it("throws a clear error when no package.json lies within 8 folders", () => {
    const deep = join(scratch, "a", "b", "c", "d", "e", "f", "g", "h", "i");
    mkdirSync(deep, { recursive: true });
    expect(() => packageRoot(pathToFileURL(join(deep, "m.js")).href)).toThrow(/no package\.json found above .*m\.js/);
  });
});
