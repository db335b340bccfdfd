/**
 * The "wait for the next matching message" queue behind the test clients ({@link ./raw-client.ts} for
 * WebSocket messages, {@link ./sse.ts} for server-sent events): every item received is kept in order, and
 * {@link MessageWaiter.next} takes the first one not taken before that matches, waiting for it if it has not
 * arrived yet. A taken item is never handed out again, so two waits for the same kind of item get two items.
 */

/** A queue of received items that tests wait on. */
export class MessageWaiter<T> {
  /** Every item received so far, in order (taken or not). */
  readonly items: T[] = [];
  readonly #taken: boolean[] = [];
  readonly #waiters = new Set<() => void>();

  /** Appends `received` (in order), then lets every pending {@link next} look again. */
  push(...received: T[]): void {
    for (const item of received) {
      this.items.push(item);
      this.#taken.push(false);
    }
    this.wake();
  }

  /** Lets every pending {@link next} look again (e.g. when the connection closes). */
  wake(): void {
    for (const wake of this.#waiters) wake();
  }

  /** Index of the first item not yet taken that matches `predicate`; -1 when there is none. */
  findUntaken(predicate: (item: T) => boolean): number {
    return this.items.findIndex((item, index) => !this.#taken[index] && predicate(item));
  }

  /**
   * Takes the first item not yet taken that matches `predicate`, waiting up to `timeoutMs` milliseconds for
   * one to arrive; on timeout rejects with an Error whose message is `timeoutMessage()` (called then, so it
   * can list what did arrive).
   */
  next(predicate: (item: T) => boolean, timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const take = (): boolean => {
        const index = this.findUntaken(predicate);
        if (index < 0) return false;
        this.#taken[index] = true;
        resolve(this.items[index]!);
        return true;
      };
      if (take()) return;
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(timeoutMessage()));
      }, timeoutMs);
      const wake = (): void => {
        if (take()) {
          clearTimeout(timer);
          this.#waiters.delete(wake);
        }
      };
      this.#waiters.add(wake);
    });
  }
}
