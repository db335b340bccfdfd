/**
 * Inbound dispatch: one handler per message `Type` in a table (STYLE habit 7), not a switch. The
 * connection parses `Type` and, where the table says so, `ID`, then calls the entry.
 */
import { PONG } from "../../protocol/messages.js";
import { ConverterFailure, loginRequired, missingKey, unsupportedMessageType } from "./converter-errors.js";
import { handleDictionaryRequest, handleDirectoryRequest } from "./directory-handler.js";
import { handleItemRequest } from "./item-request-handler.js";
import { handleLoginRequest } from "./login-handler.js";
import { type InboundType, type JsonObject, readDomain, readStreamId } from "./message-keys.js";
import { handlePost } from "./post-handler.js";
import type { ServerSession } from "./session.js";

/** One row of the dispatch table. */
export interface MessageHandler {
  /** Whether the connection must validate `ID` as one stream id before calling (Ping/Pong have none; Close reads its own, which may be an array). */
  readonly requiresStreamId: boolean;
  /** Handles the message; `id` is the validated stream id, or 0 when `requiresStreamId` is false. */
  handle(session: ServerSession, message: JsonObject, id: number): void;
}

const PONG_JSON = JSON.stringify(PONG);

/**
 * Requests by Domain: Login; MarketPrice items in both profiles (§4A.1); the Source directory and the
 * Dictionary answer in the ADS profile (§4A.4, §4A.8). RCC is documented for none of the others, so they
 * get Status Closed/Suspect (§4A [INF]).
 */
function handleRequest(session: ServerSession, message: JsonObject, id: number): void {
  const domain = readDomain(message.Domain, id);
  if (domain instanceof ConverterFailure) return session.replyError(domain, message);
  if (domain === "Login") return handleLoginRequest(session, message, id);
  if (session.loginStreamId === undefined) return session.replyError(loginRequired("Request", id), message);
  if (domain === "MarketPrice") return handleItemRequest(session, message, id);
  const ads = session.resources.profile === "ads";
  if (ads && domain === "Source") return handleDirectoryRequest(session, message, id);
  if (ads && domain === "Dictionary") return handleDictionaryRequest(session, message, id);
  const status: Record<string, unknown> = { ID: id, Type: "Status", Domain: domain };
  status.State = {
    Stream: "Closed",
    Data: "Suspect",
    Code: typeof domain === "number" ? "InvalidArgument" : "UsageError",
    Text: typeof domain === "number" ? "Domain not supported" : "Domain not supported by service.",
  };
  session.replyMessage(status);
}

/**
 * Close (§2.13, §4A.2, §4A.3; item 29): the login stream ends the session and with it every stream; item and
 * directory streams end at once. No reply, except one Status on the first ID of a batch close (`ID` as an
 * array). A Close for a stream that is not open is ignored.
 */
function handleClose(session: ServerSession, message: JsonObject): void {
  if (message.ID === undefined) return session.replyError(missingKey("ID"), message);
  const rawIds: unknown[] = Array.isArray(message.ID) ? message.ID : [message.ID];
  const ids: number[] = [];
  for (const raw of rawIds) {
    const id = readStreamId(raw);
    if (id instanceof ConverterFailure) return session.replyError(id, message);
    ids.push(id);
  }
  const domain = readDomain(message.Domain, ids[0] ?? 0);
  if (domain instanceof ConverterFailure) return session.replyError(domain, message);
  if (domain === "Login") {
    const loginStreamId = session.loginStreamId;
    if (loginStreamId !== undefined && ids.includes(loginStreamId)) session.endSession();
    return;
  }
  const kind = domain === "MarketPrice" ? "item" : domain === "Source" ? "directory" : undefined;
  for (const id of ids) if (session.streams.get(id)?.kind === kind) session.streams.close(id);
  const first = ids[0];
  if (!Array.isArray(message.ID) || first === undefined) return;
  const text = `Processed ${ids.length} total stream ids from Batch Close Request. ${ids.length} Ok. `;
  const status: Record<string, unknown> = { ID: first, Type: "Status" };
  if (domain !== "MarketPrice") status.Domain = domain;
  status.State = { Stream: "Closed", Data: "Ok", Text: text };
  session.replyMessage(status);
}

function handleUnsupported(type: InboundType): MessageHandler {
  return {
    requiresStreamId: true,
    handle: (session, message, id) => session.replyError(unsupportedMessageType(type, id), message),
  };
}

/** The dispatch table. */
export const MESSAGE_HANDLERS: Readonly<Record<InboundType, MessageHandler>> = {
  Request: { requiresStreamId: true, handle: handleRequest },
  Post: { requiresStreamId: true, handle: handlePost },
  Close: { requiresStreamId: false, handle: handleClose },
  // §2.7: answer a client Ping with a Pong, at any time (also before the Login).
  Ping: { requiresStreamId: false, handle: (session) => session.reply(PONG_JSON) },
  Pong: {
    requiresStreamId: false,
    handle: (session) => {
      session.resources.context.state.counters.pongsReceived += 1;
    },
  },
  Refresh: handleUnsupported("Refresh"),
  Status: handleUnsupported("Status"),
  Update: handleUnsupported("Update"),
  Ack: handleUnsupported("Ack"),
  Generic: handleUnsupported("Generic"),
  Error: handleUnsupported("Error"),
};
