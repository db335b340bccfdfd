/**
 * Streams a client opened with a Request (§4A.1, §4A.4): MarketPrice item streams, which receive the
 * fan-out of contributions, and Source directory streams, which only occupy their ID. One table per
 * connection; the item streams are also registered in the shared {@link SubscriptionRegistry}.
 */
import type { ServedItemStream, OpenStream } from "./stream-types.js";
import type { SubscriptionRegistry } from "./subscription-registry.js";

/** The open streams of one connection, by stream id. */
export class StreamTable {
  readonly #registry: SubscriptionRegistry;
  readonly #byId = new Map<number, OpenStream>();

  constructor(registry: SubscriptionRegistry) {
    this.#registry = registry;
  }

  /** The stream open on `id`, if any. */
  get(id: number): OpenStream | undefined {
    return this.#byId.get(id);
  }

  /** The item stream open on `id`, if any (the post handler's on-stream lookup, §4A.6 rule 1). */
  item(id: number): ServedItemStream | undefined {
    const stream = this.#byId.get(id);
    return stream?.kind === "item" ? stream : undefined;
  }

  /** Whether an item stream of this connection is open on `ric` (batch requests may not reissue, §4A.2). */
  hasRic(ric: string): boolean {
    for (const stream of this.#byId.values()) if (stream.kind === "item" && stream.ric === ric) return true;
    return false;
  }

  /** Opens a stream; an item stream starts receiving fan-out at once. */
  open(stream: OpenStream): void {
    this.close(stream.id);
    this.#byId.set(stream.id, stream);
    if (stream.kind === "item") this.#registry.add(stream);
  }

  /** Closes the stream on `id`; @returns whether one was open. */
  close(id: number): boolean {
    const stream = this.#byId.get(id);
    if (stream === undefined) return false;
    this.#byId.delete(id);
    if (stream.kind === "item") this.#registry.remove(stream);
    return true;
  }

  /** Drops `stream` from the table only (the registry already removed it). */
  forget(stream: ServedItemStream): void {
    if (this.#byId.get(stream.id) === stream) this.#byId.delete(stream.id);
  }

  /** Closes every stream (Login Close ends all streams of the connection, §2.13; and the socket closing). */
  closeAll(): void {
    for (const stream of this.#byId.values()) if (stream.kind === "item") this.#registry.remove(stream);
    this.#byId.clear();
  }

  /** Number of open streams. */
  get size(): number {
    return this.#byId.size;
  }
}
