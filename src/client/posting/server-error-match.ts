/**
 * Which post a server `Error` message is about (§2.11). Errors carry no AckID: the converter echoes the
 * offending JSON in `Debug.Message`, so we look for a PostID there (one post, or a whole packed frame),
 * narrow by the field or RIC the `Text` names, and otherwise by RIC. Errors come back in the order of the
 * offending messages, so among equal candidates the oldest still in flight is the one. Pure.
 */
import type { PostEntry } from "./post-entry.js";

/**
 * A PostID as our posts write it: a JSON integer without a leading zero, not continued as a fraction or an
 * exponent (an echo reading `"PostID":1.5` or `1e0` is not about post 1; it is not a post of ours at all).
 */
const POST_ID = /"PostID"\s*:\s*(0|[1-9][0-9]{0,15})(?![0-9.eE])/g;
const KEY_NAME = /"Name"\s*:\s*"((?:[^"\\]|\\.)*)"/;
const FIELD_IN_TEXT = /Received '([^']*)' for key 'Fields'/;

/** Look-up of posts in flight. */
export interface InFlightPosts {
  get(postId: number): PostEntry | undefined;
  values(): IterableIterator<PostEntry>;
}

/** The `Text` and `Debug.Message` of an Error, or undefined when it is not an Error object. */
export function errorDetails(message: Record<string, unknown>): { text: string; debugMessage: string | undefined } {
  const text = typeof message.Text === "string" ? message.Text : "";
  const debug = message.Debug;
  const debugMessage =
    typeof debug === "object" && debug !== null && typeof (debug as { Message?: unknown }).Message === "string"
      ? (debug as { Message: string }).Message
      : undefined;
  return { text, debugMessage };
}

/** The in-flight post a server Error refers to, or undefined when it cannot be told. */
export function matchServerError(message: Record<string, unknown>, inFlight: InFlightPosts): PostEntry | undefined {
  const { text, debugMessage } = errorDetails(message);
  if (debugMessage === undefined) return undefined;
  const field = FIELD_IN_TEXT.exec(text)?.[1];
  const candidates: PostEntry[] = [];
  for (const match of debugMessage.matchAll(POST_ID)) {
    const entry = inFlight.get(Number(match[1]));
    if (entry !== undefined) candidates.push(entry);
  }
  if (candidates.length > 0) return pick(candidates, field);
  // No PostID echoed (e.g. a truncated message): fall back to the RIC in Key.Name.
  const ricJson = KEY_NAME.exec(debugMessage)?.[1];
  if (ricJson === undefined) return undefined;
  let ric: string;
  try {
    ric = JSON.parse(`"${ricJson}"`) as string;
  } catch {
    return undefined;
  }
  const sameRic: PostEntry[] = [];
  for (const entry of inFlight.values()) if (entry.ric === ric) sameRic.push(entry);
  return sameRic.length > 0 ? pick(sameRic, field) : undefined;
}

/** The oldest candidate carrying the field the Text names, else the oldest candidate. */
function pick(candidates: PostEntry[], field: string | undefined): PostEntry | undefined {
  if (field !== undefined) {
    const key = `${JSON.stringify(field)}:`;
    const withField = candidates.find((entry) => entry.fieldsJson.includes(key));
    if (withField !== undefined) return withField;
  }
  return candidates.reduce((oldest, entry) => (entry.postId < oldest.postId ? entry : oldest));
}
