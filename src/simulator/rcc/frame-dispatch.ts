/**
 * One inbound text frame, element by element (§2.2, §2.11; checklist items 11 and 27): parse it once, then hand
 * each message of the array to its handler through the dispatch table (STYLE habit 7). Every element is handled
 * on its own: an error in one is answered with a converter Error and the rest go on. The connection decides how
 * many messages are handled at a time (inbound-queue.ts). Split out of connection.ts.
 */
import { redactSecrets } from "../../util/logger.js";
import { ConverterFailure, invalidContainer, missingKey, parserError } from "./converter-errors.js";
import { MESSAGE_HANDLERS } from "./handlers.js";
import { isJsonObject, readStreamId, readType } from "./message-keys.js";
import type { ServerSession } from "./session.js";

/** What the frame handler needs from its connection beyond the {@link ServerSession}. */
export interface FrameHooks {
  /** Whether the connection is ending; the remaining elements of the frame are then dropped. */
  isClosing(): boolean;
  /** Counts one inbound message in the rate window and records it (items 26 and 32). */
  count(message: unknown): void;
  /**
   * Called before each message is handled; false ends the connection instead (a peer over its allowance of
   * messages before a Login), and the rest of the frame is dropped.
   */
  admit(message: unknown): boolean;
}

/**
 * Parses a text frame. Returns its messages to be handled with {@link FrameCursor.advance}, or undefined when the
 * text was not JSON (it has then been counted and answered with one Error).
 */
export function openTextFrame(session: ServerSession, text: string, hooks: FrameHooks): FrameCursor | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const record = redactSecrets(text);
    if (!hooks.admit(record)) return undefined;
    hooks.count(record);
    session.replyError(parserError(error instanceof Error ? error.message : String(error), text.length), text);
    return undefined;
  }
  return new FrameCursor(session, Array.isArray(parsed) ? parsed : [parsed], hooks);
}

/**
 * The messages of one parsed frame, handled a slice at a time so that a frame of thousands of messages does not
 * hold the event loop (§2.2 allows any number of messages per frame). Every message is handled on its own: an
 * error in one is answered with a converter Error and the rest go on.
 */
export class FrameCursor {
  readonly #session: ServerSession;
  readonly #elements: readonly unknown[];
  readonly #hooks: FrameHooks;
  #next = 0;

  constructor(session: ServerSession, elements: readonly unknown[], hooks: FrameHooks) {
    this.#session = session;
    this.#elements = elements;
    this.#hooks = hooks;
  }

  /** Whether every message has been handled, or the connection ended and the rest is dropped. */
  get done(): boolean {
    return this.#next >= this.#elements.length || this.#hooks.isClosing();
  }

  /** Handles up to `limit` more messages, in order; returns how many were handled. */
  advance(limit: number): number {
    const { length } = this.#elements;
    const end = Math.min(length, this.#next + limit);
    const first = this.#next;
    const session = this.#session;
    const hooks = this.#hooks;
    while (this.#next < end) {
      // A handler may end the connection mid-frame (login refused, rate "disconnect"): drop the rest.
      if (hooks.isClosing()) break;
      const element = this.#elements[this.#next];
      this.#next += 1;
      if (!hooks.admit(element)) break;
      hooks.count(element);
      try {
        dispatchElement(session, element);
      } catch (error) {
        // Nothing a client sends may bring the server down (e.g. nesting deep enough to overflow the stack
        // while an element is walked): answer the element with a converter Error and go on (§2.11).
        session.log.warn(
          { err: error instanceof Error ? error.message : String(error) },
          "message could not be handled",
        );
        session.replyError(invalidContainer(), element);
      }
    }
    return this.#next - first;
  }
}

/** Reads `Type` (and `ID` where the table asks for it) and calls the handler of that type. */
function dispatchElement(session: ServerSession, element: unknown): void {
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
