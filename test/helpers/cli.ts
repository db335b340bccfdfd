/**
 * Helpers of the end-to-end tests: run the BUILT `rcc` command (`node bin/rcc.js`, compiled by the global
 * set-up) as a child process, with a clean environment (no RCC_* leaking in, NO_COLOR=1), and collect what it
 * prints. Every child a test starts is killed by {@link stopAllCli} if still running; {@link useSharedSimulator}
 * gives a test file one simulator for all its tests.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";
import { waitFor } from "./wait-for.js";

/** The repository root. */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The `rcc` entry point users run. */
const BIN = join(ROOT, "bin", "rcc.js");

/** What a finished `rcc` run left behind. */
export interface CliResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link spawnCli} and {@link runCli}. */
export interface CliOptions {
  /** Extra environment variables (added to the cleaned environment; `undefined` removes one). */
  env?: Record<string, string | undefined>;
  /** Text written to stdin, which is then closed. Without it stdin is an open pipe ({@link CliProcess.child}). */
  input?: string;
  /** Kill the child (SIGKILL) after this long, milliseconds. @default 20_000 */
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();

/** `process.env` without any RCC_* variable, with NO_COLOR=1, plus `extra`. */
function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const merged: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...extra };
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(merged)) {
    const leaked = key.startsWith("RCC_") && !Object.hasOwn(extra, key);
    if (value !== undefined && !leaked) env[key] = value;
  }
  return env;
}

