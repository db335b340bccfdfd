/**
 * The dashboard's static files (public/: HTML, CSS, ES modules, an icon), read once from the package at run
 * time and served from memory with an ETag. `tsc` does not copy them, so they are looked for next to the
 * compiled module first (dist/simulator/dashboard/public, put there by scripts/bundle.mjs at build time)
 * and then in the sources (src/simulator/dashboard/public), which is where tsx and the tests find them.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../util/package-root.js";

/** Content types of the extensions the dashboard ships. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/**
 * The page may only load its own files and talk to its own server: no CDN, no inline script. `img-src data:`
 * is not needed; the chart is inline SVG built through the DOM.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** One file ready to serve. */
export interface Asset {
  name: string;
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * Candidate folders of the assets, in search order: the compiled copy first when this module runs from the
 * build (dist/, where it may sit in a bundled chunk), the sources first when it runs from src/ under tsx.
 */
function assetDirectories(moduleUrl: string = import.meta.url): string[] {
  const root = packageRoot(moduleUrl);
  const compiled = join(root, "dist", "simulator", "dashboard", "public");
  const sources = join(root, "src", "simulator", "dashboard", "public");
  return fileURLToPath(moduleUrl).startsWith(join(root, "src") + sep) ? [sources, compiled] : [compiled, sources];
}

/**
 * Loads every servable file of the first folder that exists.
 * @throws Error naming the folders searched when none exists (a broken install).
 */
export function loadAssets(directories: readonly string[] = assetDirectories()): Map<string, Asset> {
  const directory = directories.find((candidate) => existsSync(candidate) && statSync(candidate).isDirectory());
  if (directory === undefined) {
    throw new Error(`the dashboard's files are missing; looked in ${directories.join(" and ")}`);
  }
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(directory)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    const body = readFileSync(join(directory, name));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(name, { name, body, contentType, etag });
  }
  return assets;
}

/** Headers every dashboard answer carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  // The page URL may carry ?token=…: never send it to anyone in a Referer.
  "Referrer-Policy": "no-referrer",
};

/**
 * Answers GET/HEAD for one asset: 304 when `If-None-Match` matches. The files are not fingerprinted, so
 * browsers must revalidate every time (`no-cache`), which costs one small 304 per file.
 */
export function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const headers = {
    ...SECURITY_HEADERS,
    "Content-Type": asset.contentType,
    "Cache-Control": "no-cache",
    ETag: asset.etag,
  };
  const match = req.headers["if-none-match"];
  if (match !== undefined && match.split(",").some((tag) => tag.trim().replace(/^W\//, "") === asset.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, "Content-Length": asset.body.length });
  res.end(req.method === "HEAD" ? undefined : asset.body);
}
