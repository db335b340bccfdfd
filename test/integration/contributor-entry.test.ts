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
 * positively too (the client's own files are seen; the simulator entry's zod, selfsigned and ws, CommonJS, are;
 * pino is once `createLogger()` is called), so a recorder that saw nothing could not pass the negative checks.
 *
 * The built package (dist/, bundled by scripts/bundle.mjs in the suite's global setup) is checked too: each
 * entry exports what its source does, and code shared by two entries has one identity whichever entry a
 * program reaches it through.
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

/**
 * Imports `entry` (a path under the repository) in a fresh Node process and reports what it loaded.
 * @param then JavaScript run after the import, with the entry's namespace as `entry` (default: nothing)
 */
async function importInChild(entry: string, then = ""): Promise<EntryLoad> {
  const file = join(scratch, `${entry.replaceAll("/", "-")}-${then === "" ? "import" : "then"}.txt`);
  const hooksUrl = `data:text/javascript,${encodeURIComponent(RECORDING_HOOKS)}`;
  const script = `
import { register, createRequire } from "node:module";
register(${JSON.stringify(hooksUrl)}, { data: { file: ${JSON.stringify(file)} } });
const entry = await import(${JSON.stringify(pathToFileURL(join(ROOT, entry)).href)});
${then}
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

/** Runs an ES module `script` in a fresh Node process (from the repository folder) and returns its stdout. */
function runInChild(script: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd: ROOT, timeout: 15_000 },
      (error, out, err) => {
        if (error) reject(new Error(`child failed: ${err}`, { cause: error }));
        else resolve(out);
      },
    );
  });
}

/** Whether `modules` holds a file of the npm package `name`. */
function hasPackage(modules: string[], name: string): boolean {
  return modules.some((path) => path.includes(`node_modules/${name}/`));
}

describe("the package entries", () => {
  it("rcc-contrib (src/index.ts) loads no simulator module, no zod, no selfsigned, and no ws or pino until used", async () => {
    const { exports, modules } = await importInChild("src/index.ts");
    expect(exports).toEqual(expect.arrayContaining(["Contributor", "Consumer", "TokenManager", "ManualClock"]));
    expect(modules).toContain("src/client/contributor.ts");

    expect(modules.filter((path) => path.startsWith("src/simulator/"))).toEqual([]);
    expect(hasPackage(modules, "zod")).toBe(false);
    expect(hasPackage(modules, "selfsigned")).toBe(false);
    // ws is loaded on the first connection and pino on the first createLogger() (docs/performance.md).
    expect(hasPackage(modules, "ws")).toBe(false);
    expect(hasPackage(modules, "pino")).toBe(false);
    expect(exports).not.toContain("startSimulator");
  });

  it("rcc-contrib loads pino, CommonJS, when a logger is first created", async () => {
    const { modules } = await importInChild("src/index.ts", 'entry.createLogger({ level: "silent" });');
    // The recorder sees CommonJS packages, so the absence of ws and pino above is real.
    expect(hasPackage(modules, "pino")).toBe(true);
    expect(hasPackage(modules, "ws")).toBe(false);
  });

  it("rcc-contrib/simulator (src/simulator/index.ts) loads and exposes startSimulator", async () => {
    const { exports, modules } = await importInChild("src/simulator/index.ts");
    expect(exports).toEqual(expect.arrayContaining(["startSimulator", "DEMO_ACCOUNT", "DEMO_RIC", "FAULT_TYPES"]));
    // The same recorder sees the simulator's dependencies, so the absence above is real.
    expect(hasPackage(modules, "zod")).toBe(true);
    expect(hasPackage(modules, "selfsigned")).toBe(true);
    expect(hasPackage(modules, "ws")).toBe(true);
    expect(modules.some((path) => path.startsWith("src/client/"))).toBe(false);
  });
});

describe("the built package (dist/)", () => {
  it.each([
    ["dist/index.js", "src/index.ts"],
    ["dist/simulator/index.js", "src/simulator/index.ts"],
    ["dist/gateway/index.js", "src/gateway/index.ts"],
    ["dist/internal.js", "src/internal.ts"],
  ])("%s exports exactly what %s does", async (built, source) => {
    const { exports: fromSource } = await importInChild(source);
    const fromBuild = JSON.parse(
      await runInChild(
        `const m = await import(${JSON.stringify(pathToFileURL(join(ROOT, built)).href)});` +
          "process.stdout.write(JSON.stringify(Object.keys(m)));",
      ),
    ) as string[];
    expect(fromBuild.length).toBeGreaterThan(0);
    expect([...fromBuild].sort()).toEqual([...fromSource].sort());
  });

  it("entries share one instance of common code: a secret registered through dist/internal.js is masked by a logger from dist/index.js", async () => {
    const secret = "entry-test-secret-4f1b9c";
    const script = `
import { Writable } from "node:stream";
const client = await import(${JSON.stringify(pathToFileURL(join(ROOT, "dist/index.js")).href)});
const internal = await import(${JSON.stringify(pathToFileURL(join(ROOT, "dist/internal.js")).href)});
internal.processSecrets.add(${JSON.stringify(secret)});
let written = "";
const destination = new Writable({ write(chunk, _encoding, done) { written += chunk; done(); } });
const logger = client.createLogger({ destination });
logger.info({ peerText: "refused ${secret}" }, "login refused");
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(written);
`;
    const line = JSON.parse((await runInChild(script)).trim()) as { peerText: string; msg: string };
    expect(line.msg).toBe("login refused");
    expect(line.peerText).not.toContain(secret);
    expect(line.peerText).toContain("refused");
  });
});
