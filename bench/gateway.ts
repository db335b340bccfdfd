/**
 * gateway (docs/gateway.md): the contribution service end to end — producers in this process over HTTP
 * (node:http, keep-alive), the gateway in its own process (bench/gateway-process.ts, a SQLite outbox under
 * `.tmp-bench/`, `synchronous=full`), the simulator in a third. Four scenarios:
 *
 * 1. batched: 8 producers POST arrays of 100 items with `?wait=ack`, limit lifted; items acked per second,
 *    beside the bare client's throughput on the same simulator process (bench/throughput.ts), and the
 *    gateway's CPU per item.
 * 2. single: 32 producers POST one item each with the default `wait=accepted` (202); requests per second and
 *    the accept latency a producer sees; then the same with 16 and with 8 producers (metrics named by count).
 * 3. rate-limited: the simulator at 1,000 messages/s; single items with `?wait=ack` paced at 1,000 a second
 *    in total; each request's latency (accept → Ack, plus HTTP) after a 1 s warm-up, and what the simulator
 *    counted over its limit.
 * 4. restart: an outbox holding 100,000 accepted items (20,000 quick) and a gateway started on it: spawn →
 *    the simulator's first Ack, and the drain rate until every item is acked.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { type GatewayNatsOptions, generateApiKey } from "../src/gateway/index.js";
import type { NewItem } from "../src/gateway/outbox/outbox.js";
import { openSqliteOutbox } from "../src/gateway/outbox/sqlite-outbox.js";
import { ROOT, type SimProcess, startSimProcess, spawnTracked } from "./children.js";
import {
  type DriveFigures,
  GatewayHttpClient,
  closedLoop,
  pacedLoop,
  sleep,
  workloadItem,
} from "./gateway-producers.js";
import { type Bench, type BenchResult, percentile, round } from "./result.js";
import { type ThroughputRun, measureContributorThroughput } from "./throughput.js";

/** What bench/gateway-process.ts reads from `BENCH_GATEWAY_OPTIONS`. */
export interface GatewayProcessOptions {
  /** The one account's name (the restart scenario's outbox is filled under it). */
  account: string;
  /** The SQLite outbox of a single-node gateway; unused with `nats`. */
  outboxPath?: string;
  wsUrls: string[];
  credentials: SimProcess["credentials"];
  /** The producers' key, as the gateway's configuration holds it. */
  apiKeySha256: string;
  /** Cluster mode (bench/cluster.ts): the gateway joins a cluster on these NATS servers instead of an outbox file. */
  nats?: GatewayNatsOptions;
  /**
   * The accounts, each with its RIC patterns and simulator credentials, instead of `account` with every RIC and
   * `credentials` (bench/cluster.ts's three-account scenario).
   */
  accounts?: { name: string; rics: string[]; credentials: SimProcess["credentials"] }[];
  /** The gateway's log level (on stderr). @default "warn" */
  logLevel?: "info" | "warn";
}

export type ProcessUsage = Awaited<ReturnType<SimProcess["usage"]>>;

/** A closed-loop run with the probe's readings at the start and the end of its window. */
type Probed<T> = DriveFigures & { before: T; after: T };

/** The gateway's and the simulator's usage, read together. */
interface Usages {
  gateway: ProcessUsage;
  sim: ProcessUsage;
}

/** The gateway running in a child process. */
export interface GatewayProcess {
  url: string;
  pid: number;
  /** Child start → gateway module loaded (tsx compiling included), milliseconds. */
  loadMs: number;
  /** `startGateway()` → listening, milliseconds. */
  startMs: number;
  usage(): Promise<ProcessUsage>;
  close(): Promise<void>;
  /** Kills the process outright (SIGKILL, as a crash would: no Login Close, no lease release); resolves once gone. */
  kill(): Promise<void>;
  /** The last few kB of its log (warnings and errors, as JSON lines). */
  stderr(): string;
  /** Whether the process is still running. */
  alive(): boolean;
}

const ACCOUNT = "bench";
/** Items per request of the batched scenario. */
const BATCH_ITEMS = 100;
const BATCHED_PRODUCERS = 8;
const SINGLE_PRODUCERS = 32;
/** Producer counts of scenario 2: the goal's run first, then diagnostic runs with fewer. */
const SINGLE_PRODUCER_COUNTS = [SINGLE_PRODUCERS, 16, 8] as const;
/**
 * Sockets of the rate-limited scenario's producer. A paced request is timed from when it is due, so a wait in
 * the agent's queue counts; enough sockets that a backlog in the gateway (tens of ms at 1,000/s) is not
 * hidden there.
 */
