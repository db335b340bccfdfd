// Build step: compiles src/ into dist/ as a few ES modules instead of one file per source file. Node 20 spends
// about a millisecond on each ES module it loads, so the client entry's ~55 files cost ~50 ms of start-up
// before any of it runs; bundled, the entry is one file plus the chunks it shares with the other entries
// (docs/performance.md, "Start-up"). Every package entry and every module the CLI loads lazily is an entry
// point here, and code shared between them goes to dist/chunks/ once, so a class has one identity whichever
// entry a program imports it through. npm packages stay external (loaded from node_modules as usual).
// Type declarations come from `tsc --emitDeclarationOnly` afterwards; run through `npm run build`.
//
// The new build, with the dashboard's static files, is made in a staging folder and then swapped in for dist/
// by two renames, so a process running from dist/ meanwhile (a test run beside another) never finds it half
// written. Declarations already in dist/ are carried over (tsc rewrites them in `npm run build`).
import { cpSync, existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const staging = join(root, `dist.staging-${process.pid}`);
const retired = join(root, `dist.retired-${process.pid}`);

/** The package entries (package.json `exports`), the CLI's internal entry and the CLI itself (bin/rcc.js). */
// src/cli/main.ts stays at dist/cli/main.js, so its `../../package.json` holds in both trees.
const ENTRY_POINTS = [
  "src/index.ts",
  "src/simulator/index.ts",
  "src/gateway/index.ts",
  "src/internal.ts",
  "src/cli/main.ts",
];

rmSync(staging, { recursive: true, force: true });
let files;
try {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ENTRY_POINTS,
    outbase: "src",
    outdir: staging,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    chunkNames: "chunks/[name]-[hash]",
    sourcemap: true,
    logLevel: "warning",
    metafile: true,
  });
  files = Object.keys(result.metafile.outputs).filter((path) => path.endsWith(".js"));
  // The dashboard's files sit beside the bundle: the simulator serves them from dist/simulator/dashboard/public.
  cpSync(join(root, "src/simulator/dashboard/public"), join(staging, "simulator/dashboard/public"), { recursive: true });
  cpSync(join(root, "src/gateway/status/public"), join(staging, "gateway/status/public"), { recursive: true });
  if (existsSync(dist)) copyDeclarations(dist, staging);
  if (existsSync(dist)) renameSync(dist, retired);
  renameSync(staging, dist);
  rmSync(retired, { recursive: true, force: true });
} catch (error) {
  rmSync(staging, { recursive: true, force: true }); // a failed build leaves no half-made folder behind
  throw error;
}
process.stdout.write(`bundled ${ENTRY_POINTS.length} entries into ${files.length} modules under ${dist}\n`);

/** Copies the `.d.ts` files of `from` into `to`, keeping their folders. */
function copyDeclarations(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const path = join(entry.parentPath, entry.name);
    cpSync(path, join(to, path.slice(from.length)));
  }
}
