/**
 * What the simulator knows and shows: live connections, per-RIC last values, a ring of recent posts, a
 * ring of recorded inbound messages (item 32) and counters. Memory stays bounded: rings have fixed sizes,
 * closed connections are dropped, and everything else is a counter (issue 2, part 3).
 */
import { EventEmitter } from "node:events";
import type { Fields } from "../protocol/messages.js";
import { Ring } from "../util/ring.js";

/** A WebSocket connection as the simulator sees it. */
export interface ConnectionInfo {
  /** Stable id, e.g. "c12"; used by the admin API's fault scopes. */
  id: string;
  /** Listener index (0-based, `wsUrls` order). */
  listener: number;
  remoteAddress: string;
  connectedAtMs: number;
  state: "connected" | "logged-in" | "closed";
  /** Machine ID of the logged-in user. */
  user?: string;
  position?: string;
  applicationId?: string;
  loggedInAtMs?: number;
  /** Logins accepted on this connection (first login and re-logins). */
  logins: number;
  messagesIn: number;
  messagesOut: number;
  posts: number;
  acks: number;
  naks: number;
  errors: number;
  /** Largest number of inbound messages seen in any sliding one-second window. */
  maxMessagesInWindow: number;
  /** Inbound messages that arrived while the window was already at the limit. */
  messagesOverLimit: number;
}

/** Last known image of a contributed RIC. */
export interface RicRecord {
  ric: string;
  fields: Fields;
  updates: number;
  lastUpdateMs: number;
  lastUser?: string;
}

/** Outcome of one received post. */
export type PostOutcome = "ack" | "nak" | "error" | "no-ack";

/** One post as received (for `/admin/contributions`). */
export interface ReceivedPost {
  atMs: number;
  connectionId: string;
  listener: number;
  user?: string;
  ric: string;
  postId?: number;
  fields: Fields;
  outcome: PostOutcome;
  nakCode?: string;
  text?: string;
}

/** One inbound message as recorded (item 32). */
export interface RecordedMessage {
  atMs: number;
  connectionId: string;
  message: unknown;
}

/** Counters over the simulator's lifetime. */
export interface Counters {
  connections: number;
  logins: number;
  loginRejections: number;
  messagesIn: number;
  posts: number;
  acks: number;
  naks: Record<string, number>;
  errors: number;
  pingsSent: number;
  pongsReceived: number;
  tokensIssued: number;
  tokenErrors: number;
}

/** Events for the dashboard and tests. */
export interface StateEvents {
  connection: [ConnectionInfo];
  contribution: [ReceivedPost];
}

/** Sizes of the rings. */
export interface StateLimits {
  /** @default 10_000 */
  recentPosts: number;
  /** @default 10_000 */
  recordedMessages: number;
}

/** The simulator's observable state. */
export class SimulatorState extends EventEmitter<StateEvents> {
  readonly connections = new Map<string, ConnectionInfo>();
  readonly rics = new Map<string, RicRecord>();
  readonly recentPosts: Ring<ReceivedPost>;
  readonly recordedMessages: Ring<RecordedMessage>;
  readonly counters: Counters = {
    connections: 0,
    logins: 0,
    loginRejections: 0,
    messagesIn: 0,
    posts: 0,
    acks: 0,
    naks: {},
    errors: 0,
    pingsSent: 0,
    pongsReceived: 0,
    tokensIssued: 0,
    tokenErrors: 0,
  };
  /** Largest `maxMessagesInWindow` of any connection, closed ones included. */
  maxMessagesInWindow = 0;
  /** Sum of `messagesOverLimit` of every connection, closed ones included. */
  messagesOverLimit = 0;
  #nextConnection = 1;

  constructor(limits: StateLimits = { recentPosts: 10_000, recordedMessages: 10_000 }) {
    super();
    this.recentPosts = new Ring(limits.recentPosts);
    this.recordedMessages = new Ring(limits.recordedMessages);
  }

