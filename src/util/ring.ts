/** A fixed-capacity ring buffer: keeps the newest `capacity` items, oldest first when read. */
export class Ring<T> {
  readonly #items: (T | undefined)[];
  #start = 0;
  #size = 0;
  #total = 0;

  /** @param capacity maximum items kept; 0 keeps none. */
  constructor(readonly capacity: number) {
    this.#items = new Array<T | undefined>(Math.max(0, capacity));
  }

  /** Appends, evicting the oldest item when full. */
  push(item: T): void {
    this.#total += 1;
    if (this.capacity === 0) return;
    const index = (this.#start + this.#size) % this.capacity;
    this.#items[index] = item;
    if (this.#size < this.capacity) this.#size += 1;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  /** Items currently held. */
  get size(): number {
    return this.#size;
  }

  /** Items ever pushed. */
  get total(): number {
    return this.#total;
  }

  /** The held items, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let offset = 0; offset < this.#size; offset++)
      out.push(this.#items[(this.#start + offset) % this.capacity] as T);
    return out;
  }

  /** Empties the ring (the total is kept). */
  clear(): void {
    this.#items.fill(undefined);
    this.#start = 0;
    this.#size = 0;
  }
}
