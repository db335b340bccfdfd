/**
 * The item streams of on-stream posting (§4A.6): one MarketPrice stream per RIC and connection, opened by a
 * streaming Request (IDs from 2 up, §4A.1) as soon as a post to the RIC is queued on a ready connection,
 * and gone with the connection. Posts to a RIC wait for the stream's Refresh, then ride on its ID without a
 * `Key`. A refusal (a Status closing the stream, a converter Error on the Request's ID, or no answer within
 * the open timeout) is kept for the rest of the connection: the RIC's posts reject with
 * {@link ItemStreamError} without another Request each, and the next connection asks again.
 */
import type { Clock } from "../../util/clock.js";
import type { Logger } from "../../util/logger.js";
import { OnStreamPostFormat, type PostFormat } from "./frame-builder.js";
import type { ResolvedPipelineOptions } from "./pipeline-options.js";
import { ItemStreamError } from "../errors.js";
import type { InboundMessage } from "../connection/link.js";
import { parseState } from "../connection/login-outcome.js";
import { messageType } from "../../protocol/inbound-frame.js";
import { TimerSlots } from "../../util/timer-slots.js";

/** The first item stream ID of a connection: 1 is the login stream (§2.4). */
const FIRST_ITEM_STREAM_ID = 2;

/** Stream states after which the server sends nothing more on the stream (§2.10). */
const FINAL_STREAM_STATES: ReadonlySet<string> = new Set(["Closed", "ClosedRecover", "NonStreaming", "Redirected"]);

/** One item stream of the current connection. */
export interface ItemStream {
  readonly ric: string;
  readonly id: number;
  /** "opening" until the Refresh; "refused" (with {@link error}) for the rest of the connection. */
  state: "opening" | "open" | "refused";
  error: ItemStreamError | undefined;
  /** Start of every post on this stream, up to the PostID (see `OnStreamPostFormat.head`). */
  readonly head: string;
  /** Wire bytes of a post on this stream minus those of the same post off-stream. */
  readonly sizeDelta: number;
}

/** What {@link ItemStreams} needs. */
export interface ItemStreamsDeps {
  clock: Clock;
  log: Logger;
  /** `Key.Service` of the Requests: the posts' service (§3.1). */
  service: string | number;
  /** The off-stream format the entries were sized with, and the on-stream format they are sent in. */
  offStream: PostFormat;
  onStream: OnStreamPostFormat;
  /** A Request without an answer this long is refused, milliseconds. */
  openTimeoutMs: number;
  /** Sends a Request on the ready connection. */
  send: (request: object) => void;
  /** A stream opened or was refused: posts waiting for it may move. */
  onChange: () => void;
}

/** The streaming MarketPrice Request of on-stream posting (§4A.1), `Type` and `Domain` left to their defaults. */
function buildStreamRequest(streamId: number, ric: string, service: string | number): object {
  return { ID: streamId, Streaming: true, Key: { Name: ric, Service: service } };
}

/**
 * The item streams of a pipeline in on-stream mode; undefined in off-stream mode (the default), where
 * posts carry their own `Key` (§2.8).
 */
export function itemStreamsFor(
  options: Pick<ResolvedPipelineOptions, "postMode" | "service" | "postUserInfo" | "ackTimeoutMs">,
  offStream: PostFormat,
  deps: Pick<ItemStreamsDeps, "clock" | "log" | "send" | "onChange">,
): ItemStreams | undefined {
  if (options.postMode !== "on-stream") return undefined;
  const info = options.postUserInfo;
  const postUserInfo = info ? { postUserInfo: { Address: info.address, UserID: info.userId } } : {};
  return new ItemStreams({
    ...deps,
    service: options.service,
    offStream,
    onStream: new OnStreamPostFormat(postUserInfo),
    openTimeoutMs: options.ackTimeoutMs,
  });
}

/** Item streams of one contributor, reset on every connection. */
export class ItemStreams {
  /** Streams refused so far (all connections). */
  refusals = 0;
  readonly #deps: ItemStreamsDeps;
  readonly #byRic = new Map<string, ItemStream>();
  readonly #byId = new Map<number, ItemStream>();
  readonly #timers: TimerSlots<string>;
  #nextId = FIRST_ITEM_STREAM_ID;
  #connected = false;

  constructor(deps: ItemStreamsDeps) {
    this.#deps = deps;
    this.#timers = new TimerSlots(deps.clock);
  }

  /** The format of posts on these streams. */
  get format(): OnStreamPostFormat {
    return this.#deps.onStream;
  }

  /** Streams of the current connection, in every state. */
  get size(): number {
    return this.#byRic.size;
  }

