/**
 * What a one-shot command says while it waits to get connected. A healthy connect takes well under a second and
 * says nothing; one that hangs — a token endpoint or an RCC host that takes the connection and never answers, a
 * firewall dropping packets — would otherwise be silent until `--connect-timeout` (30 s by default). So once
 * getting connected has taken {@link DEFAULT_NOTE_AFTER_MS}, the step being waited for is said on stderr
 * (`rcc: waiting for the token endpoint https://…`), and from then on each new step once it has lasted
 * {@link DEFAULT_NOTE_SETTLE_MS} (`rcc: connecting to wss://… (attempt 2)`), never the same line twice in a row.
 * Timing runs on an injected clock, so tests drive it without sleeping.
 */
import type { Clock, SessionState, TimerHandle } from "../index.js";
import { safeUrl } from "../internal.js";
import { formatDuration } from "./duration.js";
import { safeLine } from "./terminal-text.js";

/** Time getting connected may take before the first note, milliseconds. */
const DEFAULT_NOTE_AFTER_MS = 2000;

/** Time a later step must last to be noted (steps that pass in a blink are not), milliseconds. */
const DEFAULT_NOTE_SETTLE_MS = 250;

/** Options of {@link WaitingNotes}. */
export interface WaitingNotesOptions {
  /** Time source of the note timers. */
  clock: Clock;
  /** Writes one note (a line without its newline). */
  write: (line: string) => void;
  /** Time getting connected may take before the first note, milliseconds. @default DEFAULT_NOTE_AFTER_MS */
  afterMs?: number;
  /** Time a step must last to be noted once past `afterMs`, milliseconds. @default DEFAULT_NOTE_SETTLE_MS */
  settleMs?: number;
}

/** Notes the step being waited for once getting connected is slow; see the file comment. */
export class WaitingNotes {
  readonly #clock: Clock;
  readonly #write: (line: string) => void;
  readonly #afterMs: number;
  readonly #settleMs: number;
  readonly #startedAtMs: number;
  #current: string | undefined;
  #lastWritten: string | undefined;
  #timer: TimerHandle | undefined;
  #stopped = false;

  /** Starts the clock of the first note now. */
  constructor(options: WaitingNotesOptions) {
    this.#clock = options.clock;
    this.#write = options.write;
    this.#afterMs = options.afterMs ?? DEFAULT_NOTE_AFTER_MS;
    this.#settleMs = options.settleMs ?? DEFAULT_NOTE_SETTLE_MS;
    this.#startedAtMs = options.clock.monotonic();
  }

  /**
   * The step now being waited for changed.
   * @param note its line (already safe to print), or undefined for a step worth no note (e.g. logged in).
   */
  step(note: string | undefined): void {
    if (this.#stopped || note === this.#current) return;
    this.#current = note;
    this.#clearTimer();
    if (note === undefined || note === this.#lastWritten) return;
    const sinceStartMs = this.#clock.monotonic() - this.#startedAtMs;
    const delayMs = sinceStartMs < this.#afterMs ? this.#afterMs - sinceStartMs : this.#settleMs;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped || this.#current !== note) return;
      this.#lastWritten = note;
      this.#write(note);
    }, delayMs);
  }

  /** Connected, or given up: no note any more. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** `url` without user-info or query, for showing; as given when it does not parse (the checks report that). */
export function shownUrl(url: string | undefined): string {
  try {
    return safeUrl(url ?? "");
  } catch {
    return url ?? "";
  }
}

/** Where a session stands, as {@link sessionNote} needs it. */
export interface SessionProgress {
  state: SessionState;
  /** The endpoint in use or next in line. */
  url: string;
  /** The token endpoint of a token login; undefined for a user-name login (no token step). */
  authUrl: string | undefined;
  /** The reconnect planned after the last failure, while backing off or after it. */
  lastPlan?: { attempt: number; delayMs: number; cause: Error } | undefined;
  /** Whether the backing-off in progress has its plan yet (the plan is published just after the state). */
  planKnown?: boolean;
}

/**
 * The note for a session's step: `rcc: waiting for the token endpoint …`, `rcc: connecting to … (attempt N)`,
 * `rcc: connected to …; waiting for the Login Refresh`, `rcc: attempt N failed (…); retrying in 1.2 s`; undefined
 * when there is nothing to wait for (idle with a user-name login, ready, closing, closed). Peer text in a
 * failure's message is escaped.
 */
export function sessionNote(progress: SessionProgress): string | undefined {
  const attempt = (progress.lastPlan?.attempt ?? 0) + 1;
  const again = attempt > 1 ? ` (attempt ${attempt})` : "";
  switch (progress.state) {
    case "idle":
    case "authenticating":
      return progress.authUrl === undefined
        ? undefined
        : `rcc: waiting for the token endpoint ${shownUrl(progress.authUrl)}${again}`;
    case "connecting":
      return `rcc: connecting to ${shownUrl(progress.url)} (attempt ${attempt})`;
    case "logging-in":
      return `rcc: connected to ${shownUrl(progress.url)}; waiting for the Login Refresh`;
    case "backing-off": {
      const plan = progress.lastPlan;
      if (plan === undefined || progress.planKnown === false) return undefined;
      return safeLine(
        `rcc: attempt ${plan.attempt} failed (${plan.cause.message}); retrying in ${formatDuration(Math.round(plan.delayMs))}`,
      );
    }
    case "ready":
    case "closing":
    case "closed":
      return undefined;
  }
}
