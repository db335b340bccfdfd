/**
 * Dead-link detection for one connection (§2.7): RCC pings every 20 s, so `missedPings` ping intervals
 * without ANY inbound message (ping, ack, anything) mean the link is dead. `touch()` runs on every inbound
 * frame and only stores a number; a single timer aims at the current deadline and re-aims when it fires
 * early because traffic arrived meanwhile (the shape of nats.js `heartbeats.ts`).
 */
import type { Clock, TimerHandle } from "../util/clock.js";

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  clock: Clock;
  /** The server's ping interval, milliseconds. @default 20_000 */
  pingIntervalMs: number;
  /** Ping intervals of inbound silence that mean a dead link. @default 3 */
  missedPings: number;
  /** Called once when the link is declared dead (with the silence observed, milliseconds). */
  onDead: (silentMs: number) => void;
}

/** Watches inbound traffic of one connection. */
export class Heartbeat {
  readonly #clock: Clock;
  readonly #deadAfterMs: number;
  readonly #onDead: (silentMs: number) => void;
  #lastInboundMs = 0;
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(options: HeartbeatOptions) {
    if (!(options.pingIntervalMs > 0) || !(options.missedPings >= 1)) {
      throw new RangeError("pingIntervalMs must be > 0 and missedPings ≥ 1");
    }
    this.#clock = options.clock;
    this.#deadAfterMs = options.pingIntervalMs * options.missedPings;
    this.#onDead = options.onDead;
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
    const silentMs = this.#clock.monotonic() - this.#lastInboundMs;
    if (silentMs >= this.#deadAfterMs) {
      this.#running = false;
      this.#onDead(silentMs);
      return;
    }
    this.#arm(this.#deadAfterMs - silentMs);
  }
}
