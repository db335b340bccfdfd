/**
 * cluster (docs/cluster.md): the gateway's cluster mode on NATS JetStream end to end. Every gateway runs in its
 * own process (bench/gateway-process.ts with `nats`), against one nats-server (bench/nats-server.ts, JetStream,
 * its store under `.tmp-bench/`) and the simulator in its own process; producers are in the bench process on
 * keep-alive HTTP (bench/gateway-producers.ts). Three scenarios, each with its own nats-server and simulator:
 *
 * 1. failover: three gateways, one account, a 5 s lease; producers post single items (`wait=accepted`) at
 *    200 items/s in total to the two gateways that do not lead; the leader is killed with SIGKILL, 10 times
 *    (3 quick), a random 0–⅓ lease time after a settling second so the kill falls anywhere in the renewal round;
 *    after each kill a replacement gateway starts, so three are alive again. Measured per kill: kill → the first
 *    Ack the simulator gives on a connection that did not exist at the kill (the new leader's), polled every
 *    10 ms; beside it kill → the new leader's term, and kill → its Login. At the end every accepted item's
 *    outcome is read from the outcome feed (`GET /v1/outcomes`): items without a final one are reported, and
 *    those whose final state is not `acked` (superseded re-sends) are counted by state.
 * 2. throughput: the limit lifted; one cluster gateway (the account's leader) and then the single-node gateway
 *    (SQLite outbox, `synchronous=full`) on the same simulator. Batched: 8 producers POST 100 items with
 *    `?wait=ack`, items acked per second (accepted → acked through NATS); then 32 producers POST one item each
 *    with `wait=accepted`, requests per second and the accept latency (request → 202) the producer sees.
 * 3. aggregate: three simulator accounts at 1,000 msg/s each (the simulator's limit is per connection, i.e. per
 *    account's session here), two gateways sharing the three leases (2 + 1); the producers offer 1,100 items/s
 *    per account, one `wait=accepted` request per account every 50 ms, alternating between the gateways; the
 *    acks per account over the window, and what the simulator counted over its limit on any connection.
 *    (Not `?wait=ack` producers: through a gateway that does not lead the account, such a request can miss its
 *    items' outcomes and wait out its whole timeout — docs/performance.md, "Cluster mode".)
 */
import http from "node:http";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { generateApiKey } from "../src/gateway/index.js";
import { ROOT, type SimProcess, startSimProcess } from "./children.js";
import {
  type GatewayProcess,
  type GatewayProcessOptions,
  type ProcessUsage,
  ackedItems,
  driveParams,
  expectStatus,
  histogramDelta,
  readHistogram,
  spawnGatewayProcess,
  waitReady,
} from "./gateway.js";
import { type DriveFigures, GatewayHttpClient, closedLoop, sleep, workloadItem } from "./gateway-producers.js";
import { type NatsProcess, startNatsProcess } from "./nats-server.js";
import { type Bench, type BenchResult, percentile, round } from "./result.js";
import { tutorialFields } from "./workload.js";

const BENCH = "cluster";
const ACCOUNT = "bench";
/** The lease time of every scenario, milliseconds (the cluster's default). */
const LEASE_TTL_MS = 5_000;
/** The lease keeper's round: a third of the lease time (lease-keeper.ts). */
const RENEW_EVERY_MS = LEASE_TTL_MS / 3;
/** Failover goal: the lease time plus 2 s. */
const FAILOVER_GOAL_MS = LEASE_TTL_MS + 2_000;
const FAILOVER_GATEWAYS = 3;
/** Items per second the failover scenario's producers offer, in total. */
const FAILOVER_RATE = 200;
/** How often the simulator is polled for the new leader's first Ack, milliseconds. */
const FAILOVER_POLL_MS = 10;
/** Items per request of the batched throughput run, and its producers (as bench/gateway.ts). */
const BATCH_ITEMS = 100;
const BATCHED_PRODUCERS = 8;
const SINGLE_PRODUCERS = 32;
const THROUGHPUT_GOAL = 30_000;
/** The aggregate scenario: accounts, the limit of each, gateways. */
const AGGREGATE_ACCOUNTS = 3;
const AGGREGATE_LIMIT = 1_000;
const AGGREGATE_GATEWAYS = 2;
/** Items per second offered per account (above its limit), sent as one request per account every tick. */
const AGGREGATE_OFFERED_PER_ACCOUNT = 1_100;
const AGGREGATE_TICK_MS = 50;

/** Scenario sizes. */
function sizes(quick: boolean) {
  return quick
    ? { kills: 3, warmupMs: 500, durationMs: 2_000, aggregateWarmupMs: 1_500, aggregateDurationMs: 5_000 }
    : { kills: 10, warmupMs: 1_000, durationMs: 6_000, aggregateWarmupMs: 2_000, aggregateDurationMs: 20_000 };
}