const PACED_SOCKETS = 64;
const RATE_LIMIT = 1000;
const RATE_WARMUP_MS = 1000;

/** Scenario lengths, milliseconds, and the restart scenario's outbox size. */
function sizes(quick: boolean) {
  return quick
    ? { warmupMs: 500, durationMs: 2_000, rateDurationMs: 3_000, rateBelowDurationMs: 2_000, restartItems: 20_000 }
    : { warmupMs: 1_000, durationMs: 6_000, rateDurationMs: 10_000, rateBelowDurationMs: 4_000, restartItems: 100_000 };
}

/** Starts bench/gateway-process.ts on `outboxPath` against `sim`; resolves once it listens. */
function startGatewayProcess(sim: SimProcess, outboxPath: string, apiKeySha256: string): Promise<GatewayProcess> {
  return spawnGatewayProcess({
    account: ACCOUNT,
    outboxPath,
    wsUrls: sim.wsUrls,
    credentials: sim.credentials,
    apiKeySha256,
  });
}

/**
 * Starts bench/gateway-process.ts with `options` (and `env` over this process's environment); resolves once it
 * listens.
 */
export async function spawnGatewayProcess(
  options: GatewayProcessOptions,
  env: NodeJS.ProcessEnv = {},
): Promise<GatewayProcess> {
  const child = spawnTracked(["--import", "tsx", "bench/gateway-process.ts"], {
    ...process.env,
    ...env,
    BENCH_GATEWAY_OPTIONS: JSON.stringify(options),
  });
  let ready: { url: string; pid: number; loadMs: number; startMs: number };
  try {
    ready = JSON.parse(await child.nextLine(30_000, "the gateway to start")) as typeof ready;
  } catch (error) {
    await child.stop(0);
    throw error;
  }
  return {
    ...ready,
    async usage() {
      child.send("usage");
      return JSON.parse(await child.nextLine(5_000, "the gateway's usage")) as ProcessUsage;
    },
    // The gateway closes its session (Login Close) and the outbox within its 2 s shutdown timeout.
    close: () => child.stop(8_000),
    async kill() {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
      await child.exited;
    },
    stderr: () => child.stderr,
    alive: () => child.process.exitCode === null && child.process.signalCode === null,
  };
}

/** Waits until `GET /readyz` answers 200 (the account's session is logged in). */
export async function waitReady(client: GatewayHttpClient): Promise<void> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const answer = await client.get("/readyz");
    if (answer.status === 200) return;
    if (performance.now() > deadline) throw new Error(`the gateway is not ready after 20 s: ${answer.body}`);
    await sleep(20);
  }
}

/** A Prometheus histogram as `GET /metrics` shows it: cumulative bucket counts by `le`, sum and count. */
interface Histogram {
  buckets: Map<string, number>;
  sum: number;
  count: number;
}

/** Reads histogram `name` from the gateway's `/metrics` (labels other than `le` ignored: one account). */
export async function readHistogram(client: GatewayHttpClient, name: string): Promise<Histogram> {
  const { body } = await client.get("/metrics");
  const histogram: Histogram = { buckets: new Map(), sum: 0, count: 0 };
  for (const line of body.split("\n")) {
    const match = /^(\w+?)(_bucket|_sum|_count)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const value = Number(match[4]);
    if (match[2] === "_sum") histogram.sum = value;
    else if (match[2] === "_count") histogram.count = value;
    else {
      const le = /le="([^"]+)"/.exec(match[3] ?? "")?.[1];
      if (le !== undefined) histogram.buckets.set(le, value);
    }
  }
  return histogram;
}

/** The mean of the observations between two readings, milliseconds, and the share of them ≤ `le` seconds. */
export function histogramDelta(
  before: Histogram,
  after: Histogram,
  le: string,
): { meanMs: number; shareAtMost: number } {
  const count = after.count - before.count;
  const under = (after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0);
  return {
    meanMs: round(((after.sum - before.sum) / Math.max(1, count)) * 1000, 3),
    shareAtMost: round(under / Math.max(1, count), 4),
  };
}

