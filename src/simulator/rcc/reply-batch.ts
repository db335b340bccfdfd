/**
 * The replies to one inbound frame (§2.2, checklist item 11): every reply it produces leaves in ONE outbound
 * array frame, and replies held back by a delay (delayed Acks, §3.4 "delay" policy and the `delay-acks` fault)
 * leave later, one frame per delay. Split out of connection.ts to keep the connection small.
 */
import type { TimerSet } from "./timer-set.js";

/** Collects the replies of the current inbound frame and sends them as array frames. */
export class ReplyBatch {
  readonly #send: (frame: string) => void;
  readonly #timers: TimerSet;
  readonly #onDelayedSent: (messages: number) => void;
  /** Replies of the current inbound frame, as JSON texts. */
  #now: string[] = [];
  /** Delayed replies of the current inbound frame, by delay in milliseconds. */
  #later = new Map<number, string[]>();

  /**
   * @param send writes one frame to the socket.
   * @param timers runs the delayed frames (cleared with the connection).
   * @param onDelayedSent called with the number of messages of each delayed frame as it leaves.
   */
  constructor(send: (frame: string) => void, timers: TimerSet, onDelayedSent: (messages: number) => void) {
    this.#send = send;
    this.#timers = timers;
    this.#onDelayedSent = onDelayedSent;
  }

  /** Queues one pre-serialised JSON message for the frame of the current inbound frame. */
  push(json: string): void {
    this.#now.push(json);
  }

  /** Queues one pre-serialised JSON message to leave `delayMs` milliseconds after the flush. */
  pushLater(json: string, delayMs: number): void {
    const pending = this.#later.get(delayMs);
    if (pending) pending.push(json);
    else this.#later.set(delayMs, [json]);
  }

  /** Sends the queued replies as one array frame, and schedules the delayed ones. */
  flush(): void {
    if (this.#now.length > 0) {
      const frame = `[${this.#now.join(",")}]`;
      this.#now = [];
      this.#send(frame);
    }
    if (this.#later.size === 0) return;
    for (const [delayMs, parts] of this.#later) {
      const frame = `[${parts.join(",")}]`;
      this.#timers.start(() => {
        this.#onDelayedSent(parts.length);
        this.#send(frame);
      }, delayMs);
    }
    this.#later = new Map();
  }
}
