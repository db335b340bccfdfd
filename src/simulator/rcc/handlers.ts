/**
 * Inbound dispatch: one handler per message `Type` in a table (STYLE habit 7), not a switch. The
 * connection parses `Type` and, where the table says so, `ID`, then calls the entry.
 */
import { PONG } from "../../protocol/messages.js";
import { ConverterFailure, loginRequired, missingKey, unsupportedMessageType } from "./converter-errors.js";
import { handleLoginRequest } from "./login-handler.js";
import { type InboundType, type JsonObject, readDomain, readStreamId } from "./message-keys.js";
import { handlePost } from "./post-handler.js";
import type { Session } from "./session.js";

/** One row of the dispatch table. */
export interface MessageHandler {
  /** Whether the connection must validate `ID` as one stream id before calling (Ping/Pong have none; Close reads its own, which may be an array). */
  readonly requiresStreamId: boolean;
  /** Handles the message; `id` is the validated stream id, or 0 when `requiresStreamId` is false. */
  handle(session: Session, message: JsonObject, id: number): void;
}

const PONG_JSON = JSON.stringify(PONG);

/** Requests: Login goes to the login handler; the RCC profile serves no item streams. */
function handleRequest(session: Session, message: JsonObject, id: number): void {
  const domain = readDomain(message.Domain, id);
  if (domain instanceof ConverterFailure) return session.replyError(domain, message);
  if (domain === "Login") return handleLoginRequest(session, message, id);
  if (session.loginStreamId === undefined) return session.replyError(loginRequired("Request", id), message);
  // RCC is documented for Login, off-stream Post/Ack and Ping only; item requests are refused (§4A [INF]).
  const status: Record<string, unknown> = { Type: "Status", ID: id };
  if (domain !== "MarketPrice") status.Domain = domain;
  status.State = {
    Stream: "Closed",
    Data: "Suspect",
    Code: typeof domain === "number" ? "InvalidArgument" : "UsageError",
    Text: typeof domain === "number" ? "Domain not supported" : "Item requests are not supported by this RCC server",
  };
  session.replyMessage(status);
}

/** Close: ends the login session when it names the login stream (§2.13, item 29); no reply either way. */
function handleClose(session: Session, message: JsonObject): void {
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
  const loginStreamId = session.loginStreamId;
  if (domain === "Login" && loginStreamId !== undefined && ids.includes(loginStreamId)) session.endSession();
  // Any other Close names a stream this server never opened: ignored (§4A.3).
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
