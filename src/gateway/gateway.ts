/**
 * `startGateway()`: the contribution service (docs/gateway.md). It opens the outbox, starts one Contributor
 * and one dispatcher per account, and serves the HTTP API (http/app.ts). Producers' items are stored durably
 * before they hear "accepted"; the dispatchers send them and record each outcome; the outcome log feeds
 * `?wait=ack`, `GET /v1/outcomes` and the metrics.
 */
import { type Contributor as ContributorType, type ContributorOptions, type Logger, silentLogger } from "../index.js";
import { Contributor } from "../index.js";
import { type ApiKeyConfig, ApiKeys } from "./api-keys.js";
import { AccountDispatcher } from "./dispatcher.js";
import { accountsReady, buildApp } from "./http/app.js";
import { GatewayMetrics } from "./metrics.js";
import type { Outbox, StoredItem } from "./outbox/outbox.js";
import { openSqliteOutbox } from "./outbox/sqlite-outbox.js";
import { RicPatterns } from "./ric-patterns.js";
import type { RoutedAccount } from "./contributions.js";
import { SettleWaiters } from "./settle-waiters.js";
import { readStatus } from "./status.js";
import type { ClusterRuntime } from "./cluster/cluster-runtime.js";
import type { GatewayNatsOptions } from "./cluster/nats-options.js";

/** One RCC account the gateway contributes through. */
export interface GatewayAccount {
  /** Its name in URLs, metrics and API key scopes: letters, digits, `._-`. */
  name: string;
  /** RIC patterns it contributes (ric-patterns.ts); an item goes to the first account whose patterns match. */
  rics: readonly string[];
  /** How its Contributor connects: endpoints, credentials, TLS, … (the library's options). */
  contributor: ContributorOptions;
  /** Items not yet final in the outbox, at most; beyond it producers get 429. @default 100_000 */
  maxPendingItems?: number;
  /** Their bytes (RIC and fields as JSON), at most. @default 64 MiB */
  maxPendingBytes?: number;
  /**
   * Merge items of one RIC waiting in the outbox (a backlog: the session is down or at its rate limit) into
   * the newest before sending; the older ones end `conflated`, naming it. @default false
   */
  conflate?: boolean;
}

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  accounts: readonly GatewayAccount[];
  /**
   * The outbox file (SQLite); created when absent, never recreated when it cannot be read. Required without
   * `nats`; ignored with it (the cluster's items live in its streams, and each gateway's local view in a
   * temporary directory).
   */
  outboxPath?: string;
  /**
   * Run as one gateway of a cluster on NATS JetStream (docs/cluster.md): items are stored in the cluster's
   * streams, each account is led by one gateway at a time. Every gateway of the cluster must have the same
   * accounts. @default undefined (single-node, the SQLite outbox)
   */
  nats?: GatewayNatsOptions;
  /** Producers' keys (api-keys.ts). */
  apiKeys: readonly ApiKeyConfig[];
  /** Address to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 8787 */
  port?: number;
  /** Serve HTTPS with this certificate and key (PEM). @default undefined (HTTP) */
  tls?: { cert: string; key: string };
  /** Largest request body, bytes; beyond it 413. @default 16 MiB */
  bodyLimitBytes?: number;
  /** Items in one request, at most; beyond it 413. @default 10_000 */
  maxItemsPerRequest?: number;
  /** `?wait=ack` waits at most this long unless `?timeout=` says less, milliseconds. @default 10_000 */
  maxWaitMs?: number;
  /** Final items, outcomes and Idempotency-Keys are kept this long, milliseconds. @default 24 h */
  retentionMs?: number;
  /** On close, how long to wait for the Acks of posts on the wire, milliseconds. @default 10_000 */
  shutdownTimeoutMs?: number;
  /** The outbox's fsync policy: "full" survives power loss, "normal" a process crash. @default "full" */
  synchronous?: "full" | "normal";
  log?: Logger;
  /** Wall clock, epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** A running gateway. */
export interface RunningGateway {
  /** The base URL producers use, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** The outbox file (in cluster mode: the local view's). */
  outboxPath: string;
  /** Whether every account is logged in (in cluster mode: every account this gateway leads) and the outbox is open. */
  ready(): boolean;
  /** In cluster mode: the accounts this gateway leads now, and the cluster as it sees it. */
  cluster?: () => ReturnType<ClusterRuntime["snapshot"]>;
  /**
   * Stops: new requests get 503, posts on the wire get up to `shutdownTimeoutMs` for their Acks, each
   * session closes (Login Close), the outbox closes. Items not yet final stay for the next start.
   */
  close(): Promise<void>;
}

