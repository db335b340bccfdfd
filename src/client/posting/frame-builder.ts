/**
 * Frames posts for the wire: one JSON array per frame ("packed message", §2.2), never larger than
 * `maxFrameBytes` (61,440 by default, the ADS `MaxMsgSize`; a larger frame may cost the connection, §2.2).
 *
 * Hot-path design: a post's fields are stringified once, when `contribute()` accepts it; the post envelope
 * is a precomputed template around that string, and a frame is the join of its posts. The output parses to
 * exactly what `buildPost()` (§2.8) builds.
 */
import { DEFAULT_MAX_MESSAGE_BYTES, LOGIN_STREAM_ID, RCC_SERVICE } from "../../protocol/messages.js";

/** Bytes a frame adds around its posts: "[" and "]". */
const FRAME_OVERHEAD_BYTES = 2;
/** Digits reserved for the PostID when sizing a post before it has one (PostIDs stay below 10^15). */
export const MAX_POST_ID_DIGITS = 16;

/** What every post of a session shares. */
export interface PostFormatOptions {
  /** `Key.Service`, a name or numeric id (§2.8). @default RCC_SERVICE */
  service?: string | number;
  /** Stream the off-stream posts ride on: the login stream (§3.1). @default LOGIN_STREAM_ID */
  streamId?: number;
  /** Optional `PostUserInfo` (not required by RCC, §2.8). @default undefined */
  postUserInfo?: { Address: string; UserID: number };
}

/** Renders off-stream posts from a RIC and its already-stringified fields. */
export class PostFormat {
  readonly #head: string;
  readonly #middle: string;
  readonly #fieldsOpen: string;
  readonly #tail: string;
  readonly #fixedBytes: number;

  constructor(options: PostFormatOptions = {}) {
    const streamId = options.streamId ?? LOGIN_STREAM_ID;
    const service = JSON.stringify(options.service ?? RCC_SERVICE);
    this.#head = `{"Type":"Post","ID":${streamId},"Ack":true,"PostID":`;
    this.#middle = `,"Key":{"Service":${service},"Name":`;
    const userInfo = options.postUserInfo ? `,"PostUserInfo":${JSON.stringify(options.postUserInfo)}` : "";
    this.#fieldsOpen = `},"Message":{"Type":"Update","ID":0,"Fields":`;
    this.#tail = `}${userInfo}}`;
    this.#fixedBytes = Buffer.byteLength(this.#head + this.#middle + this.#fieldsOpen + this.#tail);
  }

  /**
   * Wire size of a post without its PostID digits, bytes.
   * @param contentBytes `Buffer.byteLength(ricJson) + Buffer.byteLength(fieldsJson)`.
   */
  sizeWithoutPostId(contentBytes: number): number {
    return this.#fixedBytes + contentBytes;
  }

  /** The post as JSON text. `ricJson` and `fieldsJson` are `JSON.stringify` of the RIC and the fields. */
  render(postId: number, ricJson: string, fieldsJson: string): string {
    return `${this.#head}${postId}${this.#middle}${ricJson}${this.#fieldsOpen}${fieldsJson}${this.#tail}`;
  }
}

/**
 * Renders on-stream posts (§4A.6): on an item stream's ID, without `Key` (the stream names the item), with
 * the same Ack, PostID, nested Update and optional `PostUserInfo` as off-stream posts.
 */
export class OnStreamPostFormat {
  readonly #middle = `,"Message":{"Type":"Update","ID":0,"Fields":`;
  readonly #tail: string;
  readonly #fixedBytes: number;

  constructor(options: Pick<PostFormatOptions, "postUserInfo"> = {}) {
    const userInfo = options.postUserInfo ? `,"PostUserInfo":${JSON.stringify(options.postUserInfo)}` : "";
    this.#tail = `}${userInfo}}`;
    this.#fixedBytes = Buffer.byteLength(this.head(0) + this.#middle + this.#tail) - 1;
  }

  /** The start of every post on stream `streamId`, up to its PostID (computed once per stream). */
  head(streamId: number): string {
    return `{"Type":"Post","ID":${streamId},"Ack":true,"PostID":`;
  }

  /**
   * How many bytes a post on stream `streamId` differs from the same post off-stream in `offStream`
   * (negative: no `Key`), so that its size follows from the entry's off-stream size without re-measuring.
   */
  sizeDelta(offStream: PostFormat, streamId: number, ricJson: string): number {
    const offStreamBytes = offStream.sizeWithoutPostId(Buffer.byteLength(ricJson));
    return this.#fixedBytes + digitCount(streamId) - offStreamBytes;
  }

  /** The post as JSON text, from its stream's {@link head}, its PostID and its stringified fields. */
  render(head: string, postId: number, fieldsJson: string): string {
    return `${head}${postId}${this.#middle}${fieldsJson}${this.#tail}`;
  }
}

/** Number of decimal digits of a non-negative integer. */
export function digitCount(value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  return digits;
}

/**
 * Whether a post of `sizeWithoutPostId` bytes fits in a frame of `maxFrameBytes` on its own, whatever its
 * PostID. Checked when `contribute()` accepts a post, so an oversized post fails validation, unsent.
 */
export function fitsInFrame(sizeWithoutPostId: number, maxFrameBytes: number): boolean {
  return sizeWithoutPostId + MAX_POST_ID_DIGITS + FRAME_OVERHEAD_BYTES <= maxFrameBytes;
}

/** Accumulates posts into one JSON-array frame under a byte cap. */
export class FrameBuilder {
  readonly #maxFrameBytes: number;
  #parts: string[] = [];
  #bytes = FRAME_OVERHEAD_BYTES;

  /** @param maxFrameBytes largest frame, bytes. @default DEFAULT_MAX_MESSAGE_BYTES */
  constructor(maxFrameBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    if (!(maxFrameBytes > FRAME_OVERHEAD_BYTES)) throw new RangeError("maxFrameBytes too small");
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Messages in the frame being built. */
  get count(): number {
    return this.#parts.length;
  }

  /** Size of the frame being built, bytes (brackets and commas included). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether a message of `messageBytes` still fits. An empty frame takes anything that fits the cap. */
  fits(messageBytes: number): boolean {
    const separator = this.#parts.length === 0 ? 0 : 1;
    return this.#bytes + separator + messageBytes <= this.#maxFrameBytes;
  }

  /** Appends a message (JSON text); the caller checked {@link fits}. */
  add(json: string, messageBytes: number): void {
    if (this.#parts.length > 0) this.#bytes += 1;
    this.#bytes += messageBytes;
    this.#parts.push(json);
  }

  /** The frame text, and a reset for the next frame. */
  take(): string {
    const text = `[${this.#parts.join(",")}]`;
    this.#parts = [];
    this.#bytes = FRAME_OVERHEAD_BYTES;
    return text;
  }
}

/**
 * Packs messages into as few frames as possible, in order, each ≤ `maxFrameBytes` (pure; the pipeline
 * uses {@link FrameBuilder} directly). A single message larger than the cap gets a frame of its own.
 */
export function packFrames(messages: readonly string[], maxFrameBytes = DEFAULT_MAX_MESSAGE_BYTES): string[] {
  const frames: string[] = [];
  const builder = new FrameBuilder(maxFrameBytes);
  for (const message of messages) {
    const bytes = Buffer.byteLength(message);
    if (builder.count > 0 && !builder.fits(bytes)) frames.push(builder.take());
    builder.add(message, bytes);
  }
  if (builder.count > 0) frames.push(builder.take());
  return frames;
}
