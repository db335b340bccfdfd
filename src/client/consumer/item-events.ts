/**
 * The consumer side of the WebSocket API, pure (STYLE habit 1): the reading of what comes back on item streams (§4A.1–4A.3,
 * §4A.5), leniently: `Type` as a name or its number, `State` enums as names or numbers.
 */
import { messageType } from "../../protocol/inbound-frame.js";
import type { Fields } from "../../protocol/messages.js";
import type { InboundMessage } from "../connection/link.js";
import { type ParsedState, parseState } from "../connection/login-outcome.js";

/** What an item stream reported. */
export interface ItemEvent {
  type: "Refresh" | "Update" | "Status";
  /** The RIC the stream was opened for. */
  ric: string;
  streamId: number;
  /** Fields of a Refresh or Update (a Refresh carries the whole image). */
  fields?: Fields;
  /** `State` of a Refresh or Status. */
  state?: ParsedState;
  /** Who contributed the values, when the server says (§4A.6 rule 5). */
  postUserInfo?: { Address?: unknown; UserID?: unknown };
  /** The message as received. */
  message: InboundMessage;
}

/** Stream states after which the server sends nothing more on the stream (§2.10). */
const FINAL_STREAM_STATES: ReadonlySet<string> = new Set(["NonStreaming", "ClosedRecover", "Closed", "Redirected"]);

/**
 * Reads a Refresh, Update or Status on an item stream. @returns undefined for other message types.
 * @param ricOf the RIC the client opened a stream id for.
 */
export function readItemEvent(
  message: InboundMessage,
  ricOf: (streamId: number) => string | undefined,
): ItemEvent | undefined {
  const type = messageType(message);
  if (type !== "Refresh" && type !== "Update" && type !== "Status") return undefined;
  const streamId = typeof message.ID === "number" ? message.ID : Number.NaN;
  const key = message.Key as Record<string, unknown> | undefined;
  const ric = ricOf(streamId) ?? (typeof key?.Name === "string" ? key.Name : "");
  const event: ItemEvent = { type, ric, streamId, message };
  if (typeof message.Fields === "object" && message.Fields !== null) event.fields = message.Fields as Fields;
  if (message.State !== undefined) event.state = parseState(message.State);
  const info = message.PostUserInfo;
  if (typeof info === "object" && info !== null) event.postUserInfo = info;
  return event;
}

/** Whether the stream of `event` is over (a snapshot done, or closed by the server). */
export function endsStream(event: ItemEvent): boolean {
  return event.state?.stream !== undefined && FINAL_STREAM_STATES.has(event.state.stream);
}
