/**
 * The snapshot `Contributor.stats()` returns, built only when asked for from the session's and the
 * pipeline's counters (posting/pipeline-counters.ts).
 */
import type { LatencySummary } from "./posting/latency.js";
import type { PipelineCounters } from "./posting/pipeline-counters.js";
import type { SessionState } from "./connection/session-state.js";

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