  /** Registers a new connection and returns its record (mutate it, then call {@link changed}). */
  openConnection(listener: number, remoteAddress: string, nowMs: number): ConnectionInfo {
    const info: ConnectionInfo = {
      id: `c${this.#nextConnection++}`,
      listener,
      remoteAddress,
      connectedAtMs: nowMs,
      state: "connected",
      logins: 0,
      messagesIn: 0,
      messagesOut: 0,
      posts: 0,
      acks: 0,
      naks: 0,
      errors: 0,
      maxMessagesInWindow: 0,
      messagesOverLimit: 0,
    };
    this.connections.set(info.id, info);
    this.counters.connections += 1;
    this.emit("connection", info);
    return info;
  }

  /** Announces a change of a connection's state or identity. */
  changed(info: ConnectionInfo): void {
    this.emit("connection", info);
  }

  /** Marks a connection closed and forgets it (its counters stay in the totals). */
  closeConnection(info: ConnectionInfo): void {
    if (info.state === "closed") return;
    info.state = "closed";
    this.connections.delete(info.id);
    this.emit("connection", info);
  }

  /** Records the sliding-window figures of a connection after each inbound message. */
  noteWindow(info: ConnectionInfo, countInWindow: number, overLimit: boolean): void {
    if (countInWindow > info.maxMessagesInWindow) info.maxMessagesInWindow = countInWindow;
    if (countInWindow > this.maxMessagesInWindow) this.maxMessagesInWindow = countInWindow;
    if (overLimit) {
      info.messagesOverLimit += 1;
      this.messagesOverLimit += 1;
    }
  }

  /** Records one inbound message (item 32). */
  recordMessage(connectionId: string, message: unknown, nowMs: number): void {
    this.counters.messagesIn += 1;
    this.recordedMessages.push({ atMs: nowMs, connectionId, message });
  }

  /** Records a post's outcome; an accepted one (`ack` or `no-ack`) updates the RIC's last values. */
  recordPost(post: ReceivedPost): void {
    this.counters.posts += 1;
    if (post.outcome === "ack") this.counters.acks += 1;
    if (post.outcome === "nak" && post.nakCode !== undefined) {
      this.counters.naks[post.nakCode] = (this.counters.naks[post.nakCode] ?? 0) + 1;
    }
    if (post.outcome === "error") this.counters.errors += 1;
    if (post.outcome === "ack" || post.outcome === "no-ack") {
      const record = this.rics.get(post.ric) ?? { ric: post.ric, fields: {}, updates: 0, lastUpdateMs: 0 };
      Object.assign(record.fields, post.fields);
      record.updates += 1;
      record.lastUpdateMs = post.atMs;
      if (post.user !== undefined) record.lastUser = post.user;
      this.rics.set(post.ric, record);
    }
    this.recentPosts.push(post);
    this.emit("contribution", post);
  }

  /** The JSON body of `GET /admin/state`. */
  snapshot(nowMs: number): StateSnapshot {
    return {
      now: new Date(nowMs).toISOString(),
      connections: [...this.connections.values()].map((info) => ({ ...info })),
      rics: Object.fromEntries(
        [...this.rics.values()].map((record) => [
          record.ric,
          {
            fields: { ...record.fields },
            updates: record.updates,
            lastUpdate: new Date(record.lastUpdateMs).toISOString(),
          },
        ]),
      ),
      counters: { ...this.counters, naks: { ...this.counters.naks } },
      maxMessagesInWindow: this.maxMessagesInWindow,
      messagesOverLimit: this.messagesOverLimit,
    };
  }

  /** Recent posts, oldest first, optionally for one RIC. */
  contributions(ric?: string): ReceivedPost[] {
    const all = this.recentPosts.toArray();
    return ric === undefined ? all : all.filter((post) => post.ric === ric);
  }
}

/** Shape of `GET /admin/state`. */
export interface StateSnapshot {
  now: string;
  connections: ConnectionInfo[];
  rics: Record<string, { fields: Fields; updates: number; lastUpdate: string }>;
  counters: Counters;
  maxMessagesInWindow: number;
  messagesOverLimit: number;
}
