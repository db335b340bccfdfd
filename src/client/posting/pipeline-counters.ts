/**
 * The post pipeline's counters: plain numbers bumped on the hot path, read by `Contributor.stats()` when asked
 * (contributor-stats.ts builds the snapshot).
 */

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
