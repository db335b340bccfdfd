/**
 * The server's heartbeat on one connection (§2.7, checklist item 18): a JSON Ping every interval, and a
 * cut when the client has sent nothing at all during `maxUnansweredPings` consecutive pings. Any inbound
 * traffic (post, login, pong, even a malformed frame) resets the count; RCC cuts "if the server does not
 * receive any messages from the application for three consecutive ping messages" [DOC-RCC].
 */
import type { Clock, TimerHandle } from "../../util/clock.js";

/** What the pinger does on the connection. */
export interface PingerActions {
  /** Whether pings are suppressed right now (the `stop-pings` fault). */
  pingsStopped(): boolean;
  /** Sends one `[{"Type":"Ping"}]` frame. */
  sendPing(): void;
  /** The client stayed silent through `unanswered` pings: cut the connection. */
  onSilence(unanswered: number): void;
}

/** Ping timer and idle counter of one connection, on an injected clock. */
export class ServerPinger {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #maxUnansweredPings: number;
  readonly #actions: PingerActions;
  #timer: TimerHandle | undefined;
  #unanswered = 0;

  /**
   * @param intervalMs time between pings, milliseconds (RCC: 20,000).
   * @param maxUnansweredPings pings without any inbound traffic after which the connection is cut (RCC: 3).
   */
  constructor(clock: Clock, intervalMs: number, maxUnansweredPings: number, actions: PingerActions) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#maxUnansweredPings = maxUnansweredPings;
    this.#actions = actions;
  }

  /** Pings sent since the last inbound traffic. */
  get unanswered(): number {
    return this.#unanswered;
  }

  /** Starts (or restarts) the interval. */
  start(): void {
    this.stop();
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#intervalMs).unref();
  }

  /** Notes inbound traffic of any kind. */
  traffic(): void {
    this.#unanswered = 0;
  }

  /** Stops the interval. */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    this.#timer = undefined;
    // With pings stopped the server is silent, and it does not hold the client's silence against it.
    if (!this.#actions.pingsStopped()) {
      if (this.#unanswered >= this.#maxUnansweredPings) {
        this.#actions.onSilence(this.#unanswered);
        return;
      }
      this.#actions.sendPing();
      this.#unanswered += 1;
    }
    this.start();
  }
}
