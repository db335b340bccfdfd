/**
 * The session's lifecycle as one string union, the legal moves between states and the session's counters
 * (STYLE habit 2). What the session tells its owner is in session-events.ts.
 */

/** Where a session is in its life. */
export type SessionState =
  | "idle"
  | "authenticating"
  | "connecting"
  | "logging-in"
  | "ready"
  | "backing-off"
  | "closing"
  | "closed";

/**
 * Legal moves. Every running state may go to "backing-off" (a retriable failure), "closing" (the user
 * called close()) or straight to "closed" (a fatal failure); "closed" is final.
 */
const LEGAL_TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  idle: ["authenticating", "closing", "closed"],
  authenticating: ["connecting", "backing-off", "closing", "closed"],
  connecting: ["logging-in", "backing-off", "closing", "closed"],
  "logging-in": ["ready", "backing-off", "closing", "closed"],
  ready: ["backing-off", "closing", "closed"],
  "backing-off": ["authenticating", "closing", "closed"],
  closing: ["closed"],
  closed: [],
};

/** Whether `from → to` is a legal move. */
export function isLegalTransition(from: SessionState, to: SessionState): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

/** Counters of a session. */
export interface SessionCounters {
  /** Reconnects scheduled (entries into "backing-off"). */
  reconnects: number;
  /** Tokens received from the provider's refresh schedule. */
  tokenRefreshes: number;
  /** Entries into each state. */
  transitions: Record<SessionState, number>;
}

/** Zeroed counters of a session that starts "idle". */
export function newSessionCounters(): SessionCounters {
  const transitions = Object.fromEntries(Object.keys(LEGAL_TRANSITIONS).map((state) => [state, 0]));
  return { reconnects: 0, tokenRefreshes: 0, transitions: { ...transitions, idle: 1 } as Record<SessionState, number> };
}