/** One gateway of a cluster, with its producers' connection pool. */
interface Member {
  id: string;
  process: GatewayProcess;
  client: GatewayHttpClient;
  /** Set once it was killed. */
  killed: boolean;
}

/** How `GET /readyz` describes a cluster gateway. */
interface Readiness {
  status: number;
  /** The accounts it leads now (its term runs). */
  leads: string[];
  /** Seconds since its term of each account it leads began. */
  leaseAgeSeconds: Map<string, number>;
  /** Deliveries of an item to this gateway that were not its first, by account. */
  redeliveries: Map<string, number>;
}

interface ReadyzBody {
  cluster?: {
    accounts: {
      account: string;
      leader: boolean;
      leaseAgeSeconds: number;
      redeliveries: number;
    }[];
  };
}

async function readiness(member: Member): Promise<Readiness> {
  const answer = await member.client.get("/readyz");
  const body = JSON.parse(answer.body) as ReadyzBody;
  const accounts = body.cluster?.accounts ?? [];
  return {
    status: answer.status,
    leads: accounts.filter((account) => account.leader).map((account) => account.account),
    leaseAgeSeconds: new Map(accounts.map((account) => [account.account, account.leaseAgeSeconds])),
    redeliveries: new Map(accounts.map((account) => [account.account, account.redeliveries])),
  };
}

/** Everything the gateways of one scenario share. */
interface ClusterSetup {
  dir: string;
  nats: NatsProcess;
  sim: SimProcess;
  key: { key: string; sha256: string };
  accounts?: GatewayProcessOptions["accounts"];
}

/** Starts one cluster gateway process with id `id`; resolves once it listens. */
async function startMember(setup: ClusterSetup, id: string, sockets: number): Promise<Member> {
  const gateway = await spawnGatewayProcess(
    {
      account: ACCOUNT,
      wsUrls: setup.sim.wsUrls,
      credentials: setup.sim.credentials,
      apiKeySha256: setup.key.sha256,
      nats: { servers: [setup.nats.url], gatewayId: id, leaseTtlMs: LEASE_TTL_MS },
      // Lease and term changes are logged at info: the last of them go into the results when a session moved.
      logLevel: "info",
      ...(setup.accounts === undefined ? {} : { accounts: setup.accounts }),
    },
    // The local view lives in a temporary directory, which a killed gateway leaves behind: under ours.
    { TMPDIR: setup.dir },
  );
  return { id, process: gateway, client: new GatewayHttpClient(gateway.url, setup.key.key, sockets), killed: false };
}

/** Closes every gateway still alive (gracefully: Login Close, leases released). */
async function closeMembers(members: readonly Member[]): Promise<void> {
  await Promise.all(
    members.map(async (member) => {
      member.client.close();
      if (!member.killed) await member.process.close();
    }),
  );
}

