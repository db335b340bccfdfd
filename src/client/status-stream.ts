/**
 * Status events as async iterables (the nats.js `status()` shape, STYLE habit 3): each call to
 * {@link StatusHub.subscribe} gets its own bounded buffer; iteration ends after the hub ends (the
 * contributor closed) and the buffer is read out.
 */
import type { StatusEvent } from "./connection/session-events.js";

/** Events buffered per subscriber before the oldest are dropped (a reader that never reads stays bounded). */
const STATUS_BUFFER_LIMIT = 1000;

class StatusIterator implements AsyncIterableIterator<StatusEvent> {
  readonly #buffer: StatusEvent[] = [];
  readonly #onDone: (subscriber: StatusIterator) => void;
  #wake: ((result: IteratorResult<StatusEvent>) => void) | undefined;
  #ended = false;
  /** Events dropped because the buffer was full. */
  dropped = 0;

  constructor(onDone: (subscriber: StatusIterator) => void) {
    this.#onDone = onDone;
  }

  push(event: StatusEvent): void {
    if (this.#ended) return;
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake({ value: event, done: false });
      return;
    }
    if (this.#buffer.length >= STATUS_BUFFER_LIMIT) {
      this.#buffer.shift();
      this.dropped += 1;
    }
    this.#buffer.push(event);
  }

  end(): void {
    this.#ended = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<StatusEvent>> {
    const event = this.#buffer.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#wake = resolve));
  }

  return(): Promise<IteratorResult<StatusEvent>> {
    this.#buffer.length = 0;
    this.end();
    this.#onDone(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StatusEvent> {
    return this;
  }
}

/** Fans status events out to every open iterator. */
export class StatusHub {
  readonly #subscribers = new Set<StatusIterator>();
  #ended = false;

  /** Whether anyone is iterating (publishers may skip building events otherwise). */
  get active(): boolean {
    return this.#subscribers.size > 0;
  }

  /** A new iterator over the events published from now on; already finished when the hub has ended. */
  subscribe(): AsyncIterableIterator<StatusEvent> {
    const subscriber = new StatusIterator((done) => this.#subscribers.delete(done));
    if (this.#ended) subscriber.end();
    else this.#subscribers.add(subscriber);
    return subscriber;
  }

  publish(event: StatusEvent): void {
    for (const subscriber of this.#subscribers) subscriber.push(event);
  }

  /** Ends every iterator (after its buffered events) and refuses new ones. */
  end(): void {
    this.#ended = true;
    for (const subscriber of this.#subscribers) subscriber.end();
    this.#subscribers.clear();
  }
}
