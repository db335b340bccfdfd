/**
 * What the simulator saw during a chaos run, checked as it happens through the state's `"contribution"` and
 * `"connection"` events (the recorded-message ring is bounded, the events are not): PostIDs per connection,
 * the order of each RIC's values per connection, logged-in connections of the user at any one time, the
 * last accepted value of every RIC across restarts (an external log: the simulator's own state resets), and
 * the rate figures of every epoch. Memory stays bounded: a connection's bookkeeping goes when it closes.
 */
import type { ConnectionInfo, ReceivedPost, RunningSimulator } from "../../../src/simulator/index.js";
import type { SimulatorLifecycle } from "./simulator-host.js";

/** The field carrying each RIC's sequence number. */
export const SEQUENCE_FIELD = "SEC_ACT_1";

/** At most this many examples are kept per kind of finding. */
const MAX_EXAMPLES = 5;

/** How the observer relates server events to the client's view. */
export interface ObserverLinks {
  /** The machine ID the contributor logs in as. */
  user: string;
  /** Index of a RIC in the run (0-based), or undefined for a RIC the run does not use. */
  ricIndex(ric: string): number | undefined;
  /** Highest sequence number of the RIC the client has seen acknowledged so far (-1 when none). */
  ackedMax(index: number): number;
}

/** Findings of the observer; counts and a few examples each. */
export interface ServerFindings {
  postsSeen: number;
  postsAccepted: number;
  connections: number;
  /** A PostID seen twice on one connection. */
  postIdReuses: number;
  /** Posts without a PostID (the contributor always asks for an Ack). */
  postsWithoutPostId: number;
  /** A RIC's value on one connection not above its previous value on that connection (client reordering). */
  reordersWithinConnection: number;
  /** An accepted value below the RIC's last accepted value: a re-send replayed an older value. */
  replayedOlderValues: number;
  /** An accepted value below a value the client had already seen acknowledged (the old value wins for a while). */
  staleOverwrites: number;
  /** Most logged-in connections of the user at one time (1 is right). */
  maxConcurrentLogins: number;
  /** Largest number of inbound messages in any one-second window, over all epochs. */
  maxMessagesInWindow: number;
  /** Inbound messages that arrived with the window already at the limit, summed over all epochs. */
  messagesOverLimit: number;
  examples: Record<string, string[]>;
}

interface ConnectionBook {
  postIds: Set<number>;
  lastSeq: Map<number, number>;
}

/** Subscribes to every epoch's simulator; see the file comment. */
export class ServerObserver implements SimulatorLifecycle {
  readonly #links: ObserverLinks;
  readonly #books = new Map<string, ConnectionBook>();
  readonly #loggedIn = new Set<string>();
  /** Last accepted sequence number per RIC index, across restarts (-1: none). */
  readonly lastAccepted: Float64Array;
  /** Epoch of the last accepted value per RIC index (0: none). */
  readonly acceptedInEpoch: Uint32Array;
  readonly findings: ServerFindings = {
    postsSeen: 0,
    postsAccepted: 0,
    connections: 0,
    postIdReuses: 0,
    postsWithoutPostId: 0,
    reordersWithinConnection: 0,
    replayedOlderValues: 0,
    staleOverwrites: 0,
    maxConcurrentLogins: 0,
    maxMessagesInWindow: 0,
    messagesOverLimit: 0,
    examples: {},
  };
  readonly #detach = new Map<RunningSimulator, () => void>();

  /** @param rics number of RICs in the run. */
  constructor(links: ObserverLinks, rics: number) {
    this.#links = links;
    this.lastAccepted = new Float64Array(rics).fill(-1);
    this.acceptedInEpoch = new Uint32Array(rics);
  }

