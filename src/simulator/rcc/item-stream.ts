/**
 * Streams a client opened with a Request (§4A.1, §4A.4): MarketPrice item streams, which receive the
 * fan-out of contributions, and Source directory streams, which only occupy their ID. One table per
 * connection; the item streams are also registered in the shared {@link SubscriptionRegistry}.
 */
import type { SubscriptionRegistry } from "./subscription-registry.js";

/** The connection side of a stream: where fan-out messages go. */
export interface Subscriber {
  /**
   * Queues one pre-serialised message outside the current reply frame; queued messages leave together in
   * one frame once the current task ends, so they always follow the Acks of the frame that caused them.
   */
  deliver(json: string): void;
  /** The server closed `stream` (its item was deleted by a post, §4A.6 rule 3): forget its ID. */
  forget(stream: ItemStream): void;
}

/** A `View` (§4A.1): field names in request order, and the same names as a set for filtering. */
export interface FieldView {
  readonly names: readonly string[];
  readonly set: ReadonlySet<string>;
}

/** An open MarketPrice item stream. */
export interface ItemStream {
  readonly kind: "item";
  readonly subscriber: Subscriber;
  /** The client's stream id. */
  readonly id: number;
  readonly ric: string;
  /** Service name echoed in `Key.Service` (the converter maps ids to names, §4A.3). */
  readonly serviceName: string;
  /** `{"Service":…,"Name":…}` pre-serialised for every Refresh, Update and Status of the stream. */
  readonly keyJson: string;
  /** Current view; undefined = every field. Replaced (or removed) by a reissue (§4A.1). */
  view: FieldView | undefined;
  /** `Pause:true`: no Updates until a reissue without it (§4A.1). */
  paused: boolean;
  /** `KeyInUpdates:false` lets the server omit `Key` on Updates (§4A.1). */
  keyInUpdates: boolean;
  /** A `Private:true` request is answered with `"Private":true` (§4A.1). */
  privateStream: boolean;
}

/** An open Source directory stream (§4A.4); it receives nothing after its Refresh. */
export interface DirectoryStream {
  readonly kind: "directory";
  readonly id: number;
}

/** Any stream a Request opened on a connection. */
export type OpenStream = ItemStream | DirectoryStream;

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
  item(id: number): ItemStream | undefined {
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
  forget(stream: ItemStream): void {
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