/** Throws unless the answer's status is one of `expected`. */
export function expectStatus(answer: { status: number; body: string }, expected: readonly number[]): void {
  if (!expected.includes(answer.status)) {
    throw new Error(`POST /v1/contributions answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  }
}

/** How many items of a POST answer are acked. */
export function ackedItems(body: string): number {
  const parsed = JSON.parse(body) as { items: { state?: string }[] };
  let acked = 0;
  for (const item of parsed.items) if (item.state === "acked") acked += 1;
  return acked;
}

/** The usage of the gateway and the simulator, read together. */
async function usageOf(gateway: GatewayProcess, sim: SimProcess): Promise<Usages> {
  const [gatewayUsage, simUsage] = await Promise.all([gateway.usage(), sim.usage()]);
  return { gateway: gatewayUsage, sim: simUsage };
}

/** Figures of a run as result params: requests, items, latencies. */
export function driveParams(run: DriveFigures): Record<string, unknown> {
  return {
    windowMs: round(run.windowMs),
    requests: run.requests,
    items: run.items,
    requestP50Ms: round(percentile(run.latenciesMs, 50), 3),
    requestP99Ms: round(percentile(run.latenciesMs, 99), 3),
    requestMaxMs: round(run.latenciesMs.at(-1) ?? Number.NaN, 3),
    firstTenthP50Ms: round(run.firstTenthP50Ms, 3),
    lastTenthP50Ms: round(run.lastTenthP50Ms, 3),
    ...(run.failures === 0 ? {} : { failures: run.failures, firstError: run.firstError }),
  };
}

/** A `<scenario>_failed_requests` line when any request failed. */
function failures(scenario: string, run: DriveFigures): BenchResult[] {
  if (run.failures === 0) return [];
  return [
    {
      bench: "gateway",
      metric: `${scenario}_failed_requests`,
      value: run.failures,
      unit: "requests",
      params: { firstError: run.firstError },
      goal: { op: "==", value: 0 },
    },
  ];
}

/** Scenarios 1 and 2: one simulator (limit lifted) and one gateway. */
async function liftedScenarios(quick: boolean, dir: string): Promise<BenchResult[]> {
  const { warmupMs, durationMs } = sizes(quick);
  const key = generateApiKey();
  const sim = await startSimProcess();
  try {
    const gateway = await startGatewayProcess(sim, join(dir, "lifted.db"), key.sha256);
    const gatewayStart = { childLoadMs: round(gateway.loadMs), startGatewayMs: round(gateway.startMs) };
    try {
      // 1. Batched, wait=ack.
      const batchedClient = new GatewayHttpClient(gateway.url, key.key, BATCHED_PRODUCERS);
      let batched: Probed<Usages>;
      try {
        await waitReady(batchedClient);
        batched = await closedLoop({
          concurrency: BATCHED_PRODUCERS,
          warmupMs,
          durationMs,
          probe: () => usageOf(gateway, sim),
          send: async (i) => {
            const items = Array.from({ length: BATCH_ITEMS }, (_, k) => workloadItem(i * BATCH_ITEMS + k));
            const answer = await batchedClient.post("/v1/contributions?wait=ack", JSON.stringify(items));
            expectStatus(answer, [200, 202]);
            return ackedItems(answer.body);
          },
        });
      } finally {
        batchedClient.close();
      }
      // The bare client on the same simulator process, the gateway idle beside it.
      const bare = await measureContributorThroughput(sim, true, durationMs);

      // 2. Single items, wait=accepted: at 32 producers (the goal's line), then at fewer, where the latency a
      // closed loop of N producers sees is no longer N / throughput (Little's law) at full load.
      const singles: BenchResult[] = [];
      for (const producers of SINGLE_PRODUCER_COUNTS) {
        const singleClient = new GatewayHttpClient(gateway.url, key.key, producers);
        let single: Probed<{ usage: Usages; accept: Histogram }>;
        try {
          const probe = async () => ({
            usage: await usageOf(gateway, sim),
            accept: await readHistogram(singleClient, "rcc_gateway_accept_seconds"),
          });
          single = await closedLoop({
            concurrency: producers,
            warmupMs,
            durationMs,
            probe,
            send: async (i) => {
              const answer = await singleClient.post("/v1/contributions", JSON.stringify(workloadItem(i)));
              expectStatus(answer, [202]);
              return 1;
            },
          });
        } finally {
          singleClient.close();
        }
        singles.push(...singleResults(single, producers, { durationMs, warmupMs }));
      }
      return [...batchedResults(batched, bare, { durationMs, warmupMs, ...gatewayStart }), ...singles];
    } finally {
      await gateway.close();
    }
  } finally {
    await sim.close();
  }
}

/** The result lines of scenario 1, beside the bare client's run. */
function batchedResults(run: Probed<Usages>, bare: ThroughputRun, sizeParams: Record<string, unknown>): BenchResult[] {
  const itemsPerSecond = run.items / (run.windowMs / 1000);
  const perItem = (before: ProcessUsage, after: ProcessUsage) =>
    round((after.cpuUs - before.cpuUs) / Math.max(1, run.items));
  const params = {
    itemsPerRequest: BATCH_ITEMS,
    producers: BATCHED_PRODUCERS,
    wait: "ack",
    synchronous: "full",
    ...sizeParams,
    ...driveParams(run),
  };
  return [
    {
      bench: "gateway",
      metric: "batched_items_per_second",
      value: round(itemsPerSecond),
      unit: "items/s",
      params,
      goal: { op: ">=", value: 50_000 },
    },
    {
      bench: "gateway",
      metric: "batched_fraction_of_bare_client",
      value: round(itemsPerSecond / bare.postsPerSecond, 3),
      unit: "ratio",
      params: {
        gatewayItemsPerSecond: round(itemsPerSecond),
        bareClientPostsPerSecond: round(bare.postsPerSecond),
        bareDurationMs: bare.durationMs,
        bareMaxInFlight: bare.maxInFlight,
        ...(bare.failed === 0 ? {} : { bareFailed: bare.failed, bareFirstError: bare.firstError }),
      },
    },
    {
      bench: "gateway",
      metric: "batched_gateway_cpu_us_per_item",
      value: perItem(run.before.gateway, run.after.gateway),
      unit: "µs",
      params: {
        simulatorCpuUsPerItem: perItem(run.before.sim, run.after.sim),
        producersCpuUsPerItem: round(run.producerCpuUs / Math.max(1, run.items)),
        bareClientCpuUsPerPost: round(bare.cpuUsPerPost),
        gatewayLoopDelayP99Ms: round(run.after.gateway.loopDelayP99Ms, 3),
        gatewayRssMiB: round(run.after.gateway.rss / 2 ** 20, 3),
        items: run.items,
      },
    },
    ...failures("batched", run),
  ];
}

/** The result lines of scenario 2. */
function singleResults(
  run: Probed<{ usage: Usages; accept: Histogram }>,
  producers: number,
  sizeParams: Record<string, unknown>,
): BenchResult[] {
  // The goal's run keeps the plain metric names; the runs with fewer producers are named by their count.
  const primary = producers === SINGLE_PRODUCERS;
  const suffix = primary ? "" : `_${producers}_producers`;
  const accept = histogramDelta(run.before.accept, run.after.accept, "0.005");
  const gatewayCpuUs = run.after.usage.gateway.cpuUs - run.before.usage.gateway.cpuUs;
  const params = {
    producers,
    wait: "accepted",
    synchronous: "full",
    ...sizeParams,
    ...driveParams(run),
    // The gateway's own accept time, route handler → items durable (checks, waiting for the group commit),
    // without reading and parsing the request and without the wait for the event loop before the handler.
    gatewayAcceptMeanMs: accept.meanMs,
    gatewayAcceptShareUnder5Ms: accept.shareAtMost,
    gatewayCpuUsPerRequest: round(gatewayCpuUs / Math.max(1, run.requests)),
    producersCpuUsPerRequest: round(run.producerCpuUs / Math.max(1, run.requests)),
    gatewayLoopDelayP99Ms: round(run.after.usage.gateway.loopDelayP99Ms, 3),
  };
  return [
    {
      bench: "gateway",
      metric: `single_requests_per_second${suffix}`,
      value: round(run.requests / (run.windowMs / 1000)),
      unit: "req/s",
      params,
      ...(primary ? { goal: { op: ">=" as const, value: 5000 } } : {}),
    },
    {
      bench: "gateway",
      metric: `single_accept_p50_ms${suffix}`,
      value: round(percentile(run.latenciesMs, 50), 3),
      unit: "ms",
      params: { producers, requests: run.requests },
    },
    {
      bench: "gateway",
      metric: `single_accept_p99_ms${suffix}`,
      value: round(percentile(run.latenciesMs, 99), 3),
      unit: "ms",
      params: { producers, requests: run.requests, gatewayAcceptMeanMs: accept.meanMs },
      ...(primary ? { goal: { op: "<=" as const, value: 5 } } : {}),
    },
    ...failures(`single${suffix}`, run),
  ];
}

/** Share of the limit the second, diagnostic run of scenario 3 offers: below what the rate governor can send. */
const RATE_BELOW_LIMIT_SHARE = 0.9;

/** Scenario 3: the simulator limited to 1,000 messages/s, single items paced at 1,000/s with `?wait=ack`. */
async function rateLimitedScenario(quick: boolean, dir: string): Promise<BenchResult[]> {
  const { rateDurationMs, rateBelowDurationMs } = sizes(quick);
  const key = generateApiKey();
  const sim = await startSimProcess({ maxMessagesPerSecond: RATE_LIMIT });
  try {
    const gateway = await startGatewayProcess(sim, join(dir, "rate.db"), key.sha256);
    const client = new GatewayHttpClient(gateway.url, key.key, PACED_SOCKETS);
    try {
      await waitReady(client);
      const paced = async (ratePerSecond: number, durationMs: number) => {
        const toAckBefore = await readHistogram(client, "rcc_gateway_accept_to_ack_seconds");
        const run = await pacedLoop({
          ratePerSecond,
          warmupMs: RATE_WARMUP_MS,
          durationMs,
          send: async (i) => {
            const answer = await client.post("/v1/contributions?wait=ack", JSON.stringify(workloadItem(i)));
            expectStatus(answer, [200]);
            if (ackedItems(answer.body) !== 1) throw new Error(`not acked: ${answer.body.slice(0, 300)}`);
            return 1;
          },
        });
        const toAckAfter = await readHistogram(client, "rcc_gateway_accept_to_ack_seconds");
        const toAck = histogramDelta(toAckBefore, toAckAfter, "0.005");
        const params = {
          limit: RATE_LIMIT,
          offeredPerSecond: ratePerSecond,
          durationMs,
          warmupMs: RATE_WARMUP_MS,
          sockets: PACED_SOCKETS,
          achievedPerSecond: round(run.items / (run.windowMs / 1000)),
          ...driveParams(run),
          // The gateway's own accept → Ack of every item (warm-up included), without HTTP.
          gatewayAcceptToAckMeanMs: toAck.meanMs,
          gatewayAcceptToAckShareUnder5Ms: toAck.shareAtMost,
        };
        return { run, params };
      };
      const atLimit = await paced(RATE_LIMIT, rateDurationMs);
      // Read before the diagnostic run: the verdict is on the run at the limit.
      const state = await sim.state();
      const below = await paced(RATE_LIMIT * RATE_BELOW_LIMIT_SHARE, rateBelowDurationMs);
      const naks = Object.values(state.counters.naks as Record<string, number>).reduce((sum, count) => sum + count, 0);
      const p = (run: DriveFigures, rank: number) => round(percentile(run.latenciesMs, rank), 3);
      return [
        {
          bench: "gateway",
          metric: "rate_limited_accept_to_ack_p50_ms",
          value: p(atLimit.run, 50),
          unit: "ms",
          params: atLimit.params,
        },
        {
          bench: "gateway",
          metric: "rate_limited_accept_to_ack_p99_ms",
          value: p(atLimit.run, 99),
          unit: "ms",
          params: atLimit.params,
          goal: { op: "<=", value: 5 },
        },
        {
          bench: "gateway",
          metric: "rate_limited_windows_over",
          // The simulator counts the messages that arrived while its sliding one-second window was full.
          value: state.messagesOverLimit as number,
          unit: "msgs",
          params: { limit: RATE_LIMIT, maxMessagesInWindow: state.maxMessagesInWindow as number, naks },
          goal: { op: "==", value: 0 },
        },
        {
          // Diagnostic: the same load at 90 % of the limit, where no backlog builds behind the rate governor.
          bench: "gateway",
          metric: "rate_limited_below_limit_accept_to_ack_p99_ms",
          value: p(below.run, 99),
          unit: "ms",
          params: { ...below.params, p50Ms: p(below.run, 50) },
        },
        ...failures("rate_limited", atLimit.run),
        ...failures("rate_limited_below_limit", below.run),
      ];
    } finally {
      client.close();
      await gateway.close();
    }
  } finally {
    await sim.close();
  }
}

/** The id of item `i` of the restart scenario's outbox (ordered, as the gateway's own ids are). */
function restartId(i: number): string {
  return `restart-${String(i).padStart(7, "0")}`;
}

/** Fills a new outbox file with `count` accepted items of {@link ACCOUNT}. */
async function fillOutbox(path: string, count: number): Promise<void> {
  // "normal": the fill is not measured, and closing checkpoints the file anyway.
  const outbox = await openSqliteOutbox(path, { synchronous: "normal" });
  try {
    const atMs = Date.now();
    const chunk = 1000;
    for (let first = 0; first < count; first += chunk) {
      const items: NewItem[] = [];
      for (let i = first; i < Math.min(count, first + chunk); i++) {
        items.push({ id: restartId(i), account: ACCOUNT, ...workloadItem(i) });
      }
      const stored = await outbox.accept(items, atMs);
      if (stored.some((result) => result.kind !== "stored")) throw new Error("the restart outbox was not empty");
    }
  } finally {
    await outbox.close();
  }
}

/** Polls `condition` every `everyMs` until it holds; the time it did (`performance.now()`). */
async function pollUntil(condition: () => Promise<boolean>, everyMs: number, timeoutMs: number, what: string) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Scenario 4: a gateway started on an outbox of pending items, limit lifted. */
async function restartScenario(quick: boolean, dir: string): Promise<BenchResult[]> {
  const { restartItems } = sizes(quick);
  const key = generateApiKey();
  const outboxPath = join(dir, "restart.db");
  const fillStarted = performance.now();
  await fillOutbox(outboxPath, restartItems);
  const fillMs = performance.now() - fillStarted;
  const sim = await startSimProcess();
  const spawnedAt = performance.now();
  let readyLineAt = Number.NaN;
  // Not awaited yet: the simulator is watched for the first Ack while the gateway starts.
  const starting = startGatewayProcess(sim, outboxPath, key.sha256).then((started) => {
    readyLineAt = performance.now();
    return started;
  });
  let startError: Error | undefined;
  starting.catch((error: unknown) => {
    startError = error instanceof Error ? error : new Error(String(error));
  });
  try {
    const acks = async (): Promise<number> => {
      if (startError !== undefined) throw startError;
      return (await sim.state()).counters.acks as number;
    };
    const firstAckAt = await pollUntil(async () => (await acks()) >= 1, 2, 60_000, "the first Ack after the restart");
    const started = await starting;
    await pollUntil(async () => (await acks()) >= restartItems, 10, 120_000, `${restartItems} Acks`);
    const client = new GatewayHttpClient(started.url, key.key, 1);
    let allAckedAt: number;
    try {
      const last = `/v1/contributions/${restartId(restartItems - 1)}`;
      allAckedAt = await pollUntil(
        async () => (JSON.parse((await client.get(last)).body) as { state?: string }).state === "acked",
        5,
        30_000,
        "the last item to be acked",
      );
    } finally {
      client.close();
    }
    const simAcks = await acks();
    const params = {
      items: restartItems,
      ...(quick ? { note: "quick: 20,000 items instead of 100,000" } : {}),
      fillMs: round(fillMs),
      spawnToReadyLineMs: round(readyLineAt - spawnedAt),
      childLoadMs: round(started.loadMs),
      startGatewayMs: round(started.startMs),
      synchronous: "full",
    };
    return [
      {
        bench: "gateway",
        metric: "restart_recovery_ms",
        value: round(firstAckAt - spawnedAt),
        unit: "ms",
        params,
      },
      {
        bench: "gateway",
        metric: "restart_drain_items_per_second",
        value: round(restartItems / ((allAckedAt - firstAckAt) / 1000)),
        unit: "items/s",
        params: {
          ...params,
          firstAckToAllAckedMs: round(allAckedAt - firstAckAt),
          spawnToAllAckedMs: round(allAckedAt - spawnedAt),
          simulatorAcks: simAcks,
        },
      },
    ];
  } finally {
    await starting.then(
      (started) => started.close(),
      () => undefined,
    );
    await sim.close();
  }
}

/** The gateway benchmark: the four scenarios in turn, each with its own simulator and gateway processes. */
export const gateway: Bench = async ({ quick }) => {
  await mkdir(join(ROOT, ".tmp-bench"), { recursive: true });
  const dir = await mkdtemp(join(ROOT, ".tmp-bench", "gateway-"));
  try {
    return [
      ...(await liftedScenarios(quick, dir)),
      ...(await rateLimitedScenario(quick, dir)),
      ...(await restartScenario(quick, dir)),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
