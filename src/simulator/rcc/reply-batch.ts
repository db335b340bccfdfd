/**
 * The replies to one inbound frame (§2.2, checklist item 11): every reply it produces leaves in ONE outbound
 * array frame, and replies held back by a delay (delayed Acks, §3.4 "delay" policy and the `delay-acks` fault)
 * leave later, one frame per delay. A frame handled in several slices (inbound-queue.ts: more than
 * `messagesPerSlice` messages) is answered in one frame per slice, in order. At most `maxErrorsPerFrame`
 * converter Errors answer one inbound frame; one last Error counts the others. Split out of connection.ts to keep
 * the connection small.
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
  readonly #maxErrors: number;
  /** Converter Errors answering the current inbound frame. */
  #errors = 0;
  /** Converter Errors of the current inbound frame left unanswered (past `maxErrors`). */
  #errorsNotAnswered = 0;

  /**
   * @param send writes one frame to the socket.
   * @param timers runs the delayed frames (cleared with the connection).
   * @param onDelayedSent called with the number of messages of each delayed frame as it leaves.
   * @param maxErrors most converter Errors answering one inbound frame (`maxErrorsPerFrame`).
   */
  constructor(
    send: (frame: string) => void,
    timers: TimerSet,
    onDelayedSent: (messages: number) => void,
    maxErrors: number,
  ) {
    this.#send = send;
    this.#timers = timers;
    this.#onDelayedSent = onDelayedSent;
    this.#maxErrors = maxErrors;
  }

  /**
   * Whether one more converter Error may answer the current inbound frame. Each Error echoes its message:
   * uncapped, one frame of tiny bad elements would cost ~65 times its size. False counts it as unanswered.
   */
  admitError(): boolean {
    if (this.#errors < this.#maxErrors) {
      this.#errors += 1;
      return true;
    }
    this.#errorsNotAnswered += 1;
    return false;
  }

  /** The inbound frame is handled: sends its last replies, with one Error counting those left unanswered. */
  endFrame(): { unansweredErrors: number } {
    const unansweredErrors = this.#errorsNotAnswered;
    if (unansweredErrors > 0) {
      const text = `Too many errors in one frame: ${unansweredErrors} more messages of this frame had errors and were not answered one by one (at most ${this.#maxErrors} Errors per frame)`;
      this.push(JSON.stringify({ Type: "Error", ID: 0, Text: text }));
    }
    this.#errors = 0;
    this.#errorsNotAnswered = 0;
    this.flush();
    return { unansweredErrors };
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

  /** Sends the queued replies as one array frame (the end of a slice or frame), and schedules the delayed ones. */
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