/** Polls `condition` every `everyMs` until it returns a value; that value. */
async function pollFor<T>(
  condition: () => Promise<T | undefined>,
  everyMs: number,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The member that leads `account` with its session logged in (`/readyz` 200), waiting for one. */
function waitForLeader(members: readonly Member[], account: string, timeoutMs: number): Promise<Member> {
  return pollFor(
    async () => {
      for (const member of members) {
        if (member.killed) continue;
        const seen = await readiness(member);
        if (seen.status === 200 && seen.leads.includes(account)) return member;
      }
      return undefined;
    },
    20,
    timeoutMs,
    `a ready leader of ${account}`,
  );
}

/** A connection as `GET /admin/state` lists it. */
interface SimConnection {
  id: string;
  state: string;
  user?: string;
  loggedInAtMs?: number;
  acks: number;
  maxMessagesInWindow: number;
  messagesOverLimit: number;
}

/** Producers posting single items at a steady rate to whichever gateways `targets` names at each send. */
class SteadyProducers {
  accepted: string[] = [];
  failures = 0;
  firstError: string | undefined;
  /** Failed requests by the gateway they went to, with the time of the first (ms since the start). */
  readonly failuresByGateway: Record<string, { count: number; firstAtMs: number }> = {};
  #startedAt = 0;
  readonly latenciesMs: number[] = [];
  readonly #ratePerSecond: number;
  readonly #targets: () => Member[];
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #issued = 0;

  constructor(ratePerSecond: number, targets: () => Member[]) {
    this.#ratePerSecond = ratePerSecond;
    this.#targets = targets;
  }

  start(): void {
    const startedAt = performance.now();
    this.#startedAt = startedAt;
    const tick = (): void => {
      const due = Math.floor(((performance.now() - startedAt) * this.#ratePerSecond) / 1000);
      while (this.#issued < due) this.#send(this.#issued++);
      this.#timer = setTimeout(tick, 5);
    };
    tick();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await Promise.all(this.#inFlight);
  }

  #send(i: number): void {
    const targets = this.#targets();
    const target = targets[i % Math.max(1, targets.length)];
    if (target === undefined) {
      this.#fail(new Error("no gateway to post to"));
      return;
    }
    const sentAt = performance.now();
    const request = target.client.post("/v1/contributions", JSON.stringify(workloadItem(i))).then((answer) => {
      expectStatus(answer, [202]);
      const id = (JSON.parse(answer.body) as { items: { id?: string }[] }).items[0]?.id;
      if (id === undefined) throw new Error(`no id in the answer: ${answer.body.slice(0, 300)}`);
      this.accepted.push(id);
      this.latenciesMs.push(performance.now() - sentAt);
    });
    const settled = request.catch((error: unknown) => {
      this.#fail(error);
      const entry = (this.failuresByGateway[target.id] ??= {
        count: 0,
        firstAtMs: round(performance.now() - this.#startedAt),
      });
      entry.count += 1;
    });
    this.#inFlight.add(settled);
    void settled.finally(() => this.#inFlight.delete(settled));
  }

  #fail(error: unknown): void {
    this.failures += 1;
    this.firstError ??= error instanceof Error ? error.message : String(error);
  }
}

/**
 * Reads the outcome feed of `member` from the start until every id of `ids` has an outcome, or `timeoutMs`
 * passed; the final state of each id seen (the feed's last word for it).
 */
function readOutcomes(
  member: Member,
  apiKey: string,
  ids: ReadonlySet<string>,
  timeoutMs: number,
): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  const url = new URL("/v1/outcomes?after=0", member.process.url);
  return new Promise((resolve, reject) => {
    let missing = ids.size;
    let buffer = "";
    const request = http.get(url, { headers: { authorization: `Bearer ${apiKey}` } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`GET /v1/outcomes answered ${response.statusCode}`));
        return;
      }
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          const data = event.split("\n").find((line) => line.startsWith("data: "));
          if (data === undefined) continue;
          const item = JSON.parse(data.slice("data: ".length)) as { id: string; state: string };
          if (ids.has(item.id) && !states.has(item.id)) missing -= 1;
          states.set(item.id, item.state);
        }
        if (missing === 0) finish();
      });
      response.on("error", () => finish());
    });
    request.on("error", reject);
    const timer = setTimeout(() => finish(), timeoutMs);
    function finish(): void {
      clearTimeout(timer);
      request.destroy();
      resolve(states);
    }
  });
}

