/**
 * Turning a `contribute()` call into a queued post: validation (§2.12), one `JSON.stringify` of the fields,
 * the wire size checked against the frame cap (§2.2), and opt-in conflation into a still-queued post.
 * Pure apart from the entry's promise.
 */
import type { Fields } from "../protocol/messages.js";
import { type PostEntry, createPostEntry } from "./ack-tracker.js";
import { type PostFormat, fitsInFrame } from "./batcher.js";
import { type FieldsInput, normalizeFields, validateRic } from "./field-validation.js";
import { ValidationError } from "./post-errors.js";

/** What preparing a post needs from the pipeline. */
export interface PrepareContext {
  format: PostFormat;
  maxFrameBytes: number;
}

/** The validated fields of a post and its RIC, before an entry exists. */
export interface ValidPost {
  ric: string;
  fields: Fields;
}

/** @throws ValidationError on a bad RIC or field. */
export function validatePost(ric: string, fields: FieldsInput): ValidPost {
  return { ric: validateRic(ric), fields: normalizeFields(fields) };
}

/**
 * A new unsent entry for a validated post.
 * @throws ValidationError when the post alone would not fit in a frame.
 */
export function createEntry(post: ValidPost, conflate: boolean, context: PrepareContext): PostEntry {
  const ricJson = JSON.stringify(post.ric);
  const fieldsJson = JSON.stringify(post.fields);
  const size = context.format.sizeWithoutPostId(Buffer.byteLength(ricJson) + Buffer.byteLength(fieldsJson));
  if (!fitsInFrame(size, context.maxFrameBytes)) {
    throw new ValidationError(`post to ${post.ric} is larger than maxFrameBytes (${context.maxFrameBytes})`);
  }
  return createPostEntry(post.ric, ricJson, fieldsJson, size, conflate);
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
