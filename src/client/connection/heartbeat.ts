/**
 * Dead-link detection for one connection (§2.7): RCC pings every 20 s, so `missedPings` ping intervals
 * without ANY inbound message (ping, ack, anything) mean the link is dead. `touch()` runs on every inbound
 * frame and only stores a number; a single timer aims at the current deadline and re-aims when it fires
 * early because traffic arrived meanwhile (the shape of nats.js `heartbeats.ts`).
 *
 * An ADS instead advertises its `PingTimeout` (§4A.5); {@link Heartbeat.retune} then sets the deadline to
 * it and adds a probe: after a third of it in silence the client pings once, so that a live server answers
 * well before the deadline (what LSEG's `market_price_ping` examples do).
 */
import type { Clock, TimerHandle } from "../../util/clock.js";

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  clock: Clock;
  /** The server's ping interval, milliseconds (the session's `pingIntervalMs`). */
  pingIntervalMs: number;
  /** Ping intervals of inbound silence that mean a dead link (the session's `missedPings`). */
  missedPings: number;
  /** Called once when the link is declared dead (with the silence observed, milliseconds). */
  onDead: (silentMs: number) => void;
  /** Sends a Ping to draw traffic from the server; used once per silence after {@link Heartbeat.retune}. */
  onProbe?: () => void;
}

/** Watches inbound traffic of one connection. */
export class Heartbeat {
  readonly #clock: Clock;
  #deadAfterMs: number;
  /** Silence after which to probe, milliseconds; undefined = never probe. */
  #probeAfterMs: number | undefined;
  readonly #onDead: (silentMs: number) => void;
  readonly #onProbe: (() => void) | undefined;
  #lastInboundMs = 0;
  /** When the current silence was probed; below `#lastInboundMs` once traffic arrived since. */
  #probedAtMs = Number.NEGATIVE_INFINITY;
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(options: HeartbeatOptions) {
    if (!(options.pingIntervalMs > 0) || !(options.missedPings >= 1)) {
      throw new RangeError("pingIntervalMs must be > 0 and missedPings ≥ 1");
    }
    this.#clock = options.clock;
    this.#deadAfterMs = options.pingIntervalMs * options.missedPings;
    this.#onDead = options.onDead;
    this.#onProbe = options.onProbe;
  }

  /**
   * Replaces the deadline with `deadAfterMs` of silence and probes after `probeAfterMs` (default a third of
   * it); counting continues from the last inbound traffic.
   * @throws RangeError when `deadAfterMs` is not positive.
   */
  retune(deadAfterMs: number, probeAfterMs: number = deadAfterMs / 3): void {
    if (!(deadAfterMs > 0)) throw new RangeError("deadAfterMs must be > 0");
    this.#deadAfterMs = deadAfterMs;
    this.#probeAfterMs = probeAfterMs > 0 && probeAfterMs < deadAfterMs ? probeAfterMs : undefined;
    if (!this.#running) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#check();
  }

  /** Silence after which the link counts as dead, milliseconds. */
  get deadAfterMs(): number {
    return this.#deadAfterMs;
  }

  /** Whether the heartbeat is watching. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts watching, counting from now (the connection just opened). */
  start(): void {
    this.stop();
    this.#running = true;
    this.#lastInboundMs = this.#clock.monotonic();
    this.#arm(this.#deadAfterMs);
  }

  /** Notes inbound traffic at `nowMs` (monotonic; read from the clock when absent). Cheap: runs per frame. */
  touch(nowMs: number = this.#clock.monotonic()): void {
    this.#lastInboundMs = nowMs;
  }

  /** Stops watching. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#check(), delayMs);
    this.#timer.unref();
  }

  #check(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const nowMs = this.#clock.monotonic();
    const silentMs = nowMs - this.#lastInboundMs;
    if (silentMs >= this.#deadAfterMs) {
      this.#running = false;
      this.#onDead(silentMs);
      return;
    }
    let nextMs = this.#deadAfterMs - silentMs;
    const probeAfterMs = this.#probeAfterMs;
    if (probeAfterMs !== undefined) {
      if (this.#probedAtMs > this.#lastInboundMs) {
        // Probed during this silence: look again soon, so that the silence after the answer is probed in time.
        nextMs = Math.min(nextMs, probeAfterMs);
      } else if (silentMs >= probeAfterMs) {
        this.#probedAtMs = nowMs;
        this.#onProbe?.();
        nextMs = Math.min(nextMs, probeAfterMs);
      } else {
        nextMs = probeAfterMs - silentMs;
      }
    }
    this.#arm(nextMs);
  }
}
