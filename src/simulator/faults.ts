/**
 * Fault injection switches of the simulator. Faults are set through the admin API or
 * programmatically, optionally limited to one listener or connection, a duration, or a number of uses.
 * One-shot faults (`system-busy`, `disconnect`) act at once on the connections they match; the others stay
 * active until they expire, are used up or are cleared.
 */
import { EventEmitter } from "node:events";
import type { Clock } from "../util/clock.js";

/** Every fault type the simulator understands. */
export const FAULT_TYPES = [
  /** Login Status Closed/Suspect/NoResources "System busy", then close (item 17). One-shot. */
  "system-busy",
  /** Drop the TCP connection without a close handshake. One-shot. */
  "disconnect",
  /** Stop sending Pings. */
  "stop-pings",
  /** Accept posts but send no Ack. */
  "drop-acks",
  /** Delay every Ack by `ms`. */
  "delay-acks",
  /** Nak posts with `code` (default NoResources), optionally only for `ric`. */
  "nak",
  /** Refuse Logins with Status Closed/Suspect, `code` (default NotEntitled) and `text`. */
  "reject-logins",
  /** Token endpoint answers with HTTP `status` (default 503) and an OAuth2 error body. */
  "token-errors",
  /** Token endpoint answers with a redirect (`status` 301/302/307/308, default 307) to itself. */
  "token-redirect",
  /** Token endpoint waits `ms` before answering. */
  "token-delay",
  /** Token endpoint issues tokens with `expires_in` = `seconds` (a shrinking lifetime). */
  "token-expires-in",
] as const;

/** A fault type name. */
export type FaultType = (typeof FAULT_TYPES)[number];

/** A fault as requested (`POST /admin/faults` body). */
export interface FaultSpec {
  type: FaultType;
  /** Only this listener index (0-based, in `wsUrls` order). */
  listener?: number;
  /** Only this connection id (as listed by `GET /admin/state`). */
  connection?: string;
  /** Active for this many milliseconds; forever when absent. */
  durationMs?: number;
  /** Active for this many uses (e.g. 3 token errors); unlimited when absent. */
  count?: number;
  /** Milliseconds, for `delay-acks` and `token-delay`. */
  ms?: number;
  /** Nak code for `nak`, state code for `reject-logins`. */
  code?: string;
  /** Text for `nak` and `reject-logins`. */
  text?: string;
  /** HTTP status for `token-errors` / `token-redirect`. */
  status?: number;
  /** RIC for `nak`. */
  ric?: string;
  /** Seconds for `token-expires-in`. */
  seconds?: number;
}

/** A fault the registry holds. */
export interface ActiveFault extends FaultSpec {
  id: number;
  createdAtMs: number;
  /** Epoch ms at which it stops, if limited in time. */
  expiresAtMs?: number;
  /** Uses left, if limited in count. */
  remaining?: number;
}

/** Where a fault is being checked. */
export interface FaultScope {
  listener?: number;
  connection?: string;
  ric?: string;
}

/** Faults that act once, when set, on the matching connections. */
const ONE_SHOT_FAULTS: ReadonlySet<FaultType> = new Set<FaultType>(["system-busy", "disconnect"]);

/**
 * Holds the active faults. Emits `"fault"` with the {@link ActiveFault} whenever one is added, so the
 * WebSocket listeners can act on one-shot faults at once.
 */
export class FaultRegistry extends EventEmitter<{ fault: [ActiveFault] }> {
  readonly #clock: Clock;
  #faults: ActiveFault[] = [];
  #nextId = 1;

  constructor(clock: Clock) {
    super();
    this.#clock = clock;
  }

  /** Adds a fault; one-shot faults are announced but not kept. */
  add(spec: FaultSpec): ActiveFault {
    const now = this.#clock.now();
    const fault: ActiveFault = { ...spec, id: this.#nextId++, createdAtMs: now };
    if (spec.durationMs !== undefined) fault.expiresAtMs = now + spec.durationMs;
    if (spec.count !== undefined) fault.remaining = spec.count;
    if (!ONE_SHOT_FAULTS.has(spec.type)) this.#faults.push(fault);
    this.emit("fault", fault);
    return fault;
  }

  /** Removes every fault, or only those of one type. @returns how many were removed. */
  clear(type?: FaultType): number {
    const before = this.#faults.length;
    this.#faults = type === undefined ? [] : this.#faults.filter((fault) => fault.type !== type);
    return before - this.#faults.length;
  }

  /** The faults still active. */
  list(): ActiveFault[] {
    this.#expire();
    return [...this.#faults];
  }

  /**
   * The first active fault of `type` matching `scope`, or undefined. With `consume` (default true) a
   * count-limited fault uses up one of its uses.
   */
  match(type: FaultType, scope: FaultScope = {}, consume = true): ActiveFault | undefined {
    this.#expire();
    const fault = this.#faults.find((candidate) => candidate.type === type && matchesScope(candidate, scope));
    if (fault && consume && fault.remaining !== undefined) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.#faults = this.#faults.filter((candidate) => candidate !== fault);
    }
    return fault;
  }

  #expire(): void {
    const now = this.#clock.now();
    if (this.#faults.some((fault) => fault.expiresAtMs !== undefined && fault.expiresAtMs <= now)) {
      this.#faults = this.#faults.filter((fault) => fault.expiresAtMs === undefined || fault.expiresAtMs > now);
    }
  }
}

/** Whether a fault applies to a scope: each restriction the fault has must match. */
export function matchesScope(fault: FaultSpec, scope: FaultScope): boolean {
  if (fault.listener !== undefined && fault.listener !== scope.listener) return false;
  if (fault.connection !== undefined && fault.connection !== scope.connection) return false;
  if (fault.ric !== undefined && fault.ric !== scope.ric) return false;
  return true;
}
