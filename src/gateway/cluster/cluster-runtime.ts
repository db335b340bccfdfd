/**
 * The cluster side of a gateway (docs/cluster.md): its NATS connection, the streams and buckets, the local view
 * and the outbox on them (cluster-outbox.ts), the lease keeper, and — for each account this gateway leads — a
 * "term": the account's Contributor, its dispatcher and its consumer, which exist only while the lease allows
 * this gateway to act. Loaded only in cluster mode, so the single-node gateway never loads nats.js.
 *
 * A supervisor checks every {@link SUPERVISE_EVERY_MS} whether each account's term should run: it starts one
 * when the keeper holds the lease and the lease still allows acting, and ends one at once when it no longer
 * does (fencing: the Contributor's `mayPost` gate has already stopped every frame by then, and the session is
 * closed without waiting for anything). A lease given up on purpose (the share went down, or the gateway stops)
 * ends its term gracefully: nothing new is handed over, the Acks of posts on the wire are awaited up to the
 * drain timeout, the Login Close is sent, and only then is the lease deleted.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Contributor, Logger } from "../../index.js";
import { AccountDispatcher } from "../dispatcher.js";
import type { StoredItem } from "../outbox/outbox.js";
import { openSqliteOutbox } from "../outbox/sqlite-outbox.js";
import { AccountConsumer, consumerName } from "./account-consumer.js";
import { bounded } from "./bounded.js";
import { ClusterOutbox } from "./cluster-outbox.js";
import { ensureInboundStream } from "./inbound-stream.js";
import type { Lease } from "./lease.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { type GatewayNatsOptions, natsConnectionOptions, resolveNatsOptions } from "./nats-options.js";
import { ensureOutcomeStream } from "./outcome-stream.js";
import { RequestClaims } from "./request-claims.js";
import { clusterSubjects } from "./subjects.js";

/** How long start-up waits for JetStream to be ready (a NATS cluster electing its leaders), milliseconds. */
const STARTUP_RETRY_MS = 30_000;

/**
 * `work()`, tried again every 500 ms while it fails with what a starting JetStream answers, until `forMs`.
 * @throws its last error, or at once one a retry cannot fix (a stream made with other subjects, bad credentials).
 */