  /** The RIC's stream on this connection, if one was requested. Hot path: one map look-up. */
  get(ric: string): ItemStream | undefined {
    return this.#byRic.get(ric);
  }

  /** The RIC's stream, requesting it first if there is none; undefined while not connected. */
  open(ric: string): ItemStream | undefined {
    const existing = this.#byRic.get(ric);
    if (existing !== undefined || !this.#connected) return existing;
    const { offStream, onStream, service, openTimeoutMs } = this.#deps;
    const id = this.#nextId++;
    const ricJson = JSON.stringify(ric);
    const stream: ItemStream = {
      ric,
      id,
      state: "opening",
      error: undefined,
      head: onStream.head(id),
      sizeDelta: onStream.sizeDelta(offStream, id, ricJson),
    };
    this.#byRic.set(ric, stream);
    this.#byId.set(id, stream);
    this.#timers.set(String(id), openTimeoutMs, () => {
      const text = `no Refresh for the item Request within ${openTimeoutMs} ms`;
      this.#refuse(stream, new ItemStreamError(ric, { reason: "timeout", text }));
    });
    this.#deps.send(buildStreamRequest(id, ric, service));
    return stream;
  }

  /**
   * A new connection is ready: stream IDs start again at {@link FIRST_ITEM_STREAM_ID}, and a stream is
   * requested for each of `rics` (those of the posts still queued).
   */
  connected(rics: Iterable<string>): void {
    this.#forgetAll();
    this.#connected = true;
    for (const ric of rics) this.open(ric);
  }

  /** The connection is gone, and its streams with it. */
  disconnected(): void {
    this.#forgetAll();
    this.#connected = false;
  }

  /**
   * A Refresh, Status or Update on a stream other than the login stream.
   * @returns false when the ID is none of our streams (the caller counts it).
   */
  onMessage(message: InboundMessage): boolean {
    const stream = typeof message.ID === "number" ? this.#byId.get(message.ID) : undefined;
    if (stream === undefined) return false;
    const type = messageType(message);
    if (type !== "Refresh" && type !== "Status") return true; // Updates: the fan-out of our own posts
    const state = parseState(message.State);
    const streamState = state.stream ?? (type === "Refresh" ? "Open" : "Unspecified");
    if (!FINAL_STREAM_STATES.has(streamState)) {
      if (type === "Refresh" && stream.state === "opening") this.#opened(stream);
      else if (type === "Status") this.#deps.log.warn({ ric: stream.ric, ...state }, "item stream status");
      return true;
    }
    if (stream.state === "open" && streamState === "ClosedRecover") {
      // The server may serve the item again (§4A.5 SingleOpen): the next post to it asks anew.
      this.#deps.log.warn({ ric: stream.ric, ...state }, "item stream closed by the server, to be re-opened");
      this.#forget(stream);
      this.#deps.onChange();
      return true;
    }
    const { code: stateCode, text } = state;
    const refusal = { reason: "status", streamState, text, ...(stateCode === undefined ? {} : { stateCode }) } as const;
    this.#refuse(stream, new ItemStreamError(stream.ric, refusal));
    return true;
  }

  /**
   * A converter Error (§2.11). On the ID of a stream still opening it is the answer to its Request (an
   * unknown service name, §4A.3); otherwise it is about a post and left to the caller.
   * @returns whether it refused a stream.
   */
  onError(message: InboundMessage): boolean {
    const stream = typeof message.ID === "number" ? this.#byId.get(message.ID) : undefined;
    if (stream === undefined || stream.state !== "opening") return false;
    const text = typeof message.Text === "string" ? message.Text : "";
    this.#refuse(stream, new ItemStreamError(stream.ric, { reason: "error", text }));
    return true;
  }

  #opened(stream: ItemStream): void {
    this.#timers.clear(String(stream.id));
    stream.state = "open";
    this.#deps.onChange();
  }

  #refuse(stream: ItemStream, error: ItemStreamError): void {
    this.#timers.clear(String(stream.id));
    this.#byId.delete(stream.id); // later messages on the ID are not ours any more
    stream.state = "refused";
    stream.error = error;
    this.refusals += 1;
    this.#deps.log.warn({ ric: stream.ric, code: error.stateCode, text: error.text }, "item stream refused");
    this.#deps.onChange();
  }

  #forget(stream: ItemStream): void {
    this.#timers.clear(String(stream.id));
    this.#byId.delete(stream.id);
    this.#byRic.delete(stream.ric);
  }

  #forgetAll(): void {
    this.#timers.clearAll();
    this.#byRic.clear();
    this.#byId.clear();
    this.#nextId = FIRST_ITEM_STREAM_ID;
  }
}