  /** The connection id (as the simulator names it) of the user's logged-in connection, if exactly one. */
  get loggedInConnection(): string | undefined {
    if (this.#loggedIn.size !== 1) return undefined;
    const [key] = this.#loggedIn;
    return key?.split("/")[1];
  }

  started(sim: RunningSimulator, epoch: number): void {
    const onContribution = (post: ReceivedPost): void => this.#onContribution(post, epoch);
    const onConnection = (info: ConnectionInfo): void => this.#onConnection(info, epoch);
    sim.state.on("contribution", onContribution);
    sim.state.on("connection", onConnection);
    this.#detach.set(sim, () => {
      sim.state.off("contribution", onContribution);
      sim.state.off("connection", onConnection);
    });
  }

  stopped(sim: RunningSimulator): void {
    this.#collectRate(sim);
    this.#detach.get(sim)?.();
    this.#detach.delete(sim);
  }

  /** Folds in the rate figures of a simulator that is still running (the last epoch). */
  collectLiveRate(sim: RunningSimulator): void {
    this.#collectRate(sim);
  }

  #collectRate(sim: RunningSimulator): void {
    const { findings } = this;
    findings.maxMessagesInWindow = Math.max(findings.maxMessagesInWindow, sim.state.maxMessagesInWindow);
    findings.messagesOverLimit += sim.state.messagesOverLimit;
  }

  #note(kind: string, text: string): void {
    const list = (this.findings.examples[kind] ??= []);
    if (list.length < MAX_EXAMPLES) list.push(text);
  }

  #onConnection(info: ConnectionInfo, epoch: number): void {
    const key = `${epoch}/${info.id}`;
    if (info.state === "closed") {
      this.#books.delete(key);
      this.#loggedIn.delete(key);
      return;
    }
    if (!this.#books.has(key)) {
      this.#books.set(key, { postIds: new Set(), lastSeq: new Map() });
      this.findings.connections += 1;
    }
    if (info.state === "logged-in" && info.user === this.#links.user) {
      this.#loggedIn.add(key);
      if (this.#loggedIn.size > this.findings.maxConcurrentLogins) {
        this.findings.maxConcurrentLogins = this.#loggedIn.size;
      }
      if (this.#loggedIn.size > 1) this.#note("concurrentLogins", [...this.#loggedIn].join(" + "));
    } else {
      this.#loggedIn.delete(key);
    }
  }

  #onContribution(post: ReceivedPost, epoch: number): void {
    const { findings } = this;
    findings.postsSeen += 1;
    const key = `${epoch}/${post.connectionId}`;
    let book = this.#books.get(key);
    if (book === undefined) {
      book = { postIds: new Set(), lastSeq: new Map() };
      this.#books.set(key, book);
    }
    if (post.postId === undefined) {
      findings.postsWithoutPostId += 1;
    } else if (book.postIds.has(post.postId)) {
      findings.postIdReuses += 1;
      this.#note("postIdReuses", `PostID ${post.postId} twice on connection ${key}`);
    } else {
      book.postIds.add(post.postId);
    }
    const index = this.#links.ricIndex(post.ric);
    const seq = post.fields[SEQUENCE_FIELD];
    if (index === undefined || typeof seq !== "number") return;
    const previous = book.lastSeq.get(index);
    if (previous !== undefined && seq <= previous) {
      findings.reordersWithinConnection += 1;
      this.#note("reordersWithinConnection", `${post.ric}: ${seq} after ${previous} on connection ${key}`);
    }
    book.lastSeq.set(index, seq);
    if (post.outcome !== "ack" && post.outcome !== "no-ack") return;
    findings.postsAccepted += 1;
    const last = this.lastAccepted[index] ?? -1;
    if (seq < last) {
      findings.replayedOlderValues += 1;
      this.#note("replayedOlderValues", `${post.ric}: ${seq} accepted after ${last} (connection ${key})`);
    }
    const acked = this.#links.ackedMax(index);
    if (seq < acked) {
      findings.staleOverwrites += 1;
      this.#note("staleOverwrites", `${post.ric}: ${seq} accepted after the client saw ${acked} acked (${key})`);
    }
    this.lastAccepted[index] = seq;
    this.acceptedInEpoch[index] = epoch;
  }
}
