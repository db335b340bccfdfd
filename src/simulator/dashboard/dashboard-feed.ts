/**
 * The dashboard's live feed: one per simulator, shared by every open page. It listens to the simulator's
 * state and faults only while at least one page is subscribed, and turns them into a few cheap events:
 * connection changes as they happen, RIC last values coalesced (at most one update per RIC per flush
 * interval, whatever the post rate), refused logins with their reason, and a tick per second with the counters
 * for the rate chart.
 */
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { ActiveFault } from "../faults.js";
import { type ConnectionInfo, type LoginRefusal, MAX_PAGE_LIMIT, type ReceivedPost, newestPage } from "../state.js";
import type { SimulatorContext } from "../types.js";
import {
  type FeedEvent,
  type FeedSink,
  MAX_REFUSAL_TEXT,
  type RatePoint,
  type RicView,
  type ServerFacts,
  type SnapshotEvent,
  type TickEvent,
} from "./feed-types.js";

/** Timings and bounds of a {@link DashboardFeed}. */
export interface DashboardFeedOptions {
  /** Coalescing interval of RIC updates, milliseconds: each RIC is sent at most once per interval. @default 100 */
  flushIntervalMs: number;
  /** Largest number of RICs in one `rics` event; the others wait for the next flush, in turn. @default 500 */
  maxRicsPerFlush: number;
  /** Interval of `tick` events (one chart point each), milliseconds. @default 1000 */
  tickIntervalMs: number;
  /** Points of the rate chart kept (300 ticks of 1 s = the last five minutes). @default 300 */
  ratePoints: number;
  /** Most RICs in a snapshot, the most recently updated (at most `MAX_PAGE_LIMIT`, 1,000). @default 1_000 */
  maxSnapshotRics: number;
}

/** Defaults of {@link DashboardFeedOptions}. */
const DEFAULT_FEED_OPTIONS: Readonly<DashboardFeedOptions> = {
  flushIntervalMs: 100,
  maxRicsPerFlush: 500,
  tickIntervalMs: 1000,
  ratePoints: 300,
  maxSnapshotRics: MAX_PAGE_LIMIT,
};

/** Publishes the simulator's state to dashboard pages. */
export class DashboardFeed {
  readonly #context: SimulatorContext;
  readonly #clock: Clock;
  readonly #options: DashboardFeedOptions;
  readonly #facts: () => ServerFacts;
  readonly #sinks = new Set<FeedSink>();
  /** RICs changed since the last flush, in the order they first changed (fair when over the per-flush cap). */
  readonly #dirtyRics = new Set<string>();
  readonly #rate: RatePoint[] = [];
  #flushTimer: TimerHandle | undefined;
  #tickTimer: TimerHandle | undefined;
  #lastTick: { atMs: number; posts: number } | undefined;

  /**
   * @param facts describes the listeners and limits for the snapshot (called on each subscription).
   * @param options timings; see {@link DEFAULT_FEED_OPTIONS}.
   */
  constructor(context: SimulatorContext, facts: () => ServerFacts, options: Partial<DashboardFeedOptions> = {}) {
    this.#context = context;
    this.#clock = context.clock;
    this.#facts = facts;
    this.#options = { ...DEFAULT_FEED_OPTIONS, ...options };
  }

  /** Number of subscribed sinks (open pages). */
  get subscribers(): number {
    return this.#sinks.size;
  }

