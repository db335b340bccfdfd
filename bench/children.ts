/**
 * Child processes of the benchmarks: every one is tracked and killed when its benchmark ends, and any
 * survivor is killed when the bench process exits (also on error). Children additionally exit on their
 * own when their stdin closes, which covers the bench process being killed outright.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { DEMO_ACCOUNT, type SimulatorOptions } from "../src/simulator/index.js";

/** The repository root (children run from it so that `--import tsx` resolves). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

const running = new Set<ChildProcess>();
/** Children that lead a process group of their own ({@link spawnTrackedCommand}): killed with their group. */
const groupLeaders = new WeakSet<ChildProcess>();
let exitHookInstalled = false;

/** Kills every child still running (SIGKILL); safe to call more than once. */
export function killAllChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) killChild(child);
  }
  running.clear();
}

/** SIGKILL of a child, and of its whole process group when it leads one. */
function killChild(child: ChildProcess): void {
  if (groupLeaders.has(child) && child.pid !== undefined) {
    try {
      process.kill(-child.pid, "SIGKILL");
      return;
    } catch {
      // The group is gone already: the child alone, below.
    }
  }
  child.kill("SIGKILL");
}

function installExitHook(): void {
  if (!exitHookInstalled) {
    process.on("exit", killAllChildren);
    exitHookInstalled = true;
  }
}

/**
 * Extra Node flags for every benchmark child, from `BENCH_CHILD_NODE_ARGS` (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the simulator (docs/performance.md).
 */
function childNodeArgs(): string[] {
  return (process.env.BENCH_CHILD_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
}

/** Spawns a tracked `node` child with piped stdio; stderr is kept (last 4 kB) for error messages. */
export function spawnTracked(args: string[], env: NodeJS.ProcessEnv = process.env): TrackedChild {
  installExitHook();
  const child = spawn(process.execPath, [...childNodeArgs(), ...args], {
    cwd: ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  return new TrackedChild(child);
}

/**
 * Spawns a tracked program that is not Node (nats-server) under `sh`, in a process group of its own: the shell
 * starts it, waits for its stdin to end (the parent stopping it, or dying) and then stops it with SIGTERM, so the
 * program, which does not read stdin itself, goes with the bench process as the Node children do; and
 * {@link killAllChildren} kills the whole group.
 */
export function spawnTrackedCommand(command: string, args: string[]): TrackedChild {
  installExitHook();
  const script = `"$0" "$@" </dev/null & child=$!; read -r line; kill -TERM "$child"; wait "$child"`;
  const child = spawn("sh", ["-c", script, command, ...args], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  running.add(child);
  groupLeaders.add(child);
  return new TrackedChild(child);
}

/** A child process whose stdout is read line by line. */
export class TrackedChild {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  #stderr = "";
  readonly #lines: string[] = [];
  readonly #waiters: (() => void)[] = [];
  readonly #reader: Interface;

  constructor(child: ChildProcess) {
    this.process = child;
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-4096);
    });
    this.#reader = createInterface({ input: child.stdout! });
    this.#reader.on("line", (line) => {
      this.#lines.push(line);
      this.#wake();
    });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code) => {
        running.delete(child);
        this.#wake();
        resolve(code);
      });
    });
  }

  /** The last few kB the child wrote to stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The next stdout line, waiting up to `timeoutMs`. @throws when the child exits or the time is up. */
  async nextLine(timeoutMs: number, what: string): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) return line;
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(
          `child exited (${this.process.exitCode ?? this.process.signalCode}) before ${what}: ${this.#stderr.trim()}`,
        );
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${this.#stderr.trim()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Writes one line to the child's stdin. */
  send(line: string): void {
    this.process.stdin?.write(`${line}\n`);
  }

  /** Ends stdin (children exit on it), then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.stdin?.end();
    const timer = setTimeout(() => killChild(this.process), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.#reader.close();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** Memory and CPU of a process. */
interface ProcessUsage {
  rss: number;
  heapUsed: number;
  /** User + system CPU time since the process started, microseconds. */
  cpuUs: number;
  /** p99 of the event-loop delay since the previous `usage()`, milliseconds. */
  loopDelayP99Ms: number;
}

/** The simulator running in a child process (bench/sim-process.ts). */
export interface SimProcess {
  authUrl: string;
  wsUrls: string[];
  adminUrl: string;
  pid: number;
  /** Token-manager fields of the demo account (a local, non-secret credential). */
  credentials: { authUrl: string; user: string; password: string; clientId: string };
  /** The simulator process's resident set size and heap, bytes, and its CPU time so far, microseconds. */
  usage(): Promise<ProcessUsage>;
  /** `GET {adminUrl}/state`. */
  state(): Promise<any>;
  close(): Promise<void>;
}

/** Starts the simulator in its own process; the rate limit defaults to lifted (10,000,000 msg/s). */
export async function startSimProcess(options: SimulatorOptions = {}): Promise<SimProcess> {
  const config: SimulatorOptions = { maxMessagesPerSecond: 10_000_000, ...options };
  const child = spawnTracked(["--import", "tsx", "bench/sim-process.ts", JSON.stringify(config)]);
  let ready: { authUrl: string; wsUrls: string[]; adminUrl: string; pid: number };
  try {
    ready = JSON.parse(await child.nextLine(20_000, "the simulator to start")) as typeof ready;
  } catch (error) {
    await child.stop(0);
    throw error;
  }
  return {
    ...ready,
    credentials: {
      authUrl: ready.authUrl,
      user: DEMO_ACCOUNT.user,
      password: DEMO_ACCOUNT.password,
      clientId: DEMO_ACCOUNT.clientId,
    },
    async usage() {
      child.send("usage");
      return JSON.parse(await child.nextLine(5_000, "the simulator's usage")) as ProcessUsage;
    },
    async state() {
      const response = await fetch(`${ready.adminUrl}/state`).catch((error: unknown) => {
        const exit = child.process.exitCode ?? child.process.signalCode;
        throw new Error(
          `GET /admin/state failed (${String(error)}); simulator exit: ${exit ?? "still running"}; stderr: ${child.stderr.trim()}`,
        );
      });
      if (!response.ok) throw new Error(`GET /admin/state answered ${response.status}`);
      return response.json();
    },
    close: () => child.stop(),
  };
}
