/**
 * Enumerations of the WebSocket API (tr_json2) with their RWF integer values.
 * Source: docs/protocol.md §2.3, §2.9, §2.10.
 */

/** Nak codes, wire string → RWF integer (§2.9). */
export const NAK_CODES = {
  None: 0,
  AccessDenied: 1,
  DeniedBySrc: 2,
  SourceDown: 3,
  SourceUnknown: 4,
  NoResources: 5,
  NoResponse: 6,
  GatewayDown: 7,
  SymbolUnknown: 10,
  NotOpen: 11,
  InvalidContent: 12,
} as const;

/** A Nak code as it appears on the wire. */
export type NakCode = keyof typeof NAK_CODES;

/** Nak codes after which re-sending the same post later may succeed. */
export const RETRIABLE_NAK_CODES: ReadonlySet<NakCode> = new Set<NakCode>([
  "NoResources",
  "NoResponse",
  "SourceDown",
  "GatewayDown",
]);

/** Stream states (§2.10). */
export const STREAM_STATES = { Open: 1, NonStreaming: 2, ClosedRecover: 3, Closed: 4, Redirected: 5 } as const;

/** Data states (§2.10). */
export const DATA_STATES = { NoChange: 0, Ok: 1, Suspect: 2 } as const;

/** State codes (§2.10). */
export const STATE_CODES = {
  None: 0,
  NotFound: 1,
  Timeout: 2,
  NotEntitled: 3,
  InvalidArgument: 4,
  UsageError: 5,
  Preempted: 6,
  JitConflationStarted: 7,
  RealtimeResumed: 8,
  FailoverStarted: 9,
  FailoverCompleted: 10,
  GapDetected: 11,
  NoResources: 12,
  TooManyItems: 13,
  AlreadyOpen: 14,
  SourceUnknown: 15,
  NotOpen: 16,
  NonUpdatingItem: 19,
  UnsupportedViewType: 20,
  InvalidView: 21,
  FullViewProvided: 22,
  UnableToRequestAsBatch: 23,
  NoBatchViewSupportInReq: 26,
  ExceededMaxMountsPerUser: 27,
  Error: 28,
  DacsDown: 29,
  UserUnknownToPermSys: 30,
  MaxLoginsReached: 31,
  UserAccessToAppDenied: 32,
  GapFill: 34,
  AppAuthorizationFailed: 35,
} as const;

/** Message types (§2.3): RWF classes 1–8, plus the JSON-only Ping, Pong and Error. */
export const MESSAGE_TYPES = {
  Request: 1,
  Refresh: 2,
  Status: 3,
  Update: 4,
  Close: 5,
  Ack: 6,
  Generic: 7,
  Post: 8,
} as const;

/** Reverse lookup of an enum table: integer → name, or undefined. */
export function nameOf<T extends Record<string, number>>(table: T, value: number): keyof T | undefined {
  for (const [name, number] of Object.entries(table)) if (number === value) return name;
  return undefined;
}

/**
 * Normalises an enum-valued key that may arrive as a string or its integer (§4A.7).
 * @returns the wire name, or undefined when the value is neither a known name nor a known number.
 */
export function enumName<T extends Record<string, number>>(table: T, value: unknown): keyof T | undefined {
  if (typeof value === "string") return Object.hasOwn(table, value) ? value : undefined;
  if (typeof value === "number") return nameOf(table, value);
  return undefined;
}
