/**
 * One inbound text frame, element by element (§2.2, §2.11; checklist items 11 and 27): parse it once, then hand
 * each message of the array to its handler through the dispatch table (STYLE habit 7). Every element is handled
 * on its own: an error in one is answered with a converter Error and the rest go on. Split out of connection.ts.
 */
import { redactSecrets } from "../../util/logger.js";
import { ConverterFailure, invalidContainer, missingKey, parserError } from "./converter-errors.js";
import { MESSAGE_HANDLERS } from "./handlers.js";
import { isJsonObject, readStreamId, readType } from "./message-keys.js";
import type { Session } from "./session.js";

/** What the frame handler needs from its connection beyond the {@link Session}. */
export interface FrameHooks {
  /** Whether the connection is ending; the remaining elements of the frame are then dropped. */
  isClosing(): boolean;
  /** Counts one inbound message in the rate window and records it (items 26 and 32). */
  count(message: unknown): void;
}

/** Parses a text frame and dispatches each of its messages; the replies are queued on `session`. */
export function handleTextFrame(session: Session, text: string, hooks: FrameHooks): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    hooks.count(redactSecrets(text));
    session.replyError(parserError(error instanceof Error ? error.message : String(error), text.length), text);
    return;
  }
  const elements: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  for (const element of elements) {
    // A handler may end the connection mid-frame (login refused, rate "disconnect"): drop the rest.
    if (hooks.isClosing()) break;
    hooks.count(element);
    try {
      dispatchElement(session, element);
    } catch (error) {
      // Nothing a client sends may bring the server down (e.g. nesting deep enough to overflow the stack
      // while an element is walked): answer the element with a converter Error and go on (§2.11).
      session.log.warn({ err: error instanceof Error ? error.message : String(error) }, "message could not be handled");
      session.replyError(invalidContainer(), element);
    }
  }
}

/** Reads `Type` (and `ID` where the table asks for it) and calls the handler of that type. */
function dispatchElement(session: Session, element: unknown): void {
  if (!isJsonObject(element)) return session.replyError(invalidContainer(), element);
  const rawId = element.ID;
  const knownId = typeof rawId === "number" && Number.isInteger(rawId) ? rawId : 0;
  const type = readType(element.Type, knownId);
  if (type instanceof ConverterFailure) return session.replyError(type, element);
  const handler = MESSAGE_HANDLERS[type];
  if (!handler.requiresStreamId) return handler.handle(session, element, knownId);
  if (rawId === undefined) return session.replyError(missingKey("ID"), element);
  const id = readStreamId(rawId);
  if (id instanceof ConverterFailure) return session.replyError(id, element);
  handler.handle(session, element, id);
}

/** The offending message as text for `Debug.Message`; a value too deeply nested to serialise is described instead. */
export function echo(element: unknown): string {
  if (typeof element === "string") return element;
  try {
    return JSON.stringify(element);
  } catch {
    return "<message too deeply nested to echo>";
  }
}
