/**
 * WebSocket masking with and without the optional native `bufferutil` (ws uses it when it is installed, and
 * its own JavaScript otherwise; WS_NO_BUFFER_UTIL=1 forces the fallback): either way every post, small and
 * large, reaches the simulator byte for byte and is acknowledged. Each run is a child process, since ws picks
 * its masking once, at load.
 */
import { execFile } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const url = (path: string): string => pathToFileURL(`${ROOT}${path}`).href;

/** In the child: a simulator and a contributor, 300 posts of ~0.1 to ~2 KB, then which masking ws used. */
const SCRIPT = `
import { createRequire } from "node:module";
const { startSimulator } = await import(${JSON.stringify(url("src/simulator/index.ts"))});
const { Contributor } = await import(${JSON.stringify(url("src/index.ts"))});
const sim = await startSimulator();
const account = sim.accounts[0];
const client = new Contributor({
  authUrl: sim.authUrl, user: account.user, password: account.password, clientId: account.clientId, urls: sim.wsUrls,
});
await client.connect();
const posts = Array.from({ length: 300 }, (_, i) => {
  const fields = { BID: i };
  for (let k = 1; k <= 1 + (i % 25); k++) fields["ROW80_" + k] = (i + "é" + "x".repeat(80)).slice(0, 80 - (i % 7));
  return fields;
});
const acks = await Promise.all(posts.map((fields, i) => client.contribute("TRCCTEST" + String(i % 10).padStart(2, "0"), fields)));
const received = new Map(sim.state.contributions().map((c) => [c.fields.BID, JSON.stringify(c.fields)]));
const sameText = posts.every((fields) => received.get(fields.BID) === JSON.stringify(fields));
await client.close();
await sim.close();
// ws's own module (by its file: the package does not export it), the instance ws loaded.
const bufferUtil = createRequire(${JSON.stringify(url("package.json"))})(${JSON.stringify(`${ROOT}node_modules/ws/lib/buffer-util.js`)});
process.stdout.write(JSON.stringify({
  acked: acks.length,
  sameText,
  native: bufferUtil.mask.toString().includes("bufferUtil.mask"),
}));
`;

function run(env: NodeJS.ProcessEnv): Promise<{ acked: number; sameText: boolean; native: boolean }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", SCRIPT],
      { cwd: ROOT, timeout: 30_000, env },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the child failed: ${stderr}`, { cause: error }));
        else resolve(JSON.parse(stdout) as { acked: number; sameText: boolean; native: boolean });
      },
    );
  });
}

describe("WebSocket masking", () => {
  test("with the native bufferutil, every post arrives intact and is acknowledged", async () => {
    const { WS_NO_BUFFER_UTIL: _ignored, ...env } = process.env;
    expect(await run(env)).toEqual({ acked: 300, sameText: true, native: true });
  });

  test("with ws's JavaScript fallback (WS_NO_BUFFER_UTIL=1), the same", async () => {
    expect(await run({ ...process.env, WS_NO_BUFFER_UTIL: "1" })).toEqual({
      acked: 300,
      sameText: true,
      native: false,
    });
  });
});
