/**
 * The folder of this package (the one holding its package.json), found from a module's URL. The build bundles
 * the compiled modules into entries and shared chunks (scripts/bundle.mjs), so a module's own URL no longer
 * says where it sat in `src/`; files the package ships beside its code (package.json, the dashboard's assets)
 * are found from the package root instead.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Deepest folders searched upwards from the module before giving up (a broken install). */
const MAX_LEVELS = 8;

/**
 * The nearest folder at or above `moduleUrl`'s folder that holds a package.json.
 * @param moduleUrl a `file:` URL, normally `import.meta.url`
 * @throws Error when no package.json lies within {@link MAX_LEVELS} folders upwards
 */
export function packageRoot(moduleUrl: string): string {
  let folder = dirname(fileURLToPath(moduleUrl));
  for (let level = 0; level < MAX_LEVELS; level++) {
    if (existsSync(join(folder, "package.json"))) return folder;
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  throw new Error(`no package.json found above ${fileURLToPath(moduleUrl)}`);
}
