/**
 * The package entries load only what they need (STYLE habit 9): `rcc-contrib` (src/index.ts) must not pull in
 * the simulator or its dependencies (zod, selfsigned), which would cost every library user and every one-shot
 * `rcc` command their import time.
 *
 * How loaded modules are recorded: each entry is imported in a fresh child process (`node --import tsx`), so
 * nothing the test runner loaded counts. Before the import the child registers (`module.register()`) a load hook
 * that appends the URL of every ES module it loads to a file, synchronously, before the module runs; CommonJS
 * packages `require()`d from other CommonJS code do not pass through that hook in Node 20, so the child also
 * reports every key of the CommonJS module cache (`require.cache`) after the import. Both views are checked
 * positively too (the client's own files and `ws`, CommonJS, are seen; the simulator entry's zod and
 * selfsigned are), so a recorder that saw nothing could not pass the negative checks.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "rcc-entry-"));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The hooks module, run on the loader thread: it records every module URL that is loaded. */
const RECORDING_HOOKS = `
import { appendFileSync } from "node:fs";
let file;
export function initialize(data) { file = data.file; }
export async function load(url, context, nextLoad) {
  appendFileSync(file, url + "\\n");
  return nextLoad(url, context);
}`;

interface EntryLoad {
  /** Names the entry exports. */
  exports: string[];
  /** Every module loaded by the import, as repository-relative paths (or `node_modules/<package>/…`). */
  modules: string[];
}

/** Imports `entry` (a path under the repository) in a fresh Node process and reports what it loaded. */
async function importInChild(entry: string): Promise<EntryLoad> {
  const file = join(scratch, `${entry.replaceAll("/", "-")}.txt`);
  const hooksUrl = `data:text/javascript,${encodeURIComponent(RECORDING_HOOKS)}`;
  const script = `
import { register, createRequire } from "node:module";
register(${JSON.stringify(hooksUrl)}, { data: { file: ${JSON.stringify(file)} } });
const entry = await import(${JSON.stringify(pathToFileURL(join(ROOT, entry)).href)});
const require = createRequire(${JSON.stringify(pathToFileURL(join(ROOT, "package.json")).href)});
process.stdout.write(JSON.stringify({ exports: Object.keys(entry), cjs: Object.keys(require.cache) }));
`;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { cwd: ROOT, timeout: 15_000 },
      (error, out, err) => {
        if (error) reject(new Error(`importing ${entry} failed: ${err}`, { cause: error }));
        else resolve(out);
      },
    );
  });
  const reported = JSON.parse(stdout) as { exports: string[]; cjs: string[] };
  const esm = readFileSync(file, "utf8")
    .split("\n")
    .filter((url) => url.startsWith("file:"))
    .map((url) => fileURLToPath(url.split("?")[0] ?? url));
  const relative = (path: string): string => (path.startsWith(ROOT) ? path.slice(ROOT.length) : path);
  return { exports: reported.exports, modules: [...new Set([...esm, ...reported.cjs])].map(relative) };
}

/** Whether `modules` holds a file of the npm package `name`. */
function hasPackage(modules: string[], name: string): boolean {
  return modules.some((path) => path.includes(`node_modules/${name}/`));
}

describe("the package entries", () => {
  it("rcc-contrib (src/index.ts) loads no simulator module, no zod and no selfsigned", async () => {
    const { exports, modules } = await importInChild("src/index.ts");
    expect(exports).toEqual(expect.arrayContaining(["Contributor", "Consumer", "TokenManager", "ManualClock"]));
    // The recorder sees ES modules (the client's own files) and CommonJS ones (ws is CommonJS).
    expect(modules).toContain("src/client/contributor.ts");
    expect(hasPackage(modules, "ws")).toBe(true);

    expect(modules.filter((path) => path.startsWith("src/simulator/"))).toEqual([]);
    expect(hasPackage(modules, "zod")).toBe(false);
    expect(hasPackage(modules, "selfsigned")).toBe(false);
    expect(exports).not.toContain("startSimulator");
  });

  it("rcc-contrib/simulator (src/simulator/index.ts) loads and exposes startSimulator", async () => {
    const { exports, modules } = await importInChild("src/simulator/index.ts");
    expect(exports).toEqual(expect.arrayContaining(["startSimulator", "DEMO_ACCOUNT", "DEMO_RIC", "FAULT_TYPES"]));
    // The same recorder sees the simulator's dependencies, so the absence above is real.
    expect(hasPackage(modules, "zod")).toBe(true);
    expect(hasPackage(modules, "selfsigned")).toBe(true);
    expect(modules.some((path) => path.startsWith("src/client/"))).toBe(false);
  });
});