const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Starts a gateway. @throws the outbox's OutboxOpenError, or an Error naming a bad option, before listening. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const startedAtMs = now();
  if (options.accounts.length === 0) throw new Error("a gateway needs at least one account");
  const names = new Set<string>();
  for (const account of options.accounts) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(account.name)) {
      throw new Error(`account name ${JSON.stringify(account.name)} must be 1–64 letters, digits or ._-`);
    }
    if (names.has(account.name)) throw new Error(`account '${account.name}' is configured twice`);
    names.add(account.name);
  }
  const apiKeys = new ApiKeys(options.apiKeys);
  const routed: RoutedAccount[] = options.accounts.map((account) => ({
    name: account.name,
    rics: new RicPatterns(account.rics),
    maxPendingItems: account.maxPendingItems ?? 100_000,
    maxPendingBytes: account.maxPendingBytes ?? 64 * 1024 * 1024,
  }));

  const cluster = options.nats;
  if (cluster === undefined && options.outboxPath === undefined) throw new Error("a gateway needs an outboxPath");
  if (cluster !== undefined) {
    const conflating = options.accounts.find((account) => account.conflate === true);
    if (conflating !== undefined) {
      throw new Error(`account '${conflating.name}': conflate is not available in cluster mode (nats)`);
    }
  }
  const makeContributor = (account: GatewayAccount, mayPost?: () => boolean): ContributorType => {
    const contributor = new Contributor({
      log: log.child({ account: account.name }),
      ...account.contributor,
      // The dispatcher bounds what it hands over and re-sends what times out: an item's time starts when it
      // is written, and reconnecting never gives up while the gateway runs.
      ackTimeoutFrom: "sent",
      backoff: { ...account.contributor.backoff, maxAttempts: Number.POSITIVE_INFINITY },
      ...(mayPost === undefined ? {} : { mayPost }),
    });
    contributor.on("error", () => undefined); // every failure reaches the dispatcher through its posts
    return contributor;
  };

  // The contributors first: a bad account option is refused before the outbox file is opened (and locked).
  const contributors = new Map<string, ContributorType>();
  for (const account of options.accounts) contributors.set(account.name, makeContributor(account));

  const waiters = new SettleWaiters();
  const outcomeListeners = new Set<() => void>();
  // The metrics are made once the outbox is open; outcomes before that (none in single-node mode) are not counted.
  const late: { metrics?: GatewayMetrics } = {};
  const onSettled = (items: readonly StoredItem[]) => {
    late.metrics?.settled(items, now());
    waiters.settled(items);
    for (const listener of outcomeListeners) listener();
  };
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const drainTimeoutMs = options.shutdownTimeoutMs ?? 10_000;

  let runtime: ClusterRuntime | undefined;
  if (cluster !== undefined) {
    // In cluster mode a term's Contributor is made when this gateway gains the account (idle ones before).
    await Promise.all([...contributors.values()].map((contributor) => contributor.close()));
    contributors.clear();
    const byName = new Map(options.accounts.map((account) => [account.name, account]));
    const { ClusterRuntime } = await import("./cluster/cluster-runtime.js");
    runtime = await ClusterRuntime.start({
      nats: cluster,
      accounts: [...names],
      contributes: (name, ric) => routed.find((account) => account.name === name)?.rics.matches(ric) === true,
      makeContributor: (name, mayPost) => makeContributor(byName.get(name) as GatewayAccount, mayPost),
      onSettled,
      retentionMs,
      drainTimeoutMs,
      log,
      now,
    });
  }
  const contributorOf = (name: string): ContributorType =>
    runtime?.contributor(name) ?? (contributors.get(name) as ContributorType);
  /** Each account's session, and in cluster mode whether this gateway leads it (what /readyz and ready() read). */
  const readiness = () =>
    options.accounts.map((account) => ({
      account: account.name,
      state: contributorOf(account.name).state,
      ...(runtime === undefined ? {} : { leader: runtime.leads(account.name) }),
    }));

  const outbox: Outbox =
    runtime?.outbox ??
    (await openSqliteOutbox(options.outboxPath as string, { synchronous: options.synchronous ?? "full" }));
  const dispatchers = new Map<string, AccountDispatcher>();
  const sentLastSecond = new Map<string, { sent: number; rate: number }>();

  const metrics = new GatewayMetrics({
    accounts: [...names],
    depth: (account) => outbox.depth(account),
    stats: (account) => contributorOf(account).stats(),
    rateInUse: (account) => sentLastSecond.get(account)?.rate ?? 0,
    now,
    ...(runtime === undefined ? {} : { cluster: () => runtime.snapshot() }),
  });

  late.metrics = metrics;

  for (const account of runtime === undefined ? options.accounts : []) {
    const contributor = contributors.get(account.name) as ContributorType;
    const dispatcher = new AccountDispatcher({
      account: account.name,
      contributor,
      outbox,
      now,
      log,
      onSettled,
      conflate: account.conflate === true,
    });
    dispatchers.set(account.name, dispatcher);
    contributor.on("ready", () => dispatcher.wake());
  }

  let closing = false;
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp({
      log,
      apiKeys,
      outbox,
      accounts: routed,
      waiters,
      metrics,
      now,
      bodyLimitBytes: options.bodyLimitBytes ?? 16 * 1024 * 1024,
      maxItemsPerRequest: options.maxItemsPerRequest ?? 10_000,
      maxWaitMs: options.maxWaitMs ?? 10_000,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      closing: () => closing,
      readiness,
      wake: (account) => (runtime === undefined ? dispatchers.get(account)?.wake() : runtime.wake(account)),
      drainRate: (account) => sentLastSecond.get(account)?.rate || contributorOf(account).stats().maxMessagesPerSecond,
      status: () =>
        readStatus(
          outbox,
          options.accounts.map((account) => {
            const stats = contributorOf(account.name).stats();
            return {
              name: account.name,
              rics: account.rics,
              state: stats.state,
              endpoint: stats.url,
              rateLimit: stats.maxMessagesPerSecond,
              rateInUse: sentLastSecond.get(account.name)?.rate ?? 0,
              reconnects: stats.reconnects,
              tokenRefreshes: stats.tokenRefreshes,
            };
          }),
          startedAtMs,
          now(),
          runtime?.snapshot(),
        ),
      onOutcomes: (listener) => {
        outcomeListeners.add(listener);
        return () => outcomeListeners.delete(listener);
      },
      ...(runtime === undefined
        ? {}
        : {
            cluster: () => runtime.snapshot(),
            healthy: () => runtime.healthy(),
          }),
    });
  } catch (error) {
    // e.g. TLS material fastify refuses: the file is not left locked (in cluster mode, the cluster is left)
    await (runtime === undefined ? outbox.close() : runtime.close());
    throw error;
  }

  const isReady = () => (runtime?.healthy() ?? true) && accountsReady(readiness());

  const rateTimer = setInterval(() => {
    for (const name of names) {
      const sent = contributorOf(name).stats().sent;
      const previous = sentLastSecond.get(name)?.sent ?? sent;
      sentLastSecond.set(name, { sent, rate: sent - previous });
    }
  }, 1000).unref();
  const compactTimer = setInterval(
    () => {
      outbox
        .compact(now() - retentionMs)
        .catch((error: unknown) => log.error({ err: error }, "outbox compaction failed"));
    },
    Math.min(retentionMs, 60 * 60 * 1000),
  ).unref();

  try {
    for (const dispatcher of dispatchers.values()) await dispatcher.start();
    for (const contributor of contributors.values()) {
      contributor.connect().catch(() => undefined); // reconnects on its own; /readyz tells
    }
    await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 8787 });
  } catch (error) {
    clearInterval(rateTimer);
    clearInterval(compactTimer);
    await Promise.all([...contributors.values()].map((contributor) => contributor.close({ dropQueued: true })));
    await app.close();
    await (runtime === undefined ? outbox.close() : runtime.close());
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 8787);
  const host = options.host ?? "127.0.0.1";
  const url = `${options.tls === undefined ? "http" : "https"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log.info(
    {
      url,
      outbox: outbox.path,
      accounts: [...names],
      ...(runtime === undefined ? {} : { gatewayId: runtime.gatewayId }),
    },
    "gateway started",
  );

  let closed: Promise<void> | undefined;
  return {
    url,
    outboxPath: outbox.path,
    ready: isReady,
    ...(runtime === undefined ? {} : { cluster: () => runtime.snapshot() }),
    close: () =>
      (closed ??= (async () => {
        closing = true;
        clearInterval(rateTimer);
        clearInterval(compactTimer);
        for (const dispatcher of dispatchers.values()) dispatcher.stop();
        // Queued posts are dropped (they stay `sent` in the outbox and go again at the next start); those on
        // the wire get drainTimeoutMs for their Acks, which the dispatchers record. In cluster mode every led
        // account is given up the same way, and its lease deleted, so another gateway takes it at once.
        await Promise.all(
          [...contributors.values()].map((contributor) => contributor.close({ dropQueued: true, drainTimeoutMs })),
        );
        if (runtime !== undefined) await runtime.close();
        await app.close();
        await new Promise((resolve) => setImmediate(resolve)); // the last outcomes' writes are queued
        await outbox.close();
        log.info({ url }, "gateway stopped");
      })()),
  };
}
