/**
 * One contribution as a producer sends it (`{ "ric", "fields", "id"? }`), checked as `rcc contribute` checks a
 * row: the shape (this file's schema, which /openapi.json publishes as well), then the RIC, the field names
 * and values, well-known numeric fields, and the size of the post against the frame limit (the client's own
 * checks). A bad item gets one precise message; the good items of the same request go on.
 */
import { z } from "zod";
import { DEFAULT_PIPELINE_OPTIONS } from "../index.js";
import { checkKnownFields, checkPost } from "../internal.js";
import type { StoredFields } from "./outbox/outbox.js";

/** Ids a producer may give: letters, digits and `._:-`, up to 128 characters (safe in URLs and logs). */
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The schema of one item. Field names and values are checked further by {@link checkItem}. */
export const itemSchema = z
  .object({
    ric: z.string().min(1).max(256).describe("the RIC to contribute to"),
    fields: z
      .record(z.string().min(1).max(64), z.union([z.number(), z.string().max(4096), z.null()]))
      .describe("field acronym → value: a number, a string, or null (blank)"),
    id: z
      .string()
      .regex(ID)
      .optional()
      .describe("the producer's own id for this item (letters, digits, ._:-; up to 128): a replay is not posted twice"),
  })
  .strict();

/** An item that passed every check. */
export interface CheckedItem {
  ric: string;
  fields: StoredFields;
  id?: string;
}

/** Options of {@link checkItem}. */
export interface ItemCheckOptions {
  /** The largest frame a post may need, bytes. @default DEFAULT_PIPELINE_OPTIONS.maxFrameBytes */
  maxFrameBytes?: number;
}

/** Checks one item. @returns the item, or the message saying what is wrong with it. */
export function checkItem(input: unknown, options: ItemCheckOptions = {}): CheckedItem | { error: string } {
  const parsed = itemSchema.safeParse(input);
  if (!parsed.success) return { error: describeIssue(parsed.error.issues[0]) };
  const { ric, fields, id } = parsed.data;
  try {
    checkPost(ric, fields, { maxFrameBytes: options.maxFrameBytes ?? DEFAULT_PIPELINE_OPTIONS.maxFrameBytes });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const known = checkKnownFields(fields);
  if (known !== undefined) return { error: known };
  return id === undefined ? { ric, fields } : { ric, fields, id };
}

/** One zod issue as a line a producer can act on: where, then what. */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return "invalid item";
  const where = issue.path.length === 0 ? "item" : issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    return `${where}: unknown propert${issue.keys.length === 1 ? "y" : "ies"} ${issue.keys.map((key) => JSON.stringify(key)).join(", ")} (an item has ric, fields and id)`;
  }
  if (issue.code === "invalid_type" && issue.path.length === 0) return "an item must be a JSON object";
  return `${where}: ${issue.message}`;
}
