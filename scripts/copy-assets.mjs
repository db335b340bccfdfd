// Build step after `tsc`: copies the dashboard's static files (HTML, CSS, ES modules) next to the compiled
// handler, because tsc compiles only .ts files. The handler looks in dist/simulator/dashboard/public first.
import { cpSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const from = fileURLToPath(new URL("../src/simulator/dashboard/public/", import.meta.url));
const to = fileURLToPath(new URL("../dist/simulator/dashboard/public/", import.meta.url));
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
process.stdout.write(`copied the dashboard's files to ${to}\n`);
