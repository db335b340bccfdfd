/**
 * One post from `contribute()` to its settlement: how a call becomes a queued entry (the fields validated and
 * written as JSON in one pass, §2.12; the wire size checked against the frame cap, §2.2; opt-in conflation into
 * a still-queued post), the entry the pipeline moves from queue to frame to the ack tracker, and the one place
 * its promise settles (exactly once, STYLE habit 3), from its Ack or otherwise. Pure apart from the entry's
 * promise and the pipeline's memo ({@link PrepareMemo}).
 */
import { NakError, ValidationError } from "../errors.js";
import type { LatencyHistogram } from "./latency.js";
import type { PipelineCounters } from "./pipeline-counters.js";
import type { Fields } from "../../protocol/messages.js";
import { PostFormat, fitsInFrame } from "./frame-builder.js";
import { type FieldsInput, validateRic } from "./post-fields.js";
import { FieldsJsonMemo, fieldsJson as validFieldsJson } from "./post-fields.js";

/** A positive acknowledgement: what `contribute()` resolves with. */
export interface Ack {
  /** PostID the post carried on its last send. */
  postId: number;
  /** From the frame carrying the post being written to the Ack arriving, milliseconds. */
  latencyMs: number;
  ric: string;
}

/** One post from `contribute()` to its settlement. Mutable, owned by the pipeline. */
export interface PostEntry {
  readonly ric: string;
  /** `JSON.stringify(ric)`, computed once. */
  readonly ricJson: string;
  /** `JSON.stringify` of the fields (merged ones, when conflated): the post's content, fixed at submit. */
  fieldsJson: string;
  /** Wire size without the PostID digits, bytes. */
  sizeWithoutPostId: number;
  /** Whether later posts to the same RIC may merge into this one while it is queued. */
  readonly conflate: boolean;
  /** PostID of the last send; 0 while never sent. */
  postId: number;
  /** Monotonic ms of the last send. */
  sentAtMs: number;
  /**
   * Monotonic ms at which `contribute()` accepted the post into the queue (for a caller that waited for
   * room, when it got in): its Ack timeout runs from here, across re-sends.
   */
  acceptedAtMs: number;
  /** Times sent (re-sends after a reconnect included). */
  sends: number;
  /** The connection of the last send, counted from 1 per pipeline; 0 while never sent. */
  connection: number;
  settled: boolean;
  readonly promise: Promise<Ack>;
  readonly resolve: (ack: Ack) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Makes post entries; the pipeline owns one (through its prepare memo), so nothing of one contributor's posts
 * is shared with another's. It hands the promise constructor one executor, bound once, that captures the
 * resolving functions of the promise being created: the ack hot path would otherwise allocate (and collect)
 * a new closure and its context per post at ≥ 100,000 posts/s.
 */
class PostEntryFactory {
  #resolve: ((ack: Ack) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;
  readonly #capture = (resolve: (ack: Ack) => void, reject: (error: Error) => void): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  /** Creates an unsent entry with its promise. */
  create(ric: string, ricJson: string, fieldsJson: string, sizeWithoutPostId: number, conflate: boolean): PostEntry {
    // The executor runs synchronously inside the constructor, so the captured pair is this promise's.
    const promise = new Promise<Ack>(this.#capture);
    const resolve = this.#resolve as (ack: Ack) => void;
    const reject = this.#reject as (error: Error) => void;
    this.#resolve = undefined;
    this.#reject = undefined;
    return {
      ric,
      ricJson,
      fieldsJson,
      sizeWithoutPostId,
      conflate,
      postId: 0,
      sentAtMs: 0,
      acceptedAtMs: 0,
      sends: 0,
      connection: 0,
      settled: false,
      promise,
      resolve,
      reject,
    };
  }
}

/** Creates an unsent entry with its promise, outside a pipeline (a factory of its own). */
export function createPostEntry(
  ric: string,
  ricJson: string,
  fieldsJson: string,
  sizeWithoutPostId: number,
  conflate: boolean,
): PostEntry {
  return new PostEntryFactory().create(ric, ricJson, fieldsJson, sizeWithoutPostId, conflate);
}

/** Resolves a post unless it already settled. @returns whether this call settled it. */
export function resolvePost(entry: PostEntry, ack: Ack): boolean {
  if (entry.settled) return false;
  entry.settled = true;
  entry.resolve(ack);
  return true;
}

/** Rejects a post unless it already settled. @returns whether this call settled it. */
export function rejectPost(entry: PostEntry, error: Error): boolean {
  if (entry.settled) return false;
  entry.settled = true;
  entry.reject(error);
  return true;
}

/** How many distinct Nak codes are counted by name; further new codes are counted as {@link OTHER_NAK_CODES}. */
const MAX_NAK_CODE_KEYS = 64;
/** Longest Nak code counted by name, characters (real ones are a word); longer ones count as "Other". */
const MAX_NAK_CODE_KEY_CHARS = 64;
/**
 * The counter of Nak codes beyond {@link MAX_NAK_CODE_KEYS} or {@link MAX_NAK_CODE_KEY_CHARS}: a server
 * inventing codes cannot grow the stats.
 */
const OTHER_NAK_CODES = "Other";

/**
 * Settles a post from its Ack (§2.9): resolves it, recording the latency, or — when `nakCode` is given (read
 * by `readNakCode`) — rejects it with a {@link NakError}. Counts either outcome.
 * @returns the NakError of a Nak (the caller publishes it), else undefined.
 */
export function settleFromAck(
  entry: PostEntry,
  nakCode: string | undefined,
  message: Record<string, unknown>,
  nowMs: number,
  counters: Pick<PipelineCounters, "acked" | "naked">,
  latency: LatencyHistogram,
): NakError | undefined {
  if (nakCode === undefined) {
    const latencyMs = nowMs - entry.sentAtMs;
    latency.record(latencyMs);
    counters.acked += 1;
    resolvePost(entry, { postId: entry.postId, latencyMs, ric: entry.ric });
    return undefined;
  }
  const error = new NakError(nakCode, typeof message.Text === "string" ? message.Text : "", entry);
  const naked = counters.naked;
  const countable =
    nakCode.length <= MAX_NAK_CODE_KEY_CHARS &&
    (Object.hasOwn(naked, nakCode) || Object.keys(naked).length < MAX_NAK_CODE_KEYS);
  const key = countable ? nakCode : OTHER_NAK_CODES;
  // Own properties only: a code word such as "constructor" must not read Object.prototype's.
  naked[key] = (Object.hasOwn(naked, key) ? (naked[key] ?? 0) : 0) + 1;
  rejectPost(entry, error);
  return error;
}

// From a contribute() call to a queued entry.

/**
 * What the hot path of `contribute()` remembers between posts. The pipeline owns one, so nothing is shared
 * between contributors.
 */
export class PrepareMemo {
  /**
   * The RIC of the previous post, its JSON and that JSON's UTF-8 length: consecutive posts usually share a
   * RIC, so its `JSON.stringify` and byte count are computed once per run of posts, not once per post.
   */
  lastRic: string | undefined;
  lastRicJson = "";
  lastRicBytes = 0;
  /** The last RIC that passed `validateRic`: a stream of posts usually repeats a RIC, and `===` is cheap. */
  lastValidRic: string | undefined;
  /** Field names' JSON keys and checked names (post-fields.ts). */
  readonly fields = new FieldsJsonMemo();
  /** Makes the entries, sharing one promise executor (post-entry.ts). */
  readonly entries = new PostEntryFactory();
}

/** What preparing a post needs from the pipeline. */
export interface PrepareContext {
  format: PostFormat;
  maxFrameBytes: number;
  /** The pipeline's memos. @default a fresh one per call (nothing remembered) */
  memo?: PrepareMemo;
}

/**
 * Checks a RIC (`validateRic`), skipping the check for a repeat of the last RIC that passed.
 * @throws ValidationError as `validateRic` does.
 */
export function checkRic(ric: unknown, memo: PrepareMemo): void {
  if (ric === memo.lastValidRic && ric !== undefined) return;
  memo.lastValidRic = validateRic(ric);
}

/**
 * A new unsent entry: validates `fields` (§2.12) and writes their JSON in one pass (post-fields.ts).
 * The RIC must already be valid (`validateRic`).
 * @throws ValidationError on a bad field, or when the post alone would not fit in a frame.
 */
export function createEntry(ric: string, fields: FieldsInput, conflate: boolean, context: PrepareContext): PostEntry {
  const memo = context.memo ?? new PrepareMemo();
  if (ric !== memo.lastRic) {
    memo.lastRicJson = JSON.stringify(ric);
    memo.lastRicBytes = Buffer.byteLength(memo.lastRicJson);
    memo.lastRic = ric;
  }
  const ricJson = memo.lastRicJson;
  const fieldsJson = validFieldsJson(fields, memo.fields);
  // Buffer.byteLength also flattens the JSON text built by concatenation: the entry keeps one flat string.
  const size = context.format.sizeWithoutPostId(memo.lastRicBytes + Buffer.byteLength(fieldsJson));
  if (!fitsInFrame(size, context.maxFrameBytes)) {
    throw new ValidationError(`post to ${ric} is larger than maxFrameBytes (${context.maxFrameBytes})`);
  }
  return memo.entries.create(ric, ricJson, fieldsJson, size, conflate);
}

/**
 * Merges `fields` over a queued entry's fields (later values win). @returns false, changing nothing, when
 * the merged post would not fit in a frame (the caller then queues the post separately).
 */
export function mergeInto(target: PostEntry, fields: Fields, context: PrepareContext): boolean {
  const merged: Fields = { ...(JSON.parse(target.fieldsJson) as Fields), ...fields };
  const fieldsJson = JSON.stringify(merged);
  const size = context.format.sizeWithoutPostId(Buffer.byteLength(target.ricJson) + Buffer.byteLength(fieldsJson));
  if (!fitsInFrame(size, context.maxFrameBytes)) return false;
  target.fieldsJson = fieldsJson;
  target.sizeWithoutPostId = size;
  return true;
}

/**
 * Checks a post as `contribute()` would before queueing it — RIC, fields, and that it fits in one frame of
 * `maxFrameBytes` — without a contributor (`rcc contribute --dry-run`).
 * @param options.service the posts' service name. @default "DDS_TRCE"
 * @param options.maxFrameBytes the frame cap, bytes. @default DEFAULT_PIPELINE_OPTIONS.maxFrameBytes
 * @throws ValidationError with the same message `contribute()` would reject the post with.
 */
export function checkPost(
  ric: string,
  fields: FieldsInput,
  options: { service?: string; maxFrameBytes: number },
): void {
  validateRic(ric);
  const format = new PostFormat(options.service === undefined ? {} : { service: options.service });
  createEntry(ric, fields, false, { format, maxFrameBytes: options.maxFrameBytes }); // its promise never settles
}
