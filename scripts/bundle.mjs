// Build step: compiles src/ into dist/ as a few ES modules instead of one file per source file. Node 20 spends
// about a millisecond on each ES module it loads, so the client entry's ~55 files cost ~50 ms of start-up
// before any of it runs; bundled, the entry is one file plus the chunks it shares with the other entries
// (docs/performance.md, "Start-up"). Every package entry and every module the CLI loads lazily is an entry
// point here, and code shared between them goes to dist/chunks/ once, so a class has one identity whichever
// entry a program imports it through. npm packages stay external (loaded from node_modules as usual).
// Type declarations come from `tsc --emitDeclarationOnly` afterwards; run through `npm run build`.
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = fileURLToPath(new URL("../dist/", import.meta.url));

/** The package entries (package.json `exports`), the CLI's internal entry and the CLI itself (bin/rcc.js). */
// src/cli/main.ts stays at dist/cli/main.js, so its `../../package.json` holds in both trees.
const ENTRY_POINTS = ["src/index.ts", "src/simulator/index.ts", "src/internal.ts", "src/cli/main.ts"];

rmSync(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ENTRY_POINTS,
  outbase: "src",
  outdir: "dist",
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
const files = Object.keys(result.metafile.outputs).filter((path) => path.endsWith(".js"));
process.stdout.write(`bundled ${ENTRY_POINTS.length} entries into ${files.length} modules under ${dist}\n`);