async function retryUntil<T>(forMs: number, log: Logger, work: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + forMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const transient = /JetStream|timeout|no responders|not (ready|enabled)|leader/i.test(String(error));
      const name = (error as Error).name;
      if (!transient || name === "AuthorizationError" || performance.now() + 500 > deadline) throw error;
      if (attempt === 1) log.info({ err: error }, "JetStream is not ready yet: waiting for it");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** How often the supervisor checks the terms, milliseconds. */
const SUPERVISE_EVERY_MS = 50;

/** What the cluster side needs from the gateway. */
export interface ClusterRuntimeOptions {
  nats: GatewayNatsOptions;
  /** The accounts of the cluster (every gateway must have the same list). */
  accounts: readonly string[];
  /**
   * Whether `account` contributes `ric` (its RIC patterns): an item published straight to NATS for a RIC its
   * account does not contribute is refused with a `failed` outcome, as an HTTP item would be with 422.
   */
  contributes: (account: string, ric: string) => boolean;
  /** A new Contributor for a term of `account`, posting only while `mayPost` says so. */
  makeContributor: (account: string, mayPost: () => boolean) => Contributor;
  /** Outcomes the view learnt (any gateway's). */
  onSettled: (items: readonly StoredItem[]) => void;
  /** How long Idempotency-Key claims are kept, milliseconds. */
  retentionMs: number;
  /** How long a graceful end of a term waits for the Acks of posts on the wire, milliseconds. */
  drainTimeoutMs: number;
  log: Logger;
  now: () => number;
}

/** One account's term as its leader. */
interface Term {
  account: string;
  lease: Lease;
  contributor: Contributor;
  dispatcher: AccountDispatcher;
  consumer: AccountConsumer;
  startedAtMs: number;
  /** Set once the term ends; resolves when it has. */
  ending?: Promise<void>;
}

/** What the status page and the metrics show of the cluster. */
export interface ClusterSnapshot {
  gatewayId: string;
  servers: readonly string[];
  connected: boolean;
  liveGateways: number;
  accounts: {
    account: string;
    /** Whether this gateway leads it now. */
    leader: boolean;
    /** The lease holder's gateway id, as last read from the bucket (undefined: nobody). */
    holder: string | undefined;
    /** Seconds since this gateway's term began (0 when it does not lead). */
    leaseAgeSeconds: number;
    /** Items the account's consumer has not had acknowledged yet (pending + unacknowledged), as last read. */
    consumerLag: number | undefined;
    /** Deliveries of an item to this gateway that were not its first. */
    redeliveries: number;
  }[];
}

/** The cluster side of one gateway. */
export class ClusterRuntime {
  readonly outbox: ClusterOutbox;
  readonly #options: ClusterRuntimeOptions;
  readonly #nc: NatsConnection;
  readonly #keeper: LeaseKeeper;
  readonly #terms = new Map<string, Term>();
  readonly #redeliveries = new Map<string, number>();
  readonly #holders = new Map<string, string | undefined>();
  readonly #lag = new Map<string, number>();
  readonly #gatewayId: string;
  readonly #servers: readonly string[];
  readonly #viewDir: string;
  readonly #supervisor: NodeJS.Timeout;
  readonly #snapshotTimer: NodeJS.Timeout;
  readonly #makeConsumer: (account: string, lease: Lease) => AccountConsumer;
  readonly #jsm: Awaited<ReturnType<typeof jetstreamManager>>;
  readonly #inboundStream: string;
  #closing = false;
  /** Idle contributors for accounts this gateway does not lead (what stats and state read then). */
  readonly #idle = new Map<string, Contributor>();

  private constructor(parts: {
    options: ClusterRuntimeOptions;
    nc: NatsConnection;
    keeper: LeaseKeeper;
    outbox: ClusterOutbox;
    gatewayId: string;
    servers: readonly string[];
    viewDir: string;
    makeConsumer: (account: string, lease: Lease) => AccountConsumer;
    jsm: Awaited<ReturnType<typeof jetstreamManager>>;
    inboundStream: string;
  }) {
    this.#options = parts.options;
    this.#nc = parts.nc;
    this.#keeper = parts.keeper;
    this.outbox = parts.outbox;
    this.#gatewayId = parts.gatewayId;
    this.#servers = parts.servers;
    this.#viewDir = parts.viewDir;
    this.#makeConsumer = parts.makeConsumer;
    this.#jsm = parts.jsm;
    this.#inboundStream = parts.inboundStream;
    this.#supervisor = setInterval(() => this.supervise(), SUPERVISE_EVERY_MS);
    void this.#watchConnection();
    this.#snapshotTimer = setInterval(() => void this.#refreshSnapshot(), 1_000);
    this.#snapshotTimer.unref();
  }

  /**
   * Connects to NATS, makes (or checks) the streams and buckets, builds the view from the streams, and starts the
   * lease keeper.
   * @throws Error on bad options, an unreachable NATS (within its connect timeout), or a stream or bucket made
   *   with other settings.
   */
  static async start(options: ClusterRuntimeOptions): Promise<ClusterRuntime> {
    const nats = resolveNatsOptions(options.nats);
    const log = options.log.child({ component: "cluster", gateway: nats.gatewayId });
    const nc = await connect(await natsConnectionOptions(nats));
    let viewDir: string | undefined;
    try {
      const subjects = clusterSubjects(nats.prefix);
      // A NATS cluster that is just starting has no JetStream meta leader for a few seconds: the streams and
      // buckets are made once it has, within STARTUP_RETRY_MS.
      const { jsm, inboundStream, outcomeStream, leaseBucket, requestBucket } = await retryUntil(
        STARTUP_RETRY_MS,
        log,
        async () => {
          const manager = await jetstreamManager(nc);
          const kvm = new Kvm(nc);
          return {
            jsm: manager,
            inboundStream: await ensureInboundStream(manager, subjects, {
              name: nats.inboundStream,
              replicas: nats.replicas,
              maxAgeMs: options.retentionMs,
            }),
            outcomeStream: await ensureOutcomeStream(manager, subjects, {
              name: nats.outcomeStream,
              replicas: nats.replicas,
              maxAgeMs: options.retentionMs,
            }),
            leaseBucket: await kvm.create(nats.leaseBucket, {
              ttl: nats.leaseTtlMs,
              history: 1,
              replicas: nats.replicas,
            }),
            requestBucket: await kvm.create(nats.requestBucket, {
              ttl: options.retentionMs,
              history: 1,
              replicas: nats.replicas,
            }),
          };
        },
      );
      const js = jetstream(nc);
      viewDir = await mkdtemp(join(tmpdir(), "rcc-gateway-view-"));
      const view = await openSqliteOutbox(join(viewDir, "view.sqlite"), { synchronous: "normal" });
      // The runtime is made last; the callbacks made before it reach it through this.
      const made: { runtime?: ClusterRuntime } = {};
      const outbox = new ClusterOutbox({
        js,
        jsm,
        subjects,
        inboundStream,
        outcomeStream,
        claims: new RequestClaims(requestBucket),
        view,
        onSettled: options.onSettled,
        wake: (account, seq) => made.runtime?.rewind(account, seq),
        log,
      });
      const keeper = new LeaseKeeper({
        bucket: leaseBucket,
        gatewayId: nats.gatewayId,
        accounts: options.accounts,
        ttlMs: nats.leaseTtlMs,
        log,
        events: {
          gained: () => made.runtime?.supervise(),
          lost: (account) => void made.runtime?.endTerm(account, "lost"),
          releasing: (account) => made.runtime?.endTerm(account, "released") ?? Promise.resolve(),
        },
      });
      const makeConsumer = (account: string, lease: Lease) =>
        new AccountConsumer({
          js,
          jsm,
          stream: inboundStream,
          subjects,
          account,
          ackWaitMs: nats.ackWaitMs,
          mayAct: () => lease.remainingMs() > 0,
          log,
          handle: async (item, delivery) => {
            if (delivery.deliveryCount > 1) made.runtime?.countRedelivery(account);
            if (!options.contributes(account, item.ric)) {
              const error = `account '${account}' does not contribute ${JSON.stringify(item.ric)} (its RIC patterns)`;
              log.warn(
                { account, id: item.id, seq: delivery.seq, error },
                "an inbound item is refused: recorded as failed",
              );
              await outbox.invalid(item.id, error, delivery.seq, account, item.ric);
              return "done";
            }
            return outbox.deliver(item, delivery);
          },
          invalid: (id, error, seq) => {
            log.warn({ account, id, seq, error }, "an inbound message is not a valid item: recorded as failed");
            return outbox.invalid(id, error, seq, account);
          },
        });
      const runtime = new ClusterRuntime({
        options,
        nc,
        keeper,
        outbox,
        gatewayId: nats.gatewayId,
        servers: nats.servers,
        viewDir,
        makeConsumer,
        jsm,
        inboundStream,
      });
      made.runtime = runtime;
      const caughtUp = await outbox.start();
      if (!caughtUp) log.warn("the view has not caught up with the streams in 60 s: reads may lag for a while");
      await keeper.start();
      log.info({ servers: nats.servers, accounts: options.accounts }, "joined the cluster");
      return runtime;
    } catch (error) {
      await nc.close().catch(() => undefined);
      if (viewDir !== undefined) await rm(viewDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** This gateway's id. */
  get gatewayId(): string {
    return this.#gatewayId;
  }

  /** Whether this gateway leads `account` now (its term runs). */
  leads(account: string): boolean {
    const term = this.#terms.get(account);
    return term !== undefined && term.ending === undefined;
  }

  /** Whether NATS is reachable and the view follows the streams. */
  healthy(): boolean {
    return !this.#nc.isClosed() && this.outbox.writable && this.#connected;
  }

  /** Whether the NATS connection is up (false from a disconnect until the reconnect). */
  #connected = true;

  async #watchConnection(): Promise<void> {
    const { log } = this.#options;
    for await (const status of this.#nc.status()) {
      if (status.type === "disconnect") {
        this.#connected = false;
        log.warn({ server: status.server }, "lost the NATS connection: reconnecting (leases run out meanwhile)");
      } else if (status.type === "reconnect") {
        this.#connected = true;
        log.info({ server: status.server }, "reconnected to NATS");
      }
    }
  }

  /** The Contributor of `account`'s current term, or an idle one when this gateway does not lead it. */
  contributor(account: string): Contributor {
    const term = this.#terms.get(account);
    if (term !== undefined) return term.contributor;
    let idle = this.#idle.get(account);
    if (idle === undefined) {
      idle = this.#options.makeContributor(account, () => false);
      this.#idle.set(account, idle);
    }
    return idle;
  }

  /** New items for `account`: its dispatcher looks for them (when this gateway leads it). */
  wake(account: string): void {
    this.#terms.get(account)?.dispatcher.wake();
  }

  /** An item at `seq` was delivered for `account`: its dispatcher reads again from there. */
  rewind(account: string, seq: number): void {
    this.#terms.get(account)?.dispatcher.rewind(seq);
  }

  /** The cluster as this gateway sees it now. */
  snapshot(): ClusterSnapshot {
    const now = this.#options.now();
    return {
      gatewayId: this.#gatewayId,
      servers: this.#servers,
      connected: !this.#nc.isClosed() && this.#connected,
      liveGateways: this.#keeper.liveGateways,
      accounts: this.#options.accounts.map((account) => {
        const term = this.#terms.get(account);
        const leader = this.leads(account);
        return {
          account,
          leader,
          holder: leader ? this.#gatewayId : this.#holders.get(account),
          leaseAgeSeconds: leader && term !== undefined ? Math.max(0, (now - term.startedAtMs) / 1000) : 0,
          consumerLag: this.#lag.get(account),
          redeliveries: this.#redeliveries.get(account) ?? 0,
        };
      }),
    };
  }

  /** @internal counts a redelivery (for the metrics). */
  countRedelivery(account: string): void {
    this.#redeliveries.set(account, (this.#redeliveries.get(account) ?? 0) + 1);
  }

  async #refreshSnapshot(): Promise<void> {
    if (this.#closing) return;
    for (const account of this.#options.accounts) {
      try {
        const lease = this.#keeper.lease(account);
        this.#holders.set(account, await lease?.holderNow());
        const info = await this.#jsm.consumers.info(this.#inboundStream, consumerName(account));
        this.#lag.set(account, info.num_pending + info.num_ack_pending);
      } catch {
        // Not created yet (no leader so far), or NATS unreachable: the last value stands.
      }
    }
  }

  /** @internal the keeper's events: check the terms now. */
  supervise(): void {
    if (this.#closing) return;
    const held = new Set(this.#keeper.held);
    for (const account of this.#options.accounts) {
      const lease = this.#keeper.lease(account);
      const mayAct = lease !== undefined && held.has(account) && lease.remainingMs() > 0;
      const term = this.#terms.get(account);
      if (term !== undefined && term.ending === undefined && !mayAct) void this.endTerm(account, "fenced");
      else if (term === undefined && mayAct) this.#startTerm(account, lease);
    }
  }

  #startTerm(account: string, lease: Lease): void {
    const { log, now } = this.#options;
    const mayPost = () => lease.remainingMs() > 0;
    const contributor = this.#options.makeContributor(account, mayPost);
    const dispatcher = new AccountDispatcher({
      account,
      contributor,
      outbox: this.outbox,
      now,
      log,
    });
    contributor.on("ready", () => dispatcher.wake());
    const consumer = this.#makeConsumer(account, lease);
    const term: Term = { account, lease, contributor, dispatcher, consumer, startedAtMs: now() };
    this.#terms.set(account, term);
    log.info({ account }, "leading the account: logging in");
    void (async () => {
      // What an earlier leader acknowledged must be in the view before anything is re-sent (the supersession rule).
      await this.outbox.catchUp(10_000).catch(() => false);
      if (term.ending !== undefined) return;
      contributor.connect().catch(() => undefined); // reconnects on its own; /readyz tells
      await dispatcher.start();
      await consumer.start();
    })().catch((error: unknown) => {
      log.error({ err: error, account }, "the account's term could not start: giving it up");
      void this.endTerm(account, "fenced");
    });
  }

  /**
   * @internal Ends `account`'s term. `released`: gracefully (Acks on the wire awaited up to the drain timeout, then the
   * Login Close). `lost`/`fenced`: at once (nothing more is written; the session is closed).
   */
  endTerm(account: string, why: "released" | "lost" | "fenced"): Promise<void> {
    const term = this.#terms.get(account);
    if (term === undefined) return Promise.resolve();
    term.ending ??= (async () => {
      const { log } = this.#options;
      log.info({ account, why }, why === "released" ? "giving the account up" : "stopped leading the account");
      term.dispatcher.stop();
      const drainTimeoutMs = why === "released" ? this.#options.drainTimeoutMs : 0;
      await term.contributor.close({ dropQueued: true, drainTimeoutMs }).catch(() => undefined);
      // Whatever is still waiting goes back to JetStream, for the next leader.
      this.outbox.release(account);
      await term.consumer.stop().catch(() => undefined);
      this.#terms.delete(account);
    })();
    return term.ending;
  }

  /**
   * Leaves the cluster: every led account is given up gracefully (drain, Login Close, lease deleted), then the
   * view is closed and removed and the NATS connection drained.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#supervisor);
    clearInterval(this.#snapshotTimer);
    // Cut off from NATS, the steps that talk to it would wait for their timeouts: each is bounded, and what it
    // could not do (delete a lease) is done by the leases' age limit.
    const natsStepMs = 3_000 + this.#options.drainTimeoutMs;
    await bounded(this.#keeper.stop({ release: true }), natsStepMs);
    await Promise.all([...this.#terms.keys()].map((account) => this.endTerm(account, "released")));
    await Promise.all([...this.#idle.values()].map((contributor) => contributor.close({ dropQueued: true })));
    await this.outbox.close();
    if (this.#connected) await bounded(this.#nc.drain(), 3_000);
    await this.#nc.close().catch(() => undefined);
    await rm(this.#viewDir, { recursive: true, force: true });
  }
}
