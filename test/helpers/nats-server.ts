/**
 * Real `nats-server` processes for the cluster mode's tests: JetStream on, bound to 127.0.0.1 on a random
 * port, each with its own temporary store directory, removed when it stops. Debian's `nats-server` package is
 * required (`.ci/run` installs it): without it the tests fail and say how to install it, never skip.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait-for.js";

/** The binary; override with RCC_NATS_SERVER. */
const NATS_SERVER = process.env.RCC_NATS_SERVER ?? "nats-server";

/** A running server. */
export interface NatsServer {
  /** `nats://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Its server name (`-n`), unique per start. */
  name: string;
  /** Its JetStream store directory (kept across {@link NatsServer.restart}, removed by stop). */
  storeDir: string;
  readonly process: ChildProcess;
  /** Last 8 kB of its log (stderr). */
  log(): string;
  /** Kills it at once (SIGKILL), as a crash would; the store directory stays for a restart. */
  kill(): Promise<void>;
  /** Starts it again on the same port, name and store (after kill). */
  restart(): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its store directory. */
  stop(): Promise<void>;
}

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Client port. @default a free one */
  port?: number;
  /** Cluster membership: the cluster's name, this server's route port, and every member's route port. */
  cluster?: { name: string; routePort: number; routePorts: readonly number[] };
  /** Server name. @default a unique one */
  name?: string;
  /** More command-line arguments, e.g. `["--user", "u", "--pass", "p"]` for a server that wants them. */
  args?: readonly string[];
}

const running = new Set<NatsServer>();
let sequence = 0;

function requireBinary(): void {
  try {
    execFileSync(NATS_SERVER, ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error(
      `${NATS_SERVER} is missing; the cluster tests need Debian's nats-server package: ` +
        "run `apt-get update && apt-get install -y nats-server` (or set RCC_NATS_SERVER)",
    );
  }
}

/** A TCP port free on 127.0.0.1 now (bound and released; the server that takes it comes a moment later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Starts one JetStream server and waits until it takes clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  requireBinary();
  const storeDir = mkdtempSync(join(tmpdir(), "rcc-nats-"));
  const port = options.port ?? (await freePort());
  sequence += 1;
  const name = options.name ?? `n${process.pid}-${sequence}`;
  const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, "-n", name];
  if (options.cluster !== undefined) {
    const { name: clusterName, routePort, routePorts } = options.cluster;
    args.push("--cluster_name", clusterName, "--cluster", `nats://127.0.0.1:${routePort}`);
    const routes = routePorts.filter((other) => other !== routePort).map((other) => `nats://127.0.0.1:${other}`);
    if (routes.length > 0) args.push("--routes", routes.join(","));
  }
  args.push(...(options.args ?? []));
  let log = "";
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn(NATS_SERVER, args, { stdio: ["ignore", "ignore", "pipe"] });
    child.on("error", () => undefined);
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      log = (log + chunk).slice(-8192);
    });
    const exited = { yes: false };
    child.once("exit", () => (exited.yes = true));
    await waitFor(
      () => exited.yes || log.includes("Server is ready"),
      10_000,
      () => `nats-server ${name} to be ready; its log:\n${log}`,
      10,
    );
    if (exited.yes) throw new Error(`nats-server ${name} exited at start; its log:\n${log}`);
  };
  await launch();
  const stopChild = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current.exitCode !== null || current.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => current.once("exit", () => resolve()));
    current.kill(signal);
    const timer = setTimeout(() => current.kill("SIGKILL"), 5_000);
    await gone;
    clearTimeout(timer);
  };
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    name,
    storeDir,
    get process() {
      return child;
    },
    log: () => log,
    kill: () => stopChild("SIGKILL"),
    restart: async () => {
      await stopChild("SIGKILL");
      log = "";
      await launch();
    },
    stop: async () => {
      await stopChild("SIGTERM");
      running.delete(server);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  running.add(server);
  return server;
}

/** Stops every server still running and removes their stores; call in afterEach. */
export async function stopAllNatsServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/** Three JetStream servers routed to each other on loopback: a cluster for replicated streams. */
export async function startNatsCluster(size = 3): Promise<NatsServer[]> {
  const routePorts: number[] = [];
  for (let index = 0; index < size; index++) routePorts.push(await freePort());
  sequence += 1;
  const clusterName = `c${process.pid}-${sequence}`;
  return Promise.all(
    routePorts.map((routePort, index) =>
      startNatsServer({ name: `${clusterName}-${index}`, cluster: { name: clusterName, routePort, routePorts } }),
    ),
  );
}
