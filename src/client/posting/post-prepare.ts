/**
 * Turning a `contribute()` call into a queued post: the fields validated and written as JSON in one pass
 * (§2.12), the wire size checked against the frame cap (§2.2), and opt-in conflation into a still-queued post.
 * Pure apart from the entry's promise and the pipeline's memos ({@link PrepareMemo}).
 */
import type { Fields } from "../../protocol/messages.js";
import { type PostEntry, PostEntryFactory } from "./post-entry.js";
import { type PostFormat, fitsInFrame } from "./frame-builder.js";
import { type FieldsInput, validateRic } from "./field-validation.js";
import { FieldsJsonMemo, fieldsJson as validFieldsJson } from "./fields-json.js";
import { ValidationError } from "../errors.js";

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
  /** Field names' JSON keys and checked names (fields-json.ts). */
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
 * A new unsent entry: validates `fields` (§2.12) and writes their JSON in one pass (fields-json.ts).
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