/** Scenario 1: kill -9 of the leader, over and over, with producers posting to the other gateways. */
async function failoverScenario(quick: boolean, dir: string): Promise<BenchResult[]> {
  const { kills } = sizes(quick);
  const nats = await startNatsProcess(dir);
  try {
    // Limit lifted: what is measured is the takeover, not the drain of the backlog behind it.
    const sim = await startSimProcess();
    try {
      const setup: ClusterSetup = { dir, nats, sim, key: generateApiKey() };
      const members: Member[] = [];
      let started = 0;
      const addMember = async (): Promise<Member> => {
        started += 1;
        const member = await startMember(setup, `gw-${started}`, 16);
        members.push(member);
        return member;
      };
      try {
        // One after the other: the first one leads, the others join as followers.
        for (let n = 0; n < FAILOVER_GATEWAYS; n++) await addMember();
        let leader = await waitForLeader(members, ACCOUNT, 30_000);
        const producers = new SteadyProducers(FAILOVER_RATE, () =>
          members.filter((member) => !member.killed && member !== leader),
        );
        const acksAtStart = (await sim.state()).counters.acks as number;
        producers.start();
        const producersStartedAt = performance.now();
        const rounds: Round[] = [];
        try {
          for (let kill = 0; kill < kills; kill++) {
            // The leader's session posting, then a random point of its renewal round.
            await pollFor(
              async () => {
                const before = (await sim.state()).counters.acks as number;
                await sleep(200);
                return ((await sim.state()).counters.acks as number) > before ? true : undefined;
              },
              0,
              20_000,
              "the leader to post",
            );
            await sleep(1_000 + Math.random() * RENEW_EVERY_MS);
            const known = new Set(((await sim.state()).connections as SimConnection[]).map((c) => c.id));
            const killedId = leader.id;
            const killedWallMs = Date.now();
            const killedAt = performance.now();
            leader.killed = true;
            await leader.process.kill();
            leader.client.close();
            const fresh = await pollFor(
              async () => {
                const connections = (await sim.state()).connections as SimConnection[];
                return connections.find((connection) => !known.has(connection.id) && connection.acks > 0);
              },
              FAILOVER_POLL_MS,
              LEASE_TTL_MS * 6,
              "the first Ack from a new leader",
            );
            const firstAckAt = performance.now();
            leader = await waitForLeader(members, ACCOUNT, 10_000);
            const seen = await readiness(leader);
            const termStartedWallMs = Date.now() - (seen.leaseAgeSeconds.get(ACCOUNT) ?? 0) * 1000;
            const replacementStartedAt = performance.now();
            await addMember();
            rounds.push({
              killedGateway: killedId,
              killedAtMs: round(killedAt - producersStartedAt),
              firstAckMs: firstAckAt - killedAt,
              termMs: termStartedWallMs - killedWallMs,
              loginMs: (fresh.loggedInAtMs ?? Number.NaN) - killedWallMs,
              replacementMs: performance.now() - replacementStartedAt,
            });
          }
        } finally {
          await producers.stop();
        }
        // Every accepted item reaches an outcome: read them from the feed of a gateway alive now.
        const accepted = new Set(producers.accepted);
        const outcomes = await readOutcomes(leader, setup.key.key, accepted, 30_000);
        const notAcked: Record<string, number> = {};
        for (const id of accepted) {
          const state = outcomes.get(id) ?? "none";
          if (state !== "acked") notAcked[state] = (notAcked[state] ?? 0) + 1;
        }
        const state = await sim.state();
        const last = await readiness(leader);
        return failoverResults(rounds, {
          kills,
          leaseTtlMs: LEASE_TTL_MS,
          gateways: FAILOVER_GATEWAYS,
          producerItemsPerSecond: FAILOVER_RATE,
          pollMs: FAILOVER_POLL_MS,
          acceptedItems: accepted.size,
          acceptP99Ms: round(percentile(sortedCopy(producers.latenciesMs), 99), 3),
          simulatorAcks: (state.counters.acks as number) - acksAtStart,
          redeliveriesToLastLeader: last.redeliveries.get(ACCOUNT) ?? 0,
          maxConcurrentLogins: (state.loginsByUser as Record<string, { max: number }>)[sim.credentials.user]?.max,
          ...(producers.failures === 0
            ? {}
            : {
                failedRequests: producers.failures,
                firstError: producers.firstError,
                failuresByGateway: producers.failuresByGateway,
                killTimes: rounds.map((r) => ({ gateway: r.killedGateway, atMs: r.killedAtMs })),
              }),
          // Gateways that died without being killed (none expected).
          diedOnTheirOwn: members.filter((member) => !member.killed && !member.process.alive()).map((m) => m.id),
          notAcked,
        });
      } finally {
        await closeMembers(members);
      }
    } finally {
      await sim.close();
    }
  } finally {
    await nats.stop();
  }
}

/** `values` sorted, as a new array. */
function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** One kill of the failover scenario. */
interface Round {
  killedGateway: string;
  /** When, counted from the producers' start, milliseconds. */
  killedAtMs: number;
  firstAckMs: number;
  termMs: number;
  loginMs: number;
  replacementMs: number;
}

function failoverResults(
  rounds: readonly Round[],
  context: Record<string, unknown> & { notAcked: Record<string, number> },
): BenchResult[] {
  const sorted = (pick: (r: Round) => number) => sortedCopy(rounds.map(pick));
  const firstAck = sorted((r) => r.firstAckMs);
  const login = sorted((r) => r.loginMs);
  const term = sorted((r) => r.termMs);
  const params = {
    ...context,
    firstAckMs: rounds.map((r) => round(r.firstAckMs)),
    killToTermMs: rounds.map((r) => round(r.termMs)),
    killToLoginMs: rounds.map((r) => round(r.loginMs)),
    replacementStartMs: rounds.map((r) => round(r.replacementMs)),
  };
  // Superseded is a final outcome too (a re-sent item whose RIC has a newer acknowledged value, docs/gateway.md).
  const withoutOutcome = context.notAcked.none ?? 0;
  return [
    {
      bench: BENCH,
      metric: "failover_kill_to_first_ack_p50_ms",
      value: round(percentile(firstAck, 50)),
      unit: "ms",
      params,
    },
    {
      bench: BENCH,
      metric: "failover_kill_to_first_ack_p99_ms",
      value: round(percentile(firstAck, 99)),
      unit: "ms",
      params: { kills: rounds.length, leaseTtlMs: LEASE_TTL_MS, firstAckMs: params.firstAckMs },
      goal: { op: "<=", value: FAILOVER_GOAL_MS },
    },
    {
      bench: BENCH,
      metric: "failover_kill_to_login_p50_ms",
      value: round(percentile(login, 50)),
      unit: "ms",
      params: { killToTermP50Ms: round(percentile(term, 50)), killToLoginMs: params.killToLoginMs },
    },
    {
      bench: BENCH,
      metric: "failover_items_without_outcome",
      value: withoutOutcome,
      unit: "items",
      params: { acceptedItems: context.acceptedItems, notAckedByState: context.notAcked },
    },
  ];
}

