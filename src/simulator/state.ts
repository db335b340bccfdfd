/**
 * What the simulator knows and shows: live connections, per-RIC last values, a ring of recent posts, a
 * ring of recorded inbound messages (item 32), counters, and the sessions logged in per machine ID. Memory
 * stays bounded: rings have fixed sizes, closed connections are dropped, the per-user table holds only
 * configured accounts, and everything else is a counter.
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

/**
 * Sessions of one machine ID logged in at the same time, on any connection of any listener. RDP exclusive
 * sign-on (§1.7) lets one session per machine ID live; the simulator does not enforce that on its WebSocket
 * side, it records it, so a test can check that its clients never overlap.
 */
export interface UserLogins {
  /** Sessions logged in now: Login accepted, and neither closed, refused nor cut since. */
  current: number;
  /** Most sessions logged in at once since the simulator started. */
  max: number;
}

/** A Login the simulator refused (§2.6): what the client was told, and why. */
export interface LoginRefusal {
  atMs: number;
  connectionId: string;
  listener: number;
  remoteAddress: string;
  /** State code of the Login Status sent, e.g. "NotEntitled" or "UserUnknownToPermSys" (§2.10). */
  code: string;
  /** Text of the Login Status sent. */
  text: string;
  /** Why, as a stable tag: "token-unknown", "token-expired", "unknown-user", "fault", "no-token", … */
  reason: string;
  /** Whether it was a re-login on an open session (the session ends with it). */
  relogin: boolean;
  /** The DACS user name of a refused user-name login, or the user of the session a re-login was on; never a token. */
  user?: string;
}

/** Events for the dashboard and tests. */
export interface StateEvents {
  connection: [ConnectionInfo];
  contribution: [ReceivedPost];
  "login-refused": [LoginRefusal];
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
  readonly #loginsByUser = new Map<string, UserLogins>();
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

  /**
   * Sessions logged in per machine ID (the user of a token's RDP session, or the DACS user name of an ADS
   * user-name Login), now and at most so far. A user stays listed, with `current` 0, once its sessions end.
   * Only accepted Logins add users, and a Login is accepted only for a configured account, so the table holds
   * at most `config.accounts.length` entries whatever clients send.
   */
  get loginsByUser(): ReadonlyMap<string, Readonly<UserLogins>> {
    return this.#loginsByUser;
  }

  /** A session of `user` is logged in from now on (its Login accepted). */
  sessionLoggedIn(user: string): void {
    let logins = this.#loginsByUser.get(user);
    if (logins === undefined) {
      logins = { current: 0, max: 0 };
      this.#loginsByUser.set(user, logins);
    }
    logins.current += 1;
    if (logins.current > logins.max) logins.max = logins.current;
  }

  /** A session of `user` counted by {@link sessionLoggedIn} has ended; call exactly once per session. */
  sessionLoggedOut(user: string): void {
    const logins = this.#loginsByUser.get(user);
    if (logins !== undefined && logins.current > 0) logins.current -= 1;
  }

  /** Counts a refused Login and announces it. */
  recordLoginRefusal(refusal: LoginRefusal): void {
    this.counters.loginRejections += 1;
    this.emit("login-refused", refusal);
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
      // Re-inserted so the Map stays ordered by last update: the admin API and the dashboard page the newest first.
      this.rics.delete(post.ric);
      this.rics.set(post.ric, record);
    }
    this.recentPosts.push(post);
    this.emit("contribution", post);
  }

  /**
   * Why an accepted post may not be stored, or undefined when it fits the table's bounds: the table is full and
   * the RIC is new, or the RIC would hold more than `limits.maxFieldsPerRic` fields.
   * @param replace whether the post replaces the RIC's image (a posted Refresh) rather than merging into it.
   */
  storageProblem(ric: string, fields: Fields, replace: boolean, limits: RicTableLimits): string | undefined {
    const record = this.rics.get(ric);
    if (record === undefined && this.rics.size >= limits.maxRics) {
      return `The simulator holds at most ${limits.maxRics} RICs; ${ric} would be one more`;
    }
    let count = 0;
    if (record === undefined || replace) {
      for (const _name in fields) count += 1;
    } else {
      count = Object.keys(record.fields).length;
      if (count + Object.keys(fields).length <= limits.maxFieldsPerRic) return undefined;
      for (const name in fields) if (!Object.hasOwn(record.fields, name)) count += 1;
    }
    return count > limits.maxFieldsPerRic
      ? `A RIC holds at most ${limits.maxFieldsPerRic} fields; ${ric} would hold ${count}`
      : undefined;
  }

  /**
   * The JSON body of `GET /admin/state`: one page of the RICs, newest update first, never the whole table (it may
   * hold `maxRics` images), with the totals.
   */
  snapshot(nowMs: number, page: PageRequest = DEFAULT_PAGE): StateSnapshot {
    const connections = newestPage([...this.connections.values()], { offset: 0, limit: page.limit });
    const ricPage = newestPage(this.rics, page);
    return {
      now: new Date(nowMs).toISOString(),
      counts: { connections: this.connections.size, rics: this.rics.size },
      connections: connections.items.map((info) => ({ ...info })),
      rics: Object.fromEntries(
        ricPage.items.map((record) => [
          record.ric,
          {
            fields: { ...record.fields },
            updates: record.updates,
            lastUpdate: new Date(record.lastUpdateMs).toISOString(),
          },
        ]),
      ),
      page: ricPage.page,
      counters: { ...this.counters, naks: { ...this.counters.naks } },
      maxMessagesInWindow: this.maxMessagesInWindow,
      messagesOverLimit: this.messagesOverLimit,
      loginsByUser: Object.fromEntries(
        [...this.#loginsByUser].map(([user, logins]) => [user, { current: logins.current, max: logins.max }]),
      ),
    };
  }

  /** Recent posts, oldest first, optionally for one RIC. */
  contributions(ric?: string): ReceivedPost[] {
    const all = this.recentPosts.toArray();
    return ric === undefined ? all : all.filter((post) => post.ric === ric);
  }
}

