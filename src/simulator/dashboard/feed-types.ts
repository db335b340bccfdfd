/**
 * The dashboard's server-sent event stream, as sent on `GET /dashboard/events` (docs/simulator.md,
 * "Dashboard"). Every event's `data` is one JSON document; the page (public/app.js) reads exactly these shapes.
 */
import type { Fields } from "../../protocol/messages.js";
import type { ActiveFault } from "../faults.js";
import type { ConnectionInfo, Counters, LoginRefusal } from "../state.js";

/** Longest `text` and `user` of a `login-refused` event, characters; longer ones end in "…". */
export const MAX_REFUSAL_TEXT = 256;

/** Last values of one contributed RIC, as the quote table shows them. */
export interface RicView {
  ric: string;
  /** Every field contributed so far, last value wins. */
  fields: Fields;
  /** Accepted posts to this RIC. */
  updates: number;
  /** Epoch milliseconds of the last accepted post. */
  lastUpdateMs: number;
  /** Machine ID of the last contributor. */
  lastUser?: string;
}

/** One point of the posts-per-second chart. */
export interface RatePoint {
  /** Epoch milliseconds at the end of the measured interval. */
  atMs: number;
  /** Posts received per second over the interval (all outcomes). */
  postsPerSecond: number;
}

/** Per-connection figures refreshed by every tick (they change on every post, without an event). */
interface ConnectionCounts {
  id: string;
  posts: number;
  acks: number;
  naks: number;
  errors: number;
  messagesIn: number;
}

/** Facts about the simulator that do not change while it runs. */
export interface ServerFacts {
  /** WebSocket endpoints, in listener order. */
  wsUrls: string[];
  /** `TRCE:MaxMessagesPerSecond` advertised (§3.3). */
  maxMessagesPerSecond: number;
  /** Known RIC patterns (a post elsewhere is Nak'd `SymbolUnknown`). */
  knownRics: string[];
}

/** `event: snapshot` — everything, sent first on every (re)connection of the stream. */
export interface SnapshotEvent {
  nowMs: number;
  server: ServerFacts;
  connections: ConnectionInfo[];
  /** The most recently updated RICs, at most `maxSnapshotRics` (1,000); `rics` events bring the others as they change. */
  rics: RicView[];
  /** RICs the simulator holds, shown or not. */
  ricsTotal: number;
  counters: Counters;
  faults: ActiveFault[];
  /** Recent points of the rate chart, oldest first. */
  rate: RatePoint[];
  /** Interval between ticks, milliseconds (the chart's x step). */
  tickIntervalMs: number;
}

/** `event: tick` — once per tick interval: the rate point, all counters and the active faults. */
export interface TickEvent {
  point: RatePoint;
  counters: Counters;
  connections: ConnectionCounts[];
  faults: ActiveFault[];
  /** RICs the simulator holds (always sent by the feed). */
  ricsTotal?: number;
}

/** `event: faults` — a fault was added (one-shot faults appear here only). */
export interface FaultsEvent {
  added: ActiveFault;
  active: ActiveFault[];
}

/** Every event of the stream, keyed by its SSE event name. */
export type FeedEvent =
  | { type: "snapshot"; data: SnapshotEvent }
  /** A connection opened, logged in, re-logged in or closed (its `state` says which). */
  | { type: "connection"; data: ConnectionInfo }
  /** Last values of the RICs that changed since the previous `rics` event (at most one per RIC per flush). */
  | { type: "rics"; data: RicView[] }
  | { type: "tick"; data: TickEvent }
  | { type: "faults"; data: FaultsEvent }
  /**
   * A Login was refused: its Login Status code and text, why (`reason`), and the user name when there is one
   * (`text` and `user` come from the client and are cut to {@link MAX_REFUSAL_TEXT} characters).
   */
  | { type: "login-refused"; data: LoginRefusal };

/** Receives the feed's events; {@link SseClient} writes them to one HTTP response. */
export interface FeedSink {
  send(event: FeedEvent): void;
}
