/**
 * Recovery times of a chaos run: for every fault that took the session out of "ready", the time from the
 * fault's injection to the session's last "ready" event once the fault is over; plus the outages that began outside any fault window (e.g. an
 * access token expiring after a token outage) and the total time not ready.
 */
import type { Contributor } from "../../../src/client/contributor.js";
import type { SessionState } from "../../../src/client/connection/session-state.js";
import { type PercentileSummary, summarize } from "./summary-stats.js";

interface Episode {
  kind: string;
  startMs: number;
  disrupted: boolean;
}

/** Per fault kind: how often injected, how often it caused an outage, and the recovery times. */
export interface KindRecovery {
  injected: number;
  outages: number;
  recoveryMs: PercentileSummary;
}

/** Watches a contributor's state changes. */
export class RecoveryMeter {
  #state: SessionState;
  #episode: Episode | undefined;
  #notReadySinceMs: number | undefined;
  #notReadyTotalMs = 0;
  #lastReadyAtMs = 0;
  #wakers: (() => void)[] = [];
  readonly #byKind = new Map<string, { injected: number; times: number[] }>();
  readonly #all: number[] = [];
  /** Outages that began while no fault was being injected. */
  outagesOutsideFaults = 0;

  constructor(contributor: Contributor) {
    this.#state = contributor.state;
    if (this.#state !== "ready") this.#notReadySinceMs = performance.now();
    contributor.on("state", ({ from, to }) => {
      this.#state = to;
      const now = performance.now();
      if (from === "ready" && to !== "ready") {
        this.#notReadySinceMs = now;
        if (this.#episode) this.#episode.disrupted = true;
        else if (to !== "closing" && to !== "closed") this.outagesOutsideFaults += 1;
      }
      if (to === "ready") {
        this.#lastReadyAtMs = now;
        if (this.#notReadySinceMs !== undefined) this.#notReadyTotalMs += now - this.#notReadySinceMs;
        this.#notReadySinceMs = undefined;
        const wakers = this.#wakers;
        this.#wakers = [];
        for (const wake of wakers) wake();
      }
    });
  }

  /** Whether the session is ready now. */
  get ready(): boolean {
    return this.#state === "ready";
  }

  /** Milliseconds spent not ready so far. */
  get notReadyMs(): number {
    const open = this.#notReadySinceMs === undefined ? 0 : performance.now() - this.#notReadySinceMs;
    return Math.round(this.#notReadyTotalMs + open);
  }

  /** Resolves once ready, or false after `timeoutMs`. */
  async whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return true;
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => this.#wakers.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return ready;
  }

  /** A fault of `kind` is being injected now. */
  begin(kind: string): void {
    this.#episode = { kind, startMs: performance.now(), disrupted: !this.ready };
    const entry = this.#byKind.get(kind) ?? { injected: 0, times: [] };
    entry.injected += 1;
    this.#byKind.set(kind, entry);
  }

  /**
   * The fault is over: after `graceMs` (the client may notice a dropped socket only a moment later), when the
   * fault caused an outage, waits (up to `timeoutMs`) for the next "ready" and records the recovery time.
   * @returns the recovery time, undefined without an outage, or Infinity on a timeout.
   */
  async end(timeoutMs: number, graceMs = 250): Promise<number | undefined> {
    const episode = this.#episode;
    if (episode === undefined) return undefined;
    await new Promise((resolve) => setTimeout(resolve, graceMs));
    const disrupted = episode.disrupted || !this.ready;
    const ready = await this.whenReady(timeoutMs);
    this.#episode = undefined;
    if (!disrupted) return undefined;
    // The last "ready" since the injection: a fault may cause several outages (a dropped socket, then an
    // access token that could not be refreshed); recovered means ready again for good.
    const recoveryMs = ready ? this.#lastReadyAtMs - episode.startMs : Number.POSITIVE_INFINITY;
    this.#byKind.get(episode.kind)?.times.push(recoveryMs);
    this.#all.push(recoveryMs);
    return recoveryMs;
  }

  /** Recovery summary over every outage caused by a fault. */
  overall(): PercentileSummary {
    return summarize(this.#all);
  }

  /** Recovery summaries per fault kind. */
  byKind(): Record<string, KindRecovery> {
    const result: Record<string, KindRecovery> = {};
    for (const [kind, entry] of [...this.#byKind].sort(([a], [b]) => a.localeCompare(b))) {
      result[kind] = { injected: entry.injected, outages: entry.times.length, recoveryMs: summarize(entry.times) };
    }
    return result;
  }
}
