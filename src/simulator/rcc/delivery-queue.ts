/**
 * The fan-out messages waiting to go to one connection (§4A.6 rule 5). Everything delivered while the
 * current task runs (all the posts of one inbound array, say) leaves in ONE array frame once the task ends,
 * so fan-out frames always follow the replies and Acks of the frame that caused them, and a burst of posts
 * costs each subscriber one frame rather than one per post.
 */
export class DeliveryQueue {
  readonly #send: (frame: string) => void;
  #parts: string[] = [];
  #scheduled = false;

  /** @param send writes one frame to the socket (called at most once per task). */
  constructor(send: (frame: string) => void) {
    this.#send = send;
  }

  /** Queues one pre-serialised message. */
  push(json: string): void {
    this.#parts.push(json);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const parts = this.#parts;
      this.#parts = [];
      if (parts.length > 0) this.#send(`[${parts.join(",")}]`);
    });
  }

  /** Drops what is queued (the connection is ending). */
  clear(): void {
    this.#parts = [];
  }
}
