/**
 * Runs once before the suites: compiles src/ to dist/ so the end-to-end tests run the CLI exactly as users do
 * (`bin/rcc.js` → `dist/`), never a stale build.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  try {
    execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
      cwd: root,
      stdio: "inherit",
    });
  } catch {
    // Unit and integration suites do not need dist/; the end-to-end suites fail on their own with a clear
    // message when the build is missing, so a type error does not hide every other result.
    process.stderr.write(
      "global-setup: `tsc -p tsconfig.build.json` failed; end-to-end tests will use whatever dist/ holds\n",
    );
  }
}
