/**
 * Runs once before the suites: builds dist/ as `npm run build` does (scripts/bundle.mjs, then the dashboard's
 * assets; type declarations are not needed to run) so the end-to-end tests run the CLI exactly as users do
 * (`bin/rcc.js` → `dist/`), never a stale build.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  try {
    for (const script of ["scripts/bundle.mjs", "scripts/copy-assets.mjs"])
      execFileSync(process.execPath, [script], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  } catch {
    // Unit and integration suites do not need dist/; the end-to-end suites fail on their own with a clear
    // message when the build is missing, so a build error does not hide every other result.
    process.stderr.write("global-setup: building dist/ failed; end-to-end tests will use whatever dist/ holds\n");
  }
}
