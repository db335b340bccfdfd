/**
 * The gateway's Prometheus metrics (`GET /metrics`), in a registry of its own so that two gateways in one
 * process (tests) or a host application's own metrics never collide. Counters move as items are accepted
 * and settled; gauges are read from the outbox and the contributors when scraped. No label carries a key,
 * a password or a price: accounts by name, Nak codes, states.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ContributorStats, SessionState } from "../index.js";
import type { ClusterSnapshot } from "./cluster/cluster-runtime.js";
import type { OutboxDepth, StoredItem } from "./outbox/outbox.js";

/** What a scrape reads at that moment. */
export interface MetricsSources {
  accounts: readonly string[];
  depth: (account: string) => OutboxDepth;
  stats: (account: string) => ContributorStats;
  /** Posts written by the account in the last second (the rate in use), messages per second. */
  rateInUse: (account: string) => number;
  now: () => number;
  /** In cluster mode: the cluster as this gateway sees it (cluster/cluster-runtime.ts). */
  cluster?: () => ClusterSnapshot;
}

/** The states a session gauge reports, one series each (1 for the current one). */
const SESSION_STATES: readonly SessionState[] = [
  "idle",
  "authenticating",
  "connecting",
  "logging-in",
  "ready",
  "backing-off",
  "closing",
  "closed",
];

/** The gateway's metrics. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #accepted: Counter<"account">;
  readonly #outcomes: Counter<"account" | "state">;
  readonly #naked: Counter<"account" | "code">;
  readonly #acceptSeconds: Histogram;
  readonly #ackSeconds: Histogram<"account">;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.#accepted = new Counter({
      name: "rcc_gateway_accepted_total",
      help: "Items stored in the outbox",
      labelNames: ["account"],
      registers,
    });
    this.#outcomes = new Counter({
      name: "rcc_gateway_outcomes_total",
      help: "Items that reached a final state, by state (acked, naked, failed, conflated, superseded)",
      labelNames: ["account", "state"],
      registers,
    });
    this.#naked = new Counter({
      name: "rcc_gateway_naked_total",
      help: "Items RCC refused, by Nak code",
      labelNames: ["account", "code"],
      registers,
    });
    this.#acceptSeconds = new Histogram({
      name: "rcc_gateway_accept_seconds",
      help: "From a POST's body being read to its items being durable",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.#ackSeconds = new Histogram({
      name: "rcc_gateway_accept_to_ack_seconds",
      help: "From an item's acceptance to its Ack being recorded",
      labelNames: ["account"],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5, 30],
      registers,
    });
    const perAccount = (name: string, help: string, read: (account: string) => number) =>
      accountGauge(registers, name, help, () => sources.accounts.map((account) => [account, read(account)]));
    perAccount("rcc_gateway_outbox_items", "Items in the outbox not yet final", (a) => sources.depth(a).items);
    perAccount("rcc_gateway_outbox_bytes", "Bytes of the items not yet final", (a) => sources.depth(a).bytes);
    perAccount("rcc_gateway_oldest_pending_seconds", "Age of the oldest item not yet final", (account) => {
      const oldest = sources.depth(account).oldestAcceptedAtMs;
      return oldest === undefined ? 0 : Math.max(0, (sources.now() - oldest) / 1000);
    });
    perAccount(
      "rcc_gateway_rate_limit",
      "TRCE:MaxMessagesPerSecond in force",
      (a) => sources.stats(a).maxMessagesPerSecond,
    );
    perAccount("rcc_gateway_rate_in_use", "Posts written in the last second", (a) => sources.rateInUse(a));
    perAccount("rcc_gateway_reconnects", "Reconnects of the account's session", (a) => sources.stats(a).reconnects);
    perAccount("rcc_gateway_token_refreshes", "Refreshed tokens received", (a) => sources.stats(a).tokenRefreshes);
    new Gauge({
      name: "rcc_gateway_session_state",
      help: "1 for the account's current session state",
      labelNames: ["account", "state"],
      registers,
      collect() {
        for (const account of sources.accounts) {
          const current = sources.stats(account).state;
          for (const state of SESSION_STATES) this.set({ account, state }, state === current ? 1 : 0);
        }
      },
    });
    if (sources.cluster !== undefined) this.#clusterGauges(sources.cluster, registers);
  }

  /** The cluster's gauges (cluster mode only). */
  #clusterGauges(cluster: () => ClusterSnapshot, registers: Registry[]): void {
    const perAccount = (name: string, help: string, read: (entry: ClusterSnapshot["accounts"][number]) => number) =>
      accountGauge(registers, name, help, () => cluster().accounts.map((entry) => [entry.account, read(entry)]));
    perAccount("rcc_gateway_cluster_leader", "1 while this gateway leads the account", (e) => (e.leader ? 1 : 0));
    perAccount(
      "rcc_gateway_cluster_lease_age_seconds",
      "Time this gateway has led the account",
      (e) => e.leaseAgeSeconds,
    );
    perAccount(
      "rcc_gateway_cluster_consumer_lag",
      "Items of the account's inbound consumer not yet acknowledged (pending and in progress)",
      (e) => e.consumerLag ?? 0,
    );
    perAccount(
      "rcc_gateway_cluster_redeliveries",
      "Items delivered to this gateway again (an earlier delivery was not acknowledged)",
      (e) => e.redeliveries,
    );
    new Gauge({
      name: "rcc_gateway_cluster_live_gateways",
      help: "Gateways of the cluster seen alive in the last lease round",
      registers,
      collect() {
        this.set(cluster().liveGateways);
      },
    });
    new Gauge({
      name: "rcc_gateway_cluster_connected",
      help: "1 while the gateway's NATS connection is up",
      registers,
      collect() {
        this.set(cluster().connected ? 1 : 0);
      },
    });
  }

  /** `count` items were stored for `account`. */
  accepted(account: string, count: number): void {
    this.#accepted.inc({ account }, count);
  }

  /** A request's items took `seconds` to become durable. */
  acceptTook(seconds: number): void {
    this.#acceptSeconds.observe(seconds);
  }

  /** These items reached a final state (recorded durably) at `nowMs`. */
  settled(items: readonly StoredItem[], nowMs: number): void {
    for (const item of items) {
      this.#outcomes.inc({ account: item.account, state: item.state });
      if (item.state === "naked") this.#naked.inc({ account: item.account, code: item.nakCode ?? "unknown" });
      if (item.state === "acked")
        this.#ackSeconds.observe({ account: item.account }, (nowMs - item.acceptedAtMs) / 1000);
    }
  }

  /** The text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** A gauge with one series per account, read at each scrape from `values` ([account, value] pairs). */
function accountGauge(
  registers: Registry[],
  name: string,
  help: string,
  values: () => [account: string, value: number][],
): Gauge<"account"> {
  return new Gauge({
    name,
    help,
    labelNames: ["account"],
    registers,
    collect() {
      for (const [account, value] of values()) this.set({ account }, value);
    },
  });
}