/** A running `rcc` child process. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  /** Settles when the child has exited and its output is complete. */
  readonly exited: Promise<CliResult>;

  constructor(command: string, args: readonly string[], options: CliOptions) {
    this.child = spawn(command, args, { cwd: ROOT, env: cliEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
    live.add(this.child);
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (this.stdout += chunk));
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    const timer = setTimeout(() => this.child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    this.exited = new Promise((resolve, reject) => {
      this.child.once("error", reject);
      this.child.once("close", (code, signal) => {
        clearTimeout(timer);
        live.delete(this.child);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
    if (options.input !== undefined) this.child.stdin?.end(options.input);
  }

  /** Resolves once `pattern` appears in stdout or stderr; rejects if the child exits first or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    const child = { exited: false };
    void this.exited.then(() => (child.exited = true));
    const seen = (): boolean => pattern.test(this.stdout) || pattern.test(this.stderr);
    const output = (): string => `\nstdout: ${this.stdout}\nstderr: ${this.stderr}`;
    await waitFor(
      () => child.exited || seen(),
      timeoutMs,
      () => `${pattern}${output()}`,
      25,
    );
    if (!seen()) throw new Error(`${pattern} not seen (child exited)${output()}`);
  }
}

/** Starts `node bin/rcc.js …args`. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  return new CliProcess(process.execPath, [BIN, ...args], options);
}

/** Runs `node bin/rcc.js …args` to completion (stdin closed, or fed `options.input`). */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, { ...options, input: options.input ?? "" }).exited;
}

/**
 * Starts `rcc gateway --json --port 0 …args` and resolves with the process and its ready line (the first line on
 * stdout, parsed: the caller knows its shape).
 */
export async function spawnGateway(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<{ run: CliProcess; ready: unknown }> {
  const run = spawnCli(["gateway", "--json", "--port", "0", ...args], { env, timeoutMs });
  // The whole line on stdout (the "gateway started" log line on stderr carries a "url" too).
  await waitFor(
    () => run.stdout.includes("\n") || run.child.exitCode !== null,
    20_000,
    () => `the ready line\nstdout: ${run.stdout}\nstderr: ${run.stderr}`,
    25,
  );
  return { run, ready: JSON.parse(run.stdout.split("\n")[0] ?? "") as unknown };
}

/** Kills (SIGKILL, by pid) every child still running; call in afterEach. */
export async function stopAllCli(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("close", () => resolve()))),
  );
  for (const child of live) child.kill("SIGKILL");
  await Promise.all(waits);
}

/** The simulator a whole test file shares, from {@link useSharedSimulator}. */
export interface SharedSimulator {
  /** The running simulator; it starts in `beforeAll`, so read it only inside tests and hooks. */
  readonly sim: RunningSimulator;
}

/**
 * Registers the hooks of a test file whose tests share one simulator: start it (with `options`) in
 * `beforeAll`; after each test, clear its faults and kill every `rcc` child still running ({@link stopAllCli});
 * close it in `afterAll`. Call once at the top of the file.
 */
export function useSharedSimulator(options: SimulatorOptions = {}): SharedSimulator {
  let running: RunningSimulator | undefined;
  beforeAll(async () => {
    running = await startSimulator(options);
  });
  afterEach(async () => {
    running?.faults.clear();
    await stopAllCli();
  });
  afterAll(async () => {
    await running?.close();
  });
  return {
    get sim() {
      if (running === undefined) throw new Error("the shared simulator starts in beforeAll: read it inside a test");
      return running;
    },
  };
}

/** Connection flags for a simulator's first account (the password goes through RCC_PASSWORD, see {@link simEnv}). */
export function simFlags(sim: RunningSimulator, authUrl = sim.authUrl): string[] {
  return ["--auth-url", authUrl, ...sim.wsUrls.flatMap((url) => ["--url", url]), "--user", sim.accounts[0]!.user];
}

/** The environment that carries the simulator account's password. */
export function simEnv(sim: RunningSimulator): Record<string, string> {
  return { RCC_PASSWORD: sim.accounts[0]!.password };
}

/** A port on 127.0.0.1 that nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A temporary directory and a writer of files in it (mode 0600); `remove()` deletes it. */
export function tempFiles(): { dir: string; write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "rcc-e2e-"));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      // Private, as a password or config file should be: rcc warns about secret files others can read.
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A pass-through in front of a token endpoint that records every access and refresh token it hands out, so a
 * test knows exactly which secrets the CLI held.
 */
export interface TokenRecorder {
  url: string;
  tokens: Set<string>;
  /** The form of every token request, in order. */
  forms: URLSearchParams[];
  close(): Promise<void>;
}

/** Starts a {@link TokenRecorder} forwarding to `authUrl`. */
export async function tokenRecorder(authUrl: string): Promise<TokenRecorder> {
  const tokens = new Set<string>();
  const forms: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      forms.push(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      const headers: Record<string, string> = {};
      for (const name of ["content-type", "accept", "authorization"]) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      void fetch(authUrl, { method: req.method ?? "POST", headers, body: Buffer.concat(chunks), redirect: "manual" })
        .then(async (answer) => {
          const text = await answer.text();
          try {
            const body = JSON.parse(text) as { access_token?: string; refresh_token?: string };
            if (body.access_token) tokens.add(body.access_token);
            if (body.refresh_token) tokens.add(body.refresh_token);
          } catch {
            // not JSON: nothing to record
          }
          res.writeHead(answer.status, { "Content-Type": answer.headers.get("content-type") ?? "application/json" });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/auth/oauth2/v1/token`,
    tokens,
    forms,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function hasScript(): boolean {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `rcc …args` under a pseudo-terminal (stdout and stderr are a TTY): `script` from util-linux when
 * present, else python3's `pty` module. What the terminal showed is the child's stdout.
 */
export function spawnCliInTerminal(args: readonly string[], options: CliOptions = {}): CliProcess {
  const words = [process.execPath, BIN, ...args];
  if (hasScript()) {
    // script runs the line with $SHELL -c; a shell that forks (dash, /bin/sh on Debian, when SHELL is unset)
    // would take the terminal's Ctrl+C itself and end with 130. The shell is fixed and `exec` puts node in its
    // place, so what the terminal signals is rcc alone, whatever the machine's SHELL.
    const line = `exec ${words.map(shellQuote).join(" ")}`;
    return new CliProcess("script", ["-qfec", line, "/dev/null"], {
      ...options,
      env: { ...options.env, SHELL: "/bin/sh" },
    });
  }
  const python = "import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))";
  return new CliProcess("python3", ["-c", python, ...words], options);
}

/** A TCP listener on 127.0.0.1 that accepts and never says a word (a hung token endpoint or WebSocket upgrade). */
export interface MuteListener {
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a {@link MuteListener}. */
export async function muteListener(): Promise<MuteListener> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createNetServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
