/**
 * The consumer side of the WebSocket API, pure (STYLE habit 1): the messages a subscriber sends (user-name
 * Login, MarketPrice item Requests, Closes) and the reading of what comes back on item streams (§4A.1–4A.3,
 * §4A.5), leniently: `Type` as a name or its number, `State` enums as names or numbers.
 */
import { MESSAGE_TYPES, nameOf } from "../protocol/codes.js";
import { type Fields, LOGIN_STREAM_ID } from "../protocol/messages.js";
import type { InboundMessage } from "./session-link.js";
import { type ParsedState, parseState } from "./session-login.js";

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

/** The user-name Login of an on-site ADS (§4A.5): `Key.Name`, NameType 1 left out. */
export function buildUserNameLogin(options: { user: string; applicationId: string; position: string }): object {
  return {
    ID: LOGIN_STREAM_ID,
    Domain: "Login",
    Key: { Name: options.user, Elements: { ApplicationId: options.applicationId, Position: options.position } },
  };
}

/** Options of {@link buildItemRequest}. */
export interface ItemRequestOptions {
  streamId: number;
  ric: string;
  /** Service name; omitted = the server's default service (§2.3). */
  service?: string;
  /** Field names to receive; omitted = all fields (§4A.1). */
  view?: readonly string[];
  /** `false` asks for one snapshot Refresh. @default true */
  streaming?: boolean;
}

/** A MarketPrice item Request (§4A.1). */
export function buildItemRequest(options: ItemRequestOptions): object {
  const key: Record<string, string> = { Name: options.ric };
  if (options.service !== undefined) key.Service = options.service;
  const request: Record<string, unknown> = { ID: options.streamId, Key: key };
  if (options.view !== undefined && options.view.length > 0) request.View = [...options.view];
  if (options.streaming === false) request.Streaming = false;
  return request;
}

/** The Closes that end item streams one by one (a batch Close needs the server's support, §4A.2). */
export function buildItemCloses(streamIds: Iterable<number>): object[] {
  return [...streamIds].map((id) => ({ ID: id, Type: "Close" }));
}

/** The message's `Type` as a name; numbers are RWF classes (§2.3). */
export function messageType(message: InboundMessage): string | undefined {
  const type = message.Type;
  if (typeof type === "string") return type;
  if (typeof type === "number") return nameOf(MESSAGE_TYPES, type);
  return undefined;
}

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
