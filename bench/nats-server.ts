/**
 * A real `nats-server` (Debian's 2.9) for the cluster benchmark (bench/cluster.ts): JetStream on, bound to
 * 127.0.0.1 on a port it picks itself, its store in a directory under the benchmark's own temporary directory.
 * It runs as a tracked child (bench/children.ts), so it goes with its benchmark, on errors and on Ctrl+C, and
 * with the bench process if that dies. The same spawning as test/helpers/nats-server.ts, without the test
 * helpers.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { spawnTrackedCommand } from "./children.js";
import { sleep } from "./gateway-producers.js";

/** The binary; override with RCC_NATS_SERVER (as the tests do). */
const NATS_SERVER = process.env.RCC_NATS_SERVER ?? "nats-server";

/** A running server. */
export interface NatsProcess {
  /** `nats://127.0.0.1:PORT`. */
  url: string;
  /** The server's own process id (not the shell's that runs it). */
  pid: number;
  /** Its user + system CPU time so far, microseconds (from /proc). */
  cpuUs(): Promise<number>;
  /** Stops it (SIGTERM through its shell; SIGKILL of the group after 5 s). */
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat's times. */
let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return ticksPerSecond;
}

/** Starts one JetStream server with its store under `dir`; resolves once it takes clients. */
export async function startNatsProcess(dir: string): Promise<NatsProcess> {
  try {
    execFileSync(NATS_SERVER, ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error(
      `${NATS_SERVER} is missing; the cluster benchmark needs Debian's nats-server package ` +
        "(apt-get install -y nats-server), or RCC_NATS_SERVER set to one",
    );
  }
  const storeDir = await mkdtemp(join(dir, "nats-"));
  const child = spawnTrackedCommand(NATS_SERVER, ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", storeDir]);
  const deadline = performance.now() + 10_000;
  for (;;) {
    const log = child.stderr;
    const listening = /\[(\d+)\] [^\n]*Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
    if (listening !== null && log.includes("Server is ready")) {
      const pid = Number(listening[1]);
      return {
        url: `nats://127.0.0.1:${listening[2]}`,
        pid,
        async cpuUs() {
          // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted after the command's closing parenthesis.
          const stat = await readFile(`/proc/${pid}/stat`, "utf8");
          const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
          return ((Number(fields[11]) + Number(fields[12])) / clockTicks()) * 1e6;
        },
        stop: () => child.stop(5_000),
      };
    }
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`nats-server exited at start: ${log.trim()}`);
    }
    if (performance.now() > deadline) {
      await child.stop(0);
      throw new Error(`nats-server is not ready after 10 s: ${log.trim()}`);
    }
    await sleep(10);
  }
}