  /**
   * Sends `sink` a snapshot at once, then every event until the returned function is called. The first
   * subscriber starts the feed's listeners and timers; the last one to leave stops them.
   */
  subscribe(sink: FeedSink): () => void {
    if (this.#sinks.size === 0) this.#start();
    this.#sinks.add(sink);
    sink.send({ type: "snapshot", data: this.snapshot() });
    return () => {
      if (!this.#sinks.delete(sink)) return;
      if (this.#sinks.size === 0) this.#stop();
    };
  }

  /** The full picture, as the `snapshot` event carries it. */
  snapshot(): SnapshotEvent {
    const { state, faults } = this.#context;
    return {
      nowMs: this.#clock.now(),
      server: this.#facts(),
      connections: [...state.connections.values()].map((info) => ({ ...info })),
      // The newest RICs only: the table may hold `maxRics` images, far more than one event (or page) can carry.
      rics: newestPage(state.rics, { offset: 0, limit: this.#options.maxSnapshotRics }).items.flatMap(
        (record) => this.#ricView(record.ric) ?? [],
      ),
      ricsTotal: state.rics.size,
      counters: this.#counters(),
      faults: faults.list(),
      rate: [...this.#rate],
      tickIntervalMs: this.#options.tickIntervalMs,
    };
  }

  #start(): void {
    const { state, faults } = this.#context;
    state.on("connection", this.#onConnection);
    state.on("contribution", this.#onContribution);
    state.on("login-refused", this.#onLoginRefused);
    faults.on("fault", this.#onFault);
    this.#lastTick = { atMs: this.#clock.now(), posts: state.counters.posts };
    this.#tickTimer = this.#clock.setTimeout(this.#tick, this.#options.tickIntervalMs).unref();
  }

  #stop(): void {
    const { state, faults } = this.#context;
    state.off("connection", this.#onConnection);
    state.off("contribution", this.#onContribution);
    state.off("login-refused", this.#onLoginRefused);
    faults.off("fault", this.#onFault);
    if (this.#tickTimer) this.#clock.clearTimeout(this.#tickTimer);
    if (this.#flushTimer) this.#clock.clearTimeout(this.#flushTimer);
    this.#tickTimer = undefined;
    this.#flushTimer = undefined;
    this.#dirtyRics.clear();
  }

  #broadcast(event: FeedEvent): void {
    for (const sink of this.#sinks) sink.send(event);
  }

  readonly #onConnection = (info: ConnectionInfo): void => {
    this.#broadcast({ type: "connection", data: { ...info } });
  };

  /** Called for every post (up to 100k/s): only marks the RIC, the flush timer does the work. */
  readonly #onContribution = (post: ReceivedPost): void => {
    if (post.outcome !== "ack" && post.outcome !== "no-ack") return; // only accepted posts change last values
    this.#dirtyRics.add(post.ric);
    this.#flushTimer ??= this.#clock.setTimeout(this.#flush, this.#options.flushIntervalMs).unref();
  };

  readonly #onLoginRefused = (refusal: LoginRefusal): void => {
    // The user name and the text (which may quote it) come from the client: bounded, whatever it sent.
    const data: LoginRefusal = { ...refusal, text: clip(refusal.text) };
    if (refusal.user !== undefined) data.user = clip(refusal.user);
    this.#broadcast({ type: "login-refused", data });
  };

  readonly #onFault = (fault: ActiveFault): void => {
    this.#broadcast({ type: "faults", data: { added: { ...fault }, active: this.#context.faults.list() } });
  };

  readonly #flush = (): void => {
    this.#flushTimer = undefined;
    const views: RicView[] = [];
    for (const ric of this.#dirtyRics) {
      if (views.length >= this.#options.maxRicsPerFlush) break;
      this.#dirtyRics.delete(ric);
      const view = this.#ricView(ric);
      if (view) views.push(view);
    }
    if (views.length > 0) this.#broadcast({ type: "rics", data: views });
    if (this.#dirtyRics.size > 0) {
      this.#flushTimer = this.#clock.setTimeout(this.#flush, this.#options.flushIntervalMs).unref();
    }
  };

  readonly #tick = (): void => {
    const { state, faults } = this.#context;
    const nowMs = this.#clock.now();
    const last = this.#lastTick ?? { atMs: nowMs, posts: state.counters.posts };
    const elapsedMs = Math.max(1, nowMs - last.atMs);
    const point: RatePoint = {
      atMs: nowMs,
      postsPerSecond: Math.round(((state.counters.posts - last.posts) * 1000) / elapsedMs),
    };
    this.#lastTick = { atMs: nowMs, posts: state.counters.posts };
    this.#rate.push(point);
    if (this.#rate.length > this.#options.ratePoints)
      this.#rate.splice(0, this.#rate.length - this.#options.ratePoints);
    const data: TickEvent = {
      point,
      counters: this.#counters(),
      connections: [...state.connections.values()].map(({ id, posts, acks, naks, errors, messagesIn }) => ({
        id,
        posts,
        acks,
        naks,
        errors,
        messagesIn,
      })),
      faults: faults.list(),
      ricsTotal: state.rics.size,
    };
    this.#broadcast({ type: "tick", data });
    this.#tickTimer = this.#clock.setTimeout(this.#tick, this.#options.tickIntervalMs).unref();
  };

  #ricView(ric: string): RicView | undefined {
    const record = this.#context.state.rics.get(ric);
    if (!record) return undefined;
    const view: RicView = {
      ric,
      fields: { ...record.fields },
      updates: record.updates,
      lastUpdateMs: record.lastUpdateMs,
    };
    if (record.lastUser !== undefined) view.lastUser = record.lastUser;
    return view;
  }

  #counters(): SnapshotEvent["counters"] {
    const counters = this.#context.state.counters;
    return { ...counters, naks: { ...counters.naks } };
  }
}

/** `text` cut to {@link MAX_REFUSAL_TEXT} characters, ending in "…" when cut. */
function clip(text: string): string {
  return text.length <= MAX_REFUSAL_TEXT ? text : `${text.slice(0, MAX_REFUSAL_TEXT - 1)}…`;
}
