/** The CLI's logger (src/cli/logging.ts): readable lines or JSON on stderr, and nothing at all — pino not even loaded — when silent. */
import { execFile } from "node:child_process";
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";
import { createCliLogger } from "../../src/cli/logging.js";
import { silentLogger } from "../../src/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function sink(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString("utf8");
      callback();
    },
  });
  return { stream, text: () => text };
}

describe("createCliLogger", () => {
  test("at the default level (silent) writes nothing, in either format", () => {
    for (const format of ["pretty", "json"] as const) {
      const { stream, text } = sink();
      const log = createCliLogger("silent", format, stream);
      expect(log).toBe(silentLogger);
      log.error({ password: "p" }, "never shown");
      log.child({ name: "x" }).warn("nor this");
      expect(text()).toBe("");
    }
  });

  test("when silent, a one-shot command does not load pino at all", async () => {
    const script = `
import { createRequire } from "node:module";
const { createCliLogger } = await import(${JSON.stringify(pathToFileURL(`${ROOT}src/cli/logging.ts`).href)});
createCliLogger("silent", "pretty").info("x");
const require = createRequire(${JSON.stringify(pathToFileURL(`${ROOT}package.json`).href)});
process.stdout.write(JSON.stringify(Object.keys(require.cache).some((path) => path.includes("/node_modules/pino/"))));
`;
    const loaded = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        { cwd: ROOT },
        (error, out) => {
          if (error) reject(new Error("the child failed", { cause: error }));
          else resolve(out);
        },
      ),
    );
    expect(JSON.parse(loaded)).toBe(false);
  });

  test("at info, writes readable lines", () => {
    const { stream, text } = sink();
    const log = createCliLogger("info", "pretty", stream);
    log.info({ url: "wss://x" }, "connected");
    log.debug("not at info");
    expect(text()).toMatch(/^\d\d:\d\d:\d\d INFO {2}connected url=wss:\/\/x\n$/);
  });
});
