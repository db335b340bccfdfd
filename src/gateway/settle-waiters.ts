/**
 * Requests waiting for their items' final outcomes (`?wait=ack`): told by the dispatchers once an outcome is
 * durable. Bounded by the requests in progress (each waits at most its `timeout`) and their items.
 */
import type { StoredItem } from "./outbox/outbox.js";
import { FINAL_STATES } from "./outbox/outbox.js";

/** Ids awaited by at most this many waits at once; beyond it a wait ends at once (the caller gets 202). */
const MAX_WAITED_IDS = 1_000_000;

/** Waits on item outcomes. */
export class SettleWaiters {
  readonly #waiting = new Map<string, Set<(item: StoredItem) => void>>();
  #count = 0;

  /** Tells the waits of these (now final) items. */
  settled(items: readonly StoredItem[]): void {
    for (const item of items) {
      if (!FINAL_STATES.has(item.state)) continue;
      const waits = this.#waiting.get(item.id);
      if (waits === undefined) continue;
      this.#waiting.delete(item.id);
      this.#count -= waits.size;
      for (const wake of waits) wake(item);
    }
  }

  /**
   * Resolves once every id in `pending` (those not final when the wait began) is final, or after `timeoutMs`,
   * whichever is first, with the items that became final meanwhile, as they were told.
   */
  waitFor(pending: readonly string[], timeoutMs: number): Promise<Map<string, StoredItem>> {
    const settled = new Map<string, StoredItem>();
    if (pending.length === 0 || this.#count + pending.length > MAX_WAITED_IDS) return Promise.resolve(settled);
    return new Promise((resolve) => {
      let left = pending.length;
      const registered: [string, (item: StoredItem) => void][] = [];
      const finish = () => {
        clearTimeout(timer);
        for (const [id, wake] of registered) {
          const waits = this.#waiting.get(id);
          if (waits?.delete(wake) === true) {
            this.#count -= 1;
            if (waits.size === 0) this.#waiting.delete(id);
          }
        }
        resolve(settled);
      };
      const timer = setTimeout(finish, timeoutMs);
      for (const id of pending) {
        const wake = (item: StoredItem) => {
          settled.set(item.id, item);
          left -= 1;
          if (left === 0) finish();
        };
        let waits = this.#waiting.get(id);
        if (waits === undefined) this.#waiting.set(id, (waits = new Set()));
        waits.add(wake);
        registered.push([id, wake]);
        this.#count += 1;
      }
    });
  }
}
