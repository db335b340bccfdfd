/**
 * `rcc watch` as users run it (`bin/rcc.js` → dist/, built by the global setup), against the real simulator
 * in both profiles. Output goes to a pipe, so the command writes NDJSON.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loginRaw, post, useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();
const BIN = fileURLToPath(new URL("../../bin/rcc.js", import.meta.url));

interface Running {
  child: ChildProcess;
  /** Parsed stdout lines so far. */
  lines: Record<string, any>[];
  stderr: () => string;
  /** Waits for a stdout line matching `predicate`. */
  line(predicate: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const tempDirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Runs `rcc …` with no RCC_* variables from the environment. */
function rcc(args: string[]): Running {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("RCC_")));
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, NO_COLOR: "1" }, stdio: "pipe" });
  children.push(child);
  const lines: Record<string, any>[] = [];
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    let newline = stdout.indexOf("\n");
    while (newline >= 0) {
      lines.push(JSON.parse(stdout.slice(0, newline)));
      stdout = stdout.slice(newline + 1);
      newline = stdout.indexOf("\n");
    }
    for (const wake of waiters) wake();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    line(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = lines.find(predicate);
          if (found !== undefined) resolve(found);
          return found !== undefined;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(
            new Error(`no matching line within ${timeoutMs} ms; stdout: ${JSON.stringify(lines)}; stderr: ${stderr}`),
          );
        }, timeoutMs);
        const wake = (): void => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(wake);
        };
        waiters.add(wake);
      });
    },
  };
}

async function passwordFile(password: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "rcc-watch-"));
  tempDirs.push(dir);
  const file = join(dir, "password");
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return file;
}

describe("rcc watch (end to end)", () => {
  it("prints one NDJSON line per message, shows contributions live, and on Ctrl+C closes the streams and the Login, exiting 0", async () => {
    const sim = await simulator();
    const account = sim.accounts[0]!;
    const watch = rcc([
      "watch",
      "TRCCTEST01",
      "NOPE.N",
      "--url",
      sim.wsUrls[0]!,
      "--auth-url",
      sim.authUrl,
      "--user",
      account.user,
      "--password-file",
      await passwordFile(account.password),
    ]);
    expect(await watch.line((line) => line.ric === "TRCCTEST01")).toMatchObject({
      type: "Refresh",
      id: 2,
      state: { stream: "Open", data: "Ok" },
    });
    expect(await watch.line((line) => line.ric === "NOPE.N")).toMatchObject({
      type: "Status",
      id: 3,
      state: { stream: "Closed", data: "Suspect", code: "NotFound", text: "**The record could not be found" },
    });

    const poster = (await loginRaw(sim.wsUrls[0]!, sim.authUrl, account)).client;
    poster.send(post(1, "TRCCTEST01", { BID: 451.55, DSPLY_NAME: "Hello RCC" }));
    expect(await watch.line((line) => line.type === "Update")).toMatchObject({
      ric: "TRCCTEST01",
      id: 2,
      fields: { BID: 451.55, DSPLY_NAME: "Hello RCC" },
    });
    expect(typeof watch.lines[0]!.at).toBe("string");

    watch.child.kill("SIGINT");
    expect(await watch.exited).toBe(0);
    const received = sim.state.recordedMessages.toArray().map((entry) => entry.message);
    expect(received).toContainEqual({ ID: 2, Type: "Close" });
    expect(received).toContainEqual({ ID: 1, Type: "Close", Domain: "Login" });
    // The NotFound stream was already closed by the server: no Close for it.
    expect(received).not.toContainEqual({ ID: 3, Type: "Close" });
    expect(watch.stderr()).not.toContain(account.password);
  });

  it("logs in by user name with --login-name against the ADS profile and sends --field as a View", async () => {
    const sim = await simulator({ profile: "ads" });
    const account = sim.accounts[0]!;
    const watch = rcc(["watch", "TRCCTEST05", "--url", sim.wsUrls[0]!, "--login-name", account.user, "--field", "BID"]);
    expect(await watch.line((line) => line.type === "Refresh")).toMatchObject({ fields: { BID: null } });

    const poster = (await loginRaw(sim.wsUrls[0]!, sim.authUrl, account)).client;
    poster.send(post(1, "TRCCTEST05", { BID: 2, ASK: 3 }, { PostUserInfo: { Address: "10.0.0.5", UserID: 42 } }));
    expect(await watch.line((line) => line.type === "Update")).toMatchObject({
      fields: { BID: 2 },
      postUserInfo: { Address: "10.0.0.5", UserID: 42 },
    });
    expect(watch.lines.find((line) => line.type === "Update")!.fields).not.toHaveProperty("ASK");
    watch.child.kill("SIGINT");
    expect(await watch.exited).toBe(0);
  });

  it("without a URL and without credentials it is a usage error naming both (exit 1)", async () => {
    const watch = rcc(["watch", "TRCCTEST01"]);
    expect(await watch.exited).toBe(1);
    expect(watch.stderr()).toMatch(/^rcc: missing --url .*credentials: --user .*--login-name/m);
    expect(watch.lines).toEqual([]);
  });

  it("exits 3 when the Login is refused (an unknown DACS user)", async () => {
    const sim = await simulator({ profile: "ads" });
    const watch = rcc(["watch", "TRCCTEST01", "--url", sim.wsUrls[0]!, "--login-name", "fred"]);
    expect(await watch.exited).toBe(3);
    expect(watch.stderr()).toContain("UserUnknownToPermSys");
  });
});