/** Usage of the gateway, the simulator and nats-server (absent for the single-node gateway), read together. */
interface Usages {
  gateway: ProcessUsage;
  sim: ProcessUsage;
  natsCpuUs: number | undefined;
}

async function usages(gateway: GatewayProcess, sim: SimProcess, nats: NatsProcess | undefined): Promise<Usages> {
  const [gatewayUsage, simUsage, natsCpuUs] = await Promise.all([gateway.usage(), sim.usage(), nats?.cpuUs()]);
  return { gateway: gatewayUsage, sim: simUsage, natsCpuUs };
}

/** What scenario 2 measured of one gateway. */
interface GatewayFigures {
  batched: DriveFigures & { before: Usages; after: Usages };
  single: DriveFigures & { before: Usages; after: Usages };
  acceptMeanMs: number;
}

/** Scenario 2's two runs against one gateway (already ready). */
async function driveGateway(
  gateway: GatewayProcess,
  apiKey: string,
  sim: SimProcess,
  nats: NatsProcess | undefined,
  quick: boolean,
): Promise<GatewayFigures> {
  const { warmupMs, durationMs } = sizes(quick);
  const probe = () => usages(gateway, sim, nats);
  const batchedClient = new GatewayHttpClient(gateway.url, apiKey, BATCHED_PRODUCERS);
  let batched: GatewayFigures["batched"];
  try {
    batched = await closedLoop({
      concurrency: BATCHED_PRODUCERS,
      warmupMs,
      durationMs,
      probe,
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
  const singleClient = new GatewayHttpClient(gateway.url, apiKey, SINGLE_PRODUCERS);
  try {
    const before = await readHistogram(singleClient, "rcc_gateway_accept_seconds");
    const single = await closedLoop({
      concurrency: SINGLE_PRODUCERS,
      warmupMs,
      durationMs,
      probe,
      send: async (i) => {
        const answer = await singleClient.post("/v1/contributions", JSON.stringify(workloadItem(i)));
        expectStatus(answer, [202]);
        return 1;
      },
    });
    const after = await readHistogram(singleClient, "rcc_gateway_accept_seconds");
    return { batched, single, acceptMeanMs: histogramDelta(before, after, "0.005").meanMs };
  } finally {
    singleClient.close();
  }
}

/** CPU µs per item of each process over a run. */
function cpuPerItem(run: DriveFigures & { before: Usages; after: Usages }): Record<string, number> {
  const per = (before: number, after: number) => round((after - before) / Math.max(1, run.items));
  const { before, after } = run;
  return {
    gatewayCpuUsPerItem: per(before.gateway.cpuUs, after.gateway.cpuUs),
    simulatorCpuUsPerItem: per(before.sim.cpuUs, after.sim.cpuUs),
    ...(before.natsCpuUs === undefined || after.natsCpuUs === undefined
      ? {}
      : { natsServerCpuUsPerItem: per(before.natsCpuUs, after.natsCpuUs) }),
    producersCpuUsPerItem: round(run.producerCpuUs / Math.max(1, run.items)),
  };
}

/** Scenario 2: one cluster gateway, then the single-node gateway, on one simulator with the limit lifted. */
async function throughputScenario(quick: boolean, dir: string): Promise<BenchResult[]> {
  const { warmupMs, durationMs } = sizes(quick);
  const key = generateApiKey();
  const sim = await startSimProcess({ maxMessagesPerSecond: 1_000_000 });
  try {
    let cluster: GatewayFigures;
    const nats = await startNatsProcess(dir);
    try {
      const member = await startMember({ dir, nats, sim, key }, "gw-throughput", 1);
      try {
        await waitForLeader([member], ACCOUNT, 30_000);
        cluster = await driveGateway(member.process, key.key, sim, nats, quick);
      } finally {
        await closeMembers([member]);
      }
    } finally {
      await nats.stop();
    }
    const single = await spawnGatewayProcess({
      account: ACCOUNT,
      outboxPath: join(dir, "single-node.db"),
      wsUrls: sim.wsUrls,
      credentials: sim.credentials,
      apiKeySha256: key.sha256,
    });
    let singleNode: GatewayFigures;
    try {
      const client = new GatewayHttpClient(single.url, key.key, 1);
      try {
        await waitReady(client);
      } finally {
        client.close();
      }
      singleNode = await driveGateway(single, key.key, sim, undefined, quick);
    } finally {
      await single.close();
    }
    return throughputResults(cluster, singleNode, { warmupMs, durationMs });
  } finally {
    await sim.close();
  }
}

function throughputResults(
  cluster: GatewayFigures,
  singleNode: GatewayFigures,
  sizeParams: Record<string, unknown>,
): BenchResult[] {
  const perSecond = (run: DriveFigures) => run.items / (run.windowMs / 1000);
  const clusterRate = perSecond(cluster.batched);
  const singleNodeRate = perSecond(singleNode.batched);
  const p = (run: DriveFigures, rank: number) => round(percentile(run.latenciesMs, rank), 3);
  const batchedParams = {
    itemsPerRequest: BATCH_ITEMS,
    producers: BATCHED_PRODUCERS,
    wait: "ack",
    replicas: 1,
    ...sizeParams,
    ...driveParams(cluster.batched),
    ...cpuPerItem(cluster.batched),
  };
  const singleParams = (figures: GatewayFigures) => ({
    producers: SINGLE_PRODUCERS,
    wait: "accepted",
    requests: figures.single.requests,
    requestsPerSecond: round(perSecond(figures.single)),
    // The gateway's own accept time (route handler → items durable: in cluster mode every PubAck in).
    gatewayAcceptMeanMs: figures.acceptMeanMs,
    ...cpuPerItem(figures.single),
  });
  return [
    {
      bench: BENCH,
      metric: "throughput_batched_items_per_second",
      value: round(clusterRate),
      unit: "items/s",
      params: batchedParams,
      goal: { op: ">=", value: THROUGHPUT_GOAL },
    },
    {
      bench: BENCH,
      metric: "throughput_fraction_of_single_node",
      value: round(clusterRate / singleNodeRate, 3),
      unit: "ratio",
      params: {
        clusterItemsPerSecond: round(clusterRate),
        singleNodeItemsPerSecond: round(singleNodeRate),
        singleNodeSynchronous: "full",
        singleNode: { ...driveParams(singleNode.batched), ...cpuPerItem(singleNode.batched) },
      },
    },
    {
      bench: BENCH,
      metric: "throughput_single_requests_per_second",
      value: round(perSecond(cluster.single)),
      unit: "req/s",
      params: { ...singleParams(cluster), singleNodeRequestsPerSecond: round(perSecond(singleNode.single)) },
    },
    {
      bench: BENCH,
      metric: "throughput_accept_p50_ms",
      value: p(cluster.single, 50),
      unit: "ms",
      params: { producers: SINGLE_PRODUCERS, singleNodeP50Ms: p(singleNode.single, 50) },
    },
    {
      bench: BENCH,
      metric: "throughput_accept_p99_ms",
      value: p(cluster.single, 99),
      unit: "ms",
      params: {
        singleNodeP99Ms: p(singleNode.single, 99),
        ...singleParams(cluster),
        singleNode: singleParams(singleNode),
      },
    },
    ...failedRequests("throughput_batched", cluster.batched),
    ...failedRequests("throughput_single", cluster.single),
    ...failedRequests("throughput_single_node_batched", singleNode.batched),
    ...failedRequests("throughput_single_node_single", singleNode.single),
  ];
}

/** A `<scenario>_failed_requests` line when any request failed (as bench/gateway.ts). */
function failedRequests(scenario: string, run: DriveFigures): BenchResult[] {
  if (run.failures === 0) return [];
  return [
    {
      bench: BENCH,
      metric: `${scenario}_failed_requests`,
      value: run.failures,
      unit: "requests",
      params: { firstError: run.firstError },
      goal: { op: "==", value: 0 },
    },
  ];
}

/** The aggregate scenario's accounts: name, RIC prefix and simulator credentials (local, not secrets). */
function aggregateAccounts(authUrl: string) {
  return Array.from({ length: AGGREGATE_ACCOUNTS }, (_, k) => {
    const user = `GE-A-0000000${k + 2}-1-0001`;
    return {
      name: `account-${k + 1}`,
      ricPrefix: `TRCCTEST${String.fromCharCode(65 + k)}`,
      credentials: { authUrl, user, password: `bench-password-${k + 1}`, clientId: user },
    };
  });
}

/**
 * Acks per RIC prefix (each account has its own), from the simulator's RIC table: every accepted post counts
 * as an update of its RIC, whichever connection it came on, closed ones included.
 */
function updatesByPrefix(rics: Record<string, { updates: number }>, prefixes: readonly string[]): number[] {
  return prefixes.map((prefix) =>
    Object.entries(rics)
      .filter(([ric]) => ric.startsWith(prefix))
      .reduce((sum, [, record]) => sum + record.updates, 0),
  );
}

/** CPU time so far of each gateway, then the simulator, then nats-server, microseconds. */
async function cpuTimes(members: readonly Member[], sim: SimProcess, nats: NatsProcess): Promise<number[]> {
  const gateways = await Promise.all(members.map(async (member) => (await member.process.usage()).cpuUs));
  return [...gateways, (await sim.usage()).cpuUs, await nats.cpuUs()];
}

/** The messages of a gateway's log (JSON lines, warnings and errors), the last `count` of them. */
function logMessages(gateway: GatewayProcess, count: number): string[] {
  return gateway
    .stderr()
    .split("\n")
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; account?: string; why?: string; time?: number };
        if (entry.msg === undefined) return [];
        const at = entry.time === undefined ? "" : `${new Date(entry.time).toISOString().slice(11, 23)} `;
        return [`${at}${entry.account ?? ""} ${entry.msg}${entry.why === undefined ? "" : ` (${entry.why})`}`];
      } catch {
        return [];
      }
    })
    .slice(-count);
}

