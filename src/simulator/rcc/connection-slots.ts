/**
 * The simulator-wide count of WebSocket connections, shared by every listener: file descriptors and memory
 * belong to the process, so one listener must not take all of them either.
 */
export class ConnectionSlots {
  readonly #limit: number;
  #used = 0;

  /** @param limit most connections open at once (`maxConnections`). */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Most connections open at once. */
  get limit(): number {
    return this.#limit;
  }

  /** Takes a slot; false when all are taken. Every `true` must be followed by exactly one {@link release}. */
  tryTake(): boolean {
    if (this.#used >= this.#limit) return false;
    this.#used += 1;
    return true;
  }

  /** Gives a slot back. */
  release(): void {
    if (this.#used > 0) this.#used -= 1;
  }
}
