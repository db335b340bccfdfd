/**
 * Runs once before the suites: builds dist/ as `npm run build` does (scripts/bundle.mjs, which also copies the
 * dashboard's assets and swaps the new build in whole; type declarations are not needed to run) so the end-to-end tests run the CLI exactly as users do
 * (`bin/rcc.js` → `dist/`), never a stale build.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  try {
    execFileSync(process.execPath, ["scripts/bundle.mjs"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  } catch {
    // Unit and integration suites do not need dist/; the end-to-end suites fail on their own with a clear
    // message when the build is missing, so a build error does not hide every other result.
    process.stderr.write("global-setup: building dist/ failed; end-to-end tests will use whatever dist/ holds\n");
  }
}
