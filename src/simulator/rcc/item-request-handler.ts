/**
 * MarketPrice item Requests (§4A.1–4A.3): single and batch requests, snapshots, views, reissues, and the
 * Status answers for what cannot be served. Requests, Refreshes and Statuses go into the reply frame of the
 * request; later Updates come from the {@link SubscriptionRegistry} fan-out.
 *
 * An item that exists (it matches `config.rics`, or a post created it) but has no contributed value yet is
 * answered with an Open/Ok Refresh carrying one blank field rather than a Status: LSEG's posting example
 * posts on its stream only after an Open/Ok Refresh, `rcc watch` started before the first contribution
 * should simply stay open, and the ETA Consumer needs a non-empty `Fields` object (§4A.3) [INF].
 */
import { ConverterFailure } from "./converter-errors.js";
import { type ItemStreamState, itemKeyJson, itemRefresh, itemStatus } from "./item-messages.js";
import { type ItemRequest, parseItemRequest } from "./item-request.js";
import type { ServedItemStream } from "./stream-types.js";
import type { JsonObject } from "./message-keys.js";
import type { ServerSession } from "./session.js";

/** Text of a Refresh that carries the current image. */
const REFRESH_TEXT = "All is well";
/** §4A.3: the text commonly reported for an unknown record [3P, unverified]. */
const NOT_FOUND_TEXT = "**The record could not be found";

/** Handles a Request whose Domain is MarketPrice. */
export function handleItemRequest(session: ServerSession, message: JsonObject, id: number): void {
  const request = parseItemRequest(session.resources, message, id);
  if (request instanceof ConverterFailure) return session.replyError(request, message);
  if (!request.batch) return requestItem(session, id, request.names[0], request, false);
  // §4A.2: the batch ID is closed with a Status, sent first as the ADS does; name i opens ID batch + 1 + i.
  const count = request.names.length;
  const text = `Processed ${count} total items from Batch Request. ${count} Ok.`;
  session.reply(itemStatus(id, undefined, { Stream: "Closed", Data: "Ok", Text: text }));
  for (const [index, name] of request.names.entries()) requestItem(session, id + 1 + index, name, request, true);
}

/** One item of a request: a new stream, a reissue, or a Status refusing it. */
function requestItem(
  session: ServerSession,
  id: number,
  ric: string | undefined,
  request: ItemRequest,
  fromBatch: boolean,
): void {
  const keyJson = ric === undefined ? undefined : itemKeyJson(request.serviceName, ric);
  const refuse = (state: ItemStreamState): void => session.reply(itemStatus(id, keyJson, state, request.privateStream));
  const existing = session.streams.get(id);
  // The login stream's ID is taken too: an item request there has a different key (§4A.1).
  if (existing !== undefined || id === session.loginStreamId) {
    const sameKey = existing?.kind === "item" && existing.ric === ric && existing.serviceName === request.serviceName;
    if (sameKey && !fromBatch) return reissue(session, existing, request);
    // The client's stream on this ID ends with the refusal (§4A.1 "same ID, different Name").
    session.streams.close(id);
    return refuse({
      Stream: "ClosedRecover",
      Data: "Suspect",
      Code: "UsageError",
      Text: `Item request rejected for stream id ${id} - stream already in use with a different key`,
    });
  }
  if (ric === undefined) {
    return refuse({ Stream: "Closed", Data: "Suspect", Code: "UsageError", Text: "Item request without Key.Name" });
  }
  if (fromBatch && session.streams.hasRic(ric)) {
    return refuse({
      Stream: "Closed",
      Data: "Suspect",
      Code: "UsageError",
      Text: `Item request rejected for stream id ${id} - reissue via batch request is not allowed`,
    });
  }
  if (request.unknownServiceId !== undefined) {
    const text = `Service id ${request.unknownServiceId} is unknown`;
    return refuse({ Stream: "Closed", Data: "Suspect", Code: "SourceUnknown", Text: text });
  }
  if (!request.ricNameType) {
    const text = "Only NameType Ric (1) is supported for MarketPrice items";
    return refuse({ Stream: "Closed", Data: "Suspect", Code: "UsageError", Text: text });
  }
  const { subscriptions } = session.resources;
  if (!subscriptions.exists(ric)) {
    return refuse({ Stream: "Closed", Data: "Suspect", Code: "NotFound", Text: NOT_FOUND_TEXT });
  }
  if (request.view === "invalid") {
    return refuse({ Stream: "Closed", Data: "Suspect", Code: "InvalidView", Text: "The View names no known field" });
  }
  const stream: ServedItemStream = {
    kind: "item",
    subscriber: session,
    id,
    ric,
    serviceName: request.serviceName,
    keyJson: keyJson ?? itemKeyJson(request.serviceName, ric),
    view: request.view,
    paused: request.pause,
    keyInUpdates: request.keyInUpdates,
    privateStream: request.privateStream,
  };
  const image = subscriptions.image(ric);
  session.reply(itemRefresh(stream, image, { streaming: request.streaming, solicited: true, text: REFRESH_TEXT }));
  // A snapshot is forgotten at once: no Updates, no Close expected, the ID may be reused (§4A.1).
  if (request.streaming) session.streams.open(stream);
}

/**
 * A Request on an open ID with the same key (§4A.1): the view is replaced (or removed when absent), Pause
 * follows the request, and a new full image is sent unless `Refresh:false`. `Streaming:false` ends the stream
 * with a NonStreaming Refresh.
 */
function reissue(session: ServerSession, stream: ServedItemStream, request: ItemRequest): void {
  if (request.view === "invalid") {
    session.streams.close(stream.id);
    const state: ItemStreamState = {
      Stream: "Closed",
      Data: "Suspect",
      Code: "InvalidView",
      Text: "The View names no known field",
    };
    session.reply(itemStatus(stream.id, stream.keyJson, state, stream.privateStream));
    return;
  }
  stream.view = request.view;
  stream.paused = request.pause;
  if (!request.streaming) session.streams.close(stream.id);
  if (!request.refresh && request.streaming) return;
  const image = session.resources.subscriptions.image(stream.ric);
  session.reply(itemRefresh(stream, image, { streaming: request.streaming, solicited: true, text: REFRESH_TEXT }));
}
