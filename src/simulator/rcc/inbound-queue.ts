/**
 * The inbound frames of one connection, handled in order and in slices (§2.2). A peer may pack thousands of
 * messages into one frame, or a burst of frames into one TCP read; handled in one go, that holds the event loop
 * and every other connection waits (Acks of a healthy peer delayed by seconds). So at most `messagesPerSlice`
 * messages of one connection are handled before the queue yields (`schedule`, i.e. `setImmediate`, so other
 * sockets' I/O runs first), and while it waits the socket is paused: frames read before the pause took effect
 * wait their turn here, in order, and nothing more is read, so the queue holds at most about one socket read.
 * `maxQueuedBytes` bounds it anyway; past it the connection is ended (`onOverflow`).
 */

/** The messages of one frame still to be handled. */
export interface MessageCursor {
  /** Handles up to `limit` more messages in order; returns how many it handled. */
  advance(limit: number): number;
  /** Whether the frame is finished (all handled, or dropped because the connection ends). */
  readonly done: boolean;
  /** The queue yields in the middle of this frame: what was answered so far should leave now. */
  endSlice(): void;
}

/** One received frame waiting for its turn. */
export interface InboundFrame {
  /** Its size, bytes (for the bound of the queue). */
  readonly bytes: number;
  /**
   * Starts handling it: checks and parses it, and answers at once what needs no slicing (a frame that is not
   * JSON, a binary frame). Returns the messages left to handle, or undefined when nothing is left.
   */
  open(): MessageCursor | undefined;
}

/** What an {@link InboundQueue} works with. */
export interface InboundQueueOptions {
  /** Messages handled before yielding to other connections. */
  readonly messagesPerSlice: number;
  /** Bytes of frames that may wait; one more ends the connection. */
  readonly maxQueuedBytes: number;
  /** Runs `fn` once other pending I/O had its turn (`setImmediate`). */
  schedule(fn: () => void): void;
  /** Stops reading from the socket. */
  pause(): void;
  /** Reads from the socket again. */
  resume(): void;
  /** Too much input is waiting (the peer kept sending while paused, which should not happen). */
  onOverflow(queuedBytes: number): void;
}

/** Frames of one connection, handled in order, at most `messagesPerSlice` messages per event-loop turn. */
export class InboundQueue {
  readonly #options: InboundQueueOptions;
  readonly #waiting: InboundFrame[] = [];
  #waitingBytes = 0;
  #current: MessageCursor | undefined;
  /** Messages handled since the queue last yielded. */
  #handled = 0;
  #scheduled = false;
  #stopped = false;
  readonly #continue = (): void => {
    this.#scheduled = false;
    if (this.#stopped) return;
    this.#handled = 0;
    if (!this.#drain()) this.#options.resume();
  };

  /** @param options the slice size, the bound, and how to schedule, pause and resume (see {@link InboundQueueOptions}). */
  constructor(options: InboundQueueOptions) {
    this.#options = options;
  }

  /** Frames waiting (not counting the one being handled). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Queues a received frame; handles it at once when nothing is in the way. */
  push(frame: InboundFrame): void {
    if (this.#stopped) return;
    this.#waiting.push(frame);
    this.#waitingBytes += frame.bytes;
    if (!this.#scheduled) {
      this.#drain();
      return;
    }
    if (this.#waitingBytes > this.#options.maxQueuedBytes) {
      const bytes = this.#waitingBytes;
      this.stop();
      this.#options.onOverflow(bytes);
    }
  }

  /** Drops everything waiting and handles nothing more (the connection is ending). */
  stop(): void {
    this.#stopped = true;
    this.#waiting.length = 0;
    this.#waitingBytes = 0;
    this.#current = undefined;
  }

  /** Handles frames until the slice is used up or none is left; returns whether it yielded (or stopped). */
  #drain(): boolean {
    const slice = this.#options.messagesPerSlice;
    while (!this.#stopped && this.#handled < slice) {
      if (this.#current === undefined) {
        const frame = this.#waiting.shift();
        if (frame === undefined) return false;
        this.#waitingBytes -= frame.bytes;
        this.#current = frame.open();
        if (this.#current === undefined) {
          this.#handled += 1;
          continue;
        }
      }
      const cursor = this.#current;
      this.#handled += cursor.advance(slice - this.#handled);
      if (cursor.done) this.#current = undefined;
      else if (this.#handled < slice) this.#handled = slice;
    }
    if (this.#stopped) return true;
    // The slice is used up. Yield even when nothing is left: more frames of the same socket read may follow in
    // this very turn, and they must wait for the next one.
    this.#current?.endSlice();
    this.#scheduled = true;
    this.#options.pause();
    this.#options.schedule(this.#continue);
    return true;
  }
}