/** Bounds of the last-value table (from the simulator config). */
export interface RicTableLimits {
  /** Most RICs held. @default 100_000 */
  maxRics: number;
  /** Most fields per RIC. @default 1_000 */
  maxFieldsPerRic: number;
}

/** Which part of a collection an admin answer carries, newest first. */
export interface PageRequest {
  /** Entries to skip from the newest. @default 0 */
  offset: number;
  /** Most entries returned. @default 1_000 */
  limit: number;
}

/** What an answer's page holds, to fetch the next one with `?offset=nextOffset`. */
export interface PageInfo {
  offset: number;
  limit: number;
  /** Entries in this page. */
  returned: number;
  /** Entries in the whole collection. */
  total: number;
  /** Offset of the next page; absent on the last one. */
  nextOffset?: number;
}

/** Largest page an admin answer or the dashboard snapshot carries. */
export const MAX_PAGE_LIMIT = 1_000;

const DEFAULT_PAGE: PageRequest = { offset: 0, limit: MAX_PAGE_LIMIT };

/**
 * Entries `offset … offset + limit` counted from the newest of `collection` (oldest first, as Maps and rings keep
 * them), newest first. Walks the collection once; never copies more than the page.
 */
export function newestPage<T>(
  collection: ReadonlyMap<unknown, T> | readonly T[],
  request: PageRequest,
): { items: T[]; page: PageInfo } {
  const total = Array.isArray(collection) ? collection.length : (collection as ReadonlyMap<unknown, T>).size;
  const limit = Math.min(Math.max(request.limit, 0), MAX_PAGE_LIMIT);
  const offset = Math.max(request.offset, 0);
  const end = Math.max(total - offset, 0);
  const start = Math.max(end - limit, 0);
  const items: T[] = [];
  if (Array.isArray(collection)) {
    for (let index = end - 1; index >= start; index -= 1) items.push(collection[index] as T);
  } else {
    let index = 0;
    for (const value of (collection as ReadonlyMap<unknown, T>).values()) {
      if (index >= end) break;
      if (index >= start) items.push(value);
      index += 1;
    }
    items.reverse();
  }
  const page: PageInfo = { offset, limit, returned: items.length, total };
  if (start > 0) page.nextOffset = offset + items.length;
  return { items, page };
}

/** Shape of `GET /admin/state`. */
export interface StateSnapshot {
  now: string;
  /** Sizes of the whole collections (the lists below are pages of at most {@link MAX_PAGE_LIMIT}). */
  counts: { connections: number; rics: number };
  /** The newest open connections. */
  connections: ConnectionInfo[];
  /** One page of the RICs, newest update first. */
  rics: Record<string, { fields: Fields; updates: number; lastUpdate: string }>;
  /** Which RICs `rics` holds. */
  page: PageInfo;
  counters: Counters;
  maxMessagesInWindow: number;
  messagesOverLimit: number;
  /** Sessions logged in per machine ID, now and at most at once (at most one entry per configured account). */
  loginsByUser: Record<string, UserLogins>;
}
