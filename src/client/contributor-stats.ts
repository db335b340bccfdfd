/**
 * The counters behind `Contributor.stats()` and the snapshot it returns. Counters are plain numbers bumped
 * on the hot path; the snapshot is built only when asked for.
 */
import type { LatencySummary } from "./posting/latency.js";
import type { SessionState } from "./connection/session-state.js";

/** Counters of the post pipeline. */
export interface PipelineCounters {
  /** Posts written to the socket (re-sends included). */
  sent: number;
  /** Posts positively acknowledged. */
  acked: number;
  /** Naks by NakCode. */
  naked: Record<string, number>;
  /** Posts rejected by a matched server Error (ContentError). */
  contentErrors: number;
  /** Posts rejected with AckTimeoutError. */
  ackTimeouts: number;
  /** Posts rejected with ConnectionLostError (`resendInFlight: false`). */
  connectionLost: number;
  /** Acks for no post in flight (late after a timeout, duplicate or foreign). */
  unmatchedAcks: number;
  /** Server Errors that could not be tied to a post. */
  unmatchedErrors: number;
  /** Posts re-sent after a connection loss. */
  resent: number;
  /** Lost posts not re-sent: newer acknowledged posts to their RIC carried all their fields (SupersededError). */
  superseded: number;
  /** Posts merged into a queued post to the same RIC. */
  conflated: number;
  /** `contribute(…, { wait: false })` calls refused with QueueFullError. */
  queueFull: number;
  /** Posts rejected with ItemStreamError: their item stream was refused (on-stream posting, §4A.6). */
  itemStreamRefused: number;
}

/** Fresh, zeroed pipeline counters. */
export function newPipelineCounters(): PipelineCounters {
  return {
    sent: 0,
    acked: 0,
    naked: {},
    contentErrors: 0,
    ackTimeouts: 0,
    connectionLost: 0,
    unmatchedAcks: 0,
    unmatchedErrors: 0,
    resent: 0,
    superseded: 0,
    conflated: 0,
    queueFull: 0,
    itemStreamRefused: 0,
  };
}

/** A snapshot of a contributor's health, from `Contributor.stats()`. */
export interface ContributorStats {
  state: SessionState;
  /** The endpoint in use or next in line. */
  url: string;
  /** The rate limit in force, messages per second (§3.3). */
  maxMessagesPerSecond: number;
  sent: number;
  acked: number;
  /** Naks by NakCode, e.g. `{ SymbolUnknown: 2 }`. */
  naked: Record<string, number>;
  errors: {
    /** Posts rejected by a matched server Error. */
    content: number;
    ackTimeouts: number;
    connectionLost: number;
    /** Server Errors not tied to any post. */
    unmatched: number;
    /** Acks for no post in flight. */
    unmatchedAcks: number;
    queueFull: number;
    /** Posts rejected because their item stream was refused (on-stream posting). */
    itemStreamRefused: number;
    /** Lost posts not re-sent because newer acknowledged posts to the RIC carried all their fields. */
    superseded: number;
    /**
     * Server protocol errors: Acks whose AckID is not a non-negative integer (ignored), Naks whose NakCode is
     * no code, unusable rate limits or ping timeouts in a Login Refresh (ignored or clamped).
     */
    protocol: number;
  };
  /** Posts sent and awaiting an Ack. */
  inFlight: number;
  /** Posts accepted and not yet sent. */
  queued: number;
  /** Callers waiting for room in the queue. */
  waiting: number;
  resent: number;
  conflated: number;
  /** Reconnects scheduled. */
  reconnects: number;
  /** Refreshed tokens received (each followed by a `Refresh:false` re-login when ready). */
  tokenRefreshes: number;
  /** Send → Ack latency of positively acknowledged posts, milliseconds. */
  latencyMs: LatencySummary;
}

/** Everything a snapshot is made from. */
export interface StatsSources {
  state: SessionState;
  url: string;
  maxMessagesPerSecond: number;
  counters: PipelineCounters;
  inFlight: number;
  queued: number;
  waiting: number;
  reconnects: number;
  tokenRefreshes: number;
  /** Server protocol errors seen (ProtocolWarnings). */
  protocolErrors: number;
  latency: LatencySummary;
}

/** Builds the public snapshot (copies, so callers cannot change the live counters). */
export function buildStats(sources: StatsSources): ContributorStats {
  const { counters } = sources;
  return {
    state: sources.state,
    url: sources.url,
    maxMessagesPerSecond: sources.maxMessagesPerSecond,
    sent: counters.sent,
    acked: counters.acked,
    naked: { ...counters.naked },
    errors: {
      content: counters.contentErrors,
      ackTimeouts: counters.ackTimeouts,
      connectionLost: counters.connectionLost,
      unmatched: counters.unmatchedErrors,
      unmatchedAcks: counters.unmatchedAcks,
      queueFull: counters.queueFull,
      itemStreamRefused: counters.itemStreamRefused,
      superseded: counters.superseded,
      protocol: sources.protocolErrors,
    },
    inFlight: sources.inFlight,
    queued: sources.queued,
    waiting: sources.waiting,
    resent: counters.resent,
    conflated: counters.conflated,
    reconnects: sources.reconnects,
    tokenRefreshes: sources.tokenRefreshes,
    latencyMs: sources.latency,
  };
}
