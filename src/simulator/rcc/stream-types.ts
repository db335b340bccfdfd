/**
 * What a stream a client opened with a Request is (§4A.1, §4A.4): the shapes shared by the per-connection
 * {@link StreamTable} (item-stream.ts), the shared subscription registry and the item message builders.
 */
/** The connection side of a stream: where fan-out messages go. */
export interface Subscriber {
  /**
   * Queues one pre-serialised message outside the current reply frame; queued messages leave together in
   * one frame once the current task ends, so they always follow the Acks of the frame that caused them.
   */
  deliver(json: string): void;
  /** The server closed `stream` (its item was deleted by a post, §4A.6 rule 3): forget its ID. */
  forget(stream: ServedItemStream): void;
}

/** A `View` (§4A.1): field names in request order, and the same names as a set for filtering. */
export interface FieldView {
  readonly names: readonly string[];
  readonly set: ReadonlySet<string>;
}

/** An open MarketPrice item stream. */
export interface ServedItemStream {
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
interface DirectoryStream {
  readonly kind: "directory";
  readonly id: number;
}

/** Any stream a Request opened on a connection. */
export type OpenStream = ServedItemStream | DirectoryStream;
