/**
 * Turning a `contribute()` call into a queued post: the fields validated and written as JSON in one pass
 * (§2.12), the wire size checked against the frame cap (§2.2), and opt-in conflation into a still-queued post.
 * Pure apart from the entry's promise and a one-RIC memo of the RIC's JSON.
 */
import type { Fields } from "../../protocol/messages.js";
import { type PostEntry, createPostEntry } from "./ack-tracker.js";
import { type PostFormat, fitsInFrame } from "./frame-builder.js";
import type { FieldsInput } from "./field-validation.js";
import { fieldsJson as validFieldsJson } from "./fields-json.js";
import { ValidationError } from "../post-errors.js";

/** What preparing a post needs from the pipeline. */
export interface PrepareContext {
  format: PostFormat;
  maxFrameBytes: number;
}

/**
 * The RIC of the previous post, its JSON and that JSON's UTF-8 length: consecutive posts usually share a
 * RIC, so its `JSON.stringify` and byte count are computed once per run of posts, not once per post.
 */
let lastRic: string | undefined;
let lastRicJson = "";
let lastRicBytes = 0;

/**
 * A new unsent entry: validates `fields` (§2.12) and writes their JSON in one pass (fields-json.ts).
 * The RIC must already be valid (`validateRic`).
 * @throws ValidationError on a bad field, or when the post alone would not fit in a frame.
 */
export function createEntry(ric: string, fields: FieldsInput, conflate: boolean, context: PrepareContext): PostEntry {
  if (ric !== lastRic) {
    lastRicJson = JSON.stringify(ric);
    lastRicBytes = Buffer.byteLength(lastRicJson);
    lastRic = ric;
  }
  const ricJson = lastRicJson;
  const fieldsJson = validFieldsJson(fields);
  // Buffer.byteLength also flattens the JSON text built by concatenation: the entry keeps one flat string.
  const size = context.format.sizeWithoutPostId(lastRicBytes + Buffer.byteLength(fieldsJson));
  if (!fitsInFrame(size, context.maxFrameBytes)) {
    throw new ValidationError(`post to ${ric} is larger than maxFrameBytes (${context.maxFrameBytes})`);
  }
  return createPostEntry(ric, ricJson, fieldsJson, size, conflate);
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