/** Scenario 3: three accounts at 1,000 msg/s each over two gateways. */
async function aggregateScenario(quick: boolean, dir: string): Promise<BenchResult[]> {
  const { aggregateWarmupMs, aggregateDurationMs } = sizes(quick);
  const nats = await startNatsProcess(dir);
  try {
    const simAccounts = aggregateAccounts("").map((account) => ({
      user: account.credentials.user,
      password: account.credentials.password,
    }));
    // The simulator's limit is per connection: one session per account, so per account here.
    const sim = await startSimProcess({ accounts: simAccounts, maxMessagesPerSecond: AGGREGATE_LIMIT });
    try {
      const accounts = aggregateAccounts(sim.authUrl);
      const setup: ClusterSetup = {
        dir,
        nats,
        sim,
        key: generateApiKey(),
        accounts: accounts.map((account) => ({
          name: account.name,
          rics: [`${account.ricPrefix}*`],
          credentials: account.credentials,
        })),
      };
      const sockets = 2 * AGGREGATE_ACCOUNTS;
      const members: Member[] = [];
      try {
        for (let n = 1; n <= AGGREGATE_GATEWAYS; n++) members.push(await startMember(setup, `gw-${n}`, sockets));
        // The first gateway took every lease; the second takes its share once the first gives one up (2 + 1).
        // Settled means: the same spread for two lease rounds in a row.
        const spreadAt = performance.now();
        let candidate: { spread: string; since: number } | undefined;
        const spread = await pollFor(
          async () => {
            const seen = await Promise.all(members.map((member) => readiness(member)));
            const leads = seen.map((readyz) => readyz.leads.length);
            const total = leads.reduce((sum, count) => sum + count, 0);
            const ready = seen.every((readyz) => readyz.status === 200);
            const loggedIn = ((await sim.state()).connections as SimConnection[]).filter((c) => c.user !== undefined);
            if (!ready || total !== AGGREGATE_ACCOUNTS || leads.some((count) => count < 1) || loggedIn.length !== 3) {
              candidate = undefined;
              return undefined;
            }
            const now = JSON.stringify(seen.map((readyz) => readyz.leads));
            if (candidate?.spread !== now) candidate = { spread: now, since: performance.now() };
            return performance.now() - candidate.since >= 2 * RENEW_EVERY_MS ? leads : undefined;
          },
          50,
          60_000,
          "the three leases spread over the two gateways, every session logged in, for two lease rounds",
        );
        const spreadMs = performance.now() - spreadAt;
        // Offered above the limits, so that every account's session always has items waiting (a backlog that
        // grows by a tenth of the limit a second), with `wait=accepted`: the producers never wait on the sending.
        let stopping = false;
        let failures = 0;
        let firstError: string | undefined;
        let acceptedItems = 0;
        const sent = accounts.map(() => 0);
        const inFlight = new Set<Promise<void>>();
        let timer: NodeJS.Timeout | undefined;
        const pacedFrom = performance.now();
        const pace = (tick: number): void => {
          if (stopping) return;
          const due = Math.floor(((performance.now() - pacedFrom) * AGGREGATE_OFFERED_PER_ACCOUNT) / 1000);
          accounts.forEach((account, k) => {
            const first = sent[k] ?? 0;
            if (due <= first) return;
            sent[k] = due;
            const items = Array.from({ length: due - first }, (_, n) => ({
              ric: `${account.ricPrefix}${((first + n) % 9) + 1}`,
              fields: tutorialFields(first + n),
            }));
            const member = members[(tick + k) % members.length] as Member;
            const request = member.client.post("/v1/contributions", JSON.stringify(items)).then(
              (answer) => {
                expectStatus(answer, [202]);
                acceptedItems += items.length;
              },
              (error: unknown) => {
                failures += 1;
                firstError ??= error instanceof Error ? error.message : String(error);
              },
            );
            inFlight.add(request);
            void request.finally(() => inFlight.delete(request));
          });
          timer = setTimeout(() => pace(tick + 1), AGGREGATE_TICK_MS);
        };
        pace(0);
        let before: any;
        let after: any;
        let windowMs: number;
        let cpuBefore: number[];
        let cpuAfter: number[];
        try {
          await sleep(aggregateWarmupMs);
          cpuBefore = await cpuTimes(members, sim, nats);
          before = await sim.state();
          const openedAt = performance.now();
          await sleep(aggregateDurationMs);
          after = await sim.state();
          windowMs = performance.now() - openedAt;
          cpuAfter = await cpuTimes(members, sim, nats);
        } finally {
          stopping = true;
          clearTimeout(timer);
          await Promise.all(inFlight);
        }
        const prefixes = accounts.map((account) => account.ricPrefix);
        const beforeAcks = updatesByPrefix(before.rics, prefixes);
        const afterAcks = updatesByPrefix(after.rics, prefixes);
        const loginsInWindow = (after.counters.logins as number) - (before.counters.logins as number);
        const perAccount = accounts.map((account, k) => {
          const user = account.credentials.user;
          const acked = (afterAcks[k] ?? 0) - (beforeAcks[k] ?? 0);
          const connections = (after.connections as SimConnection[]).filter((c) => c.user === user);
          return {
            account: account.name,
            ackedPerSecond: round(acked / (windowMs / 1000)),
            fractionOfLimit: round(acked / (windowMs / 1000) / AGGREGATE_LIMIT, 4),
            maxMessagesInWindow: Math.max(0, ...connections.map((c) => c.maxMessagesInWindow)),
            messagesOverLimit: connections.reduce((sum, c) => sum + c.messagesOverLimit, 0),
            maxConcurrentLogins: (after.loginsByUser as Record<string, { max: number }>)[user]?.max,
          };
        });
        const ackedPerSecond = ((after.counters.acks as number) - (before.counters.acks as number)) / (windowMs / 1000);
        const naks = Object.values(after.counters.naks as Record<string, number>).reduce((sum, n) => sum + n, 0);
        const params = {
          accounts: AGGREGATE_ACCOUNTS,
          limitPerAccount: AGGREGATE_LIMIT,
          gateways: AGGREGATE_GATEWAYS,
          leasesPerGateway: spread,
          spreadMs: round(spreadMs),
          offeredPerAccountPerSecond: AGGREGATE_OFFERED_PER_ACCOUNT,
          requestEveryMs: AGGREGATE_TICK_MS,
          acceptedItems,
          warmupMs: aggregateWarmupMs,
          windowMs: round(windowMs),
          // A Login in the window: a lease moved (a gateway could not renew it in time, say); their logs tell.
          ...(loginsInWindow === 0
            ? {}
            : { loginsInWindow, gatewayLogs: members.map((member) => logMessages(member.process, 6)) }),
          perAccount,
          // Share of one core each process used over the window: the gateways in order, the simulator, nats-server.
          cpuCoresUsed: cpuAfter.map((after, index) => round((after - (cpuBefore[index] ?? 0)) / (windowMs * 1000), 3)),
          naks,
          ...(failures === 0 ? {} : { failedRequests: failures, firstError }),
        };
        return [
          {
            bench: BENCH,
            metric: "aggregate_acked_per_second",
            value: round(ackedPerSecond),
            unit: "msgs/s",
            params,
          },
          {
            bench: BENCH,
            metric: "aggregate_fraction_of_limits",
            value: round(ackedPerSecond / (AGGREGATE_ACCOUNTS * AGGREGATE_LIMIT), 4),
            unit: "ratio",
            params: { limits: AGGREGATE_ACCOUNTS * AGGREGATE_LIMIT, perAccount },
            goal: { op: ">=", value: 0.99 },
          },
          {
            bench: BENCH,
            // The simulator counts, per connection, the messages that arrived while its one-second window was
            // full; the total is over every connection of the run (warm-up and lease hand-over included).
            metric: "aggregate_windows_over",
            value: after.messagesOverLimit as number,
            unit: "msgs",
            params: {
              perAccount: perAccount.map(({ account, messagesOverLimit }) => ({ account, messagesOverLimit })),
            },
            goal: { op: "==", value: 0 },
          },
          {
            bench: BENCH,
            metric: "aggregate_max_messages_in_any_1s_window",
            value: after.maxMessagesInWindow as number,
            unit: "msgs",
            params: { limitPerAccount: AGGREGATE_LIMIT },
            goal: { op: "<=", value: AGGREGATE_LIMIT },
          },
        ];
      } finally {
        await closeMembers(members);
      }
    } finally {
      await sim.close();
    }
  } finally {
    await nats.stop();
  }
}

/** The cluster benchmark: the three scenarios in turn, each with its own nats-server, simulator and gateways. */
export const cluster: Bench = async ({ quick }) => {
  await mkdir(join(ROOT, ".tmp-bench"), { recursive: true });
  const dir = await mkdtemp(join(ROOT, ".tmp-bench", "cluster-"));
  try {
    return [
      ...(await failoverScenario(quick, dir)),
      ...(await throughputScenario(quick, dir)),
      ...(await aggregateScenario(quick, dir)),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
