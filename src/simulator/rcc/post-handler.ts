/**
 * Posts (§2.8, §2.9, §3.1, §3.4, §4A.6; checklist items 20–28): off-stream on the login stream, and
 * on-stream on an item stream opened by a Request. This is the hot path: up to 100,000 posts per second
 * on one connection, so it allocates little (Acks are pre-serialised strings), looks fields up in a Map,
 * never logs per post, and the fan-out to subscribers costs one Map lookup when nobody watches the RIC.
 *
 * Checks run in the order a real server applies them: first the JSON converter (post-convert.ts → `Error`,
 * no Ack), then the contribution system (→ Nak when `Ack:true`). Accepted posts are applied to the item
 * image, then fanned out; the fan-out leaves after the Ack (§4A.6 rules 4 and 5). The parts of a multi-part post
 * are assembled by post-parts.ts and the post is applied and Acked once, after its last part (§4A.6 rule 8).
 */
import type { Fields } from "../../protocol/messages.js";
import type { PostOutcome, ReceivedPost } from "../state.js";
import { ConverterFailure } from "./converter-errors.js";
import type { JsonObject } from "./message-keys.js";
import type { ConvertedPost } from "./converted-post.js";
import { convertPost } from "./post-convert.js";
import { PartRejection } from "./post-parts.js";
import type { ServerSession } from "./session.js";
import type { FanOutExtras } from "./subscription-registry.js";

/** What an accepted post does to its item (§4A.6 rule 3). */
type PostAction = "update" | "refresh" | "delete";

/** `PostUserRights` bits (§4A.6 rule 7). */
const RIGHT_CREATE = 0x1;
const RIGHT_DELETE = 0x2;

/** The Ack of §2.9 as JSON text; numbers only (and a fixed text), so no escaping is needed. */
function ackJson(id: number, postId: number, seqNumber: number | undefined, ads: boolean): string {
  let json = `{"Type":"Ack","ID":${id},"AckID":${postId}`;
  if (seqNumber !== undefined) json += `,"SeqNumber":${seqNumber}`;
  // The ADS adds a text to positive Acks, RCC does not (§2.9, §4A.6 rule 4).
  return ads ? `${json},"Text":"All is well"}` : `${json}}`;
}

/** A post the profile does not allow: Nak `InvalidContent` with this text. */
interface Refusal {
  refusal: string;
}

/**
 * What the post asks for, or why the profile does not allow it: RCC takes nested Updates only (§2.8,
 * item 22); an ADS also payload-only posts, nested Refreshes and a closing nested Status (§4A.6).
 */
function actionOf(post: ConvertedPost, ads: boolean): PostAction | Refusal {
  if (!ads) {
    if (post.nestedType === undefined) return { refusal: "The post carries no nested Update message" };
    if (post.nestedType === "Update") return "update";
    return { refusal: `The nested message must be an Update, not a ${post.nestedType}` };
  }
  if (post.payloadOnly || post.nestedType === "Update") return "update";
  if (post.nestedType === "Refresh") return "refresh";
  if (post.nestedType === "Status" && post.nestedStream === "Closed") {
    if ((post.postUserRights & RIGHT_DELETE) !== 0) return "delete";
    return { refusal: "client has insufficient rights to close/delete an item" };
  }
  if (post.nestedType === undefined) return { refusal: "The post carries no message and no Fields" };
  return { refusal: `A ${post.nestedType} cannot be posted` };
}

/** Handles one `"Type":"Post"` message. */
export function handlePost(session: ServerSession, message: JsonObject, id: number): void {
  const { context, listener, profile, subscriptions } = session.resources;
  const { faults, config } = context;
  const info = session.info;
  info.posts += 1;

  const converted = convertPost(session, message, id);
  if (converted instanceof ConverterFailure) {
    // A part that fails conversion is dropped like any message (§2.11); the next part of its post is then a gap.
    session.replyError(converted, message, false);
    const ric = isNamedKey(message.Key) ? message.Key.Name : "";
    record(session, ric, undefined, {}, "error", undefined, converted.text);
    return;
  }
  let post = converted;
  // No stream is open before a Login; off-stream posts ride the login stream (§2.8, item 20), on-stream posts
  // an item stream of this connection, whose item they update whatever their Key says (§4A.6 rule 1).
  const loginStreamId = session.loginStreamId;
  const stream = loginStreamId === undefined || id === loginStreamId ? undefined : session.streams.item(id);
  if (loginStreamId === undefined || (id !== loginStreamId && stream === undefined)) {
    return nak(session, post, "NotOpen", `No open stream with ID ${id}`);
  }
  if (stream !== undefined) post.ric = stream.ric;
  let ackDelayMs = 0;
  if (session.rate.overLimit) {
    const text = `Message rate exceeded: more than ${config.maxMessagesPerSecond} messages per second`;
    if (config.ratePolicy === "nak") return nak(session, post, "NoResources", text);
    if (config.ratePolicy === "disconnect") {
      record(session, post.ric ?? "", post.postId, fieldsOf(post), "nak", "NoResources", text);
      session.terminate("NoResources", text);
      return;
    }
    ackDelayMs = session.rate.delayMs();
  }
  // §4A.6 rule 8: every part passed the checks above on its own; the rest applies to the whole post, once.
  const whole = session.postParts.accept(post);
  if (whole === undefined) return;
  if (whole instanceof PartRejection) return nak(session, post, whole.code, whole.text);
  post = whole;
  if (post.domain !== "MarketPrice") return nak(session, post, "InvalidContent", "Only MarketPrice posts are accepted");
  if (post.nestedDomain !== undefined && post.nestedDomain !== post.domain) {
    const nested = String(post.nestedDomain);
    return nak(
      session,
      post,
      "InvalidContent",
      `The nested message's Domain ${nested} differs from the post's MarketPrice`,
    );
  }
  const ads = profile === "ads";
  const action = actionOf(post, ads);
  if (typeof action === "object") return nak(session, post, "InvalidContent", action.refusal);
  const ric = post.ric;
  if (ric === undefined) return nak(session, post, "InvalidContent", "An off-stream post needs Key.Name");
  if (stream === undefined && typeof post.service === "number" && !session.resources.serviceIds.has(post.service)) {
    return nak(session, post, "SourceUnknown", `Service id ${post.service} is unknown`);
  }
  // Real RICs are short; a longer name is an item no server has, answered like any unknown one (and the
  // simulator keeps no state for it: every name it stores costs memory and admin output).
  if (ric.length > config.maxRicLength) {
    const text = ads ? "F44: Unable to find item on post update." : "Symbol unknown";
    return nak(session, post, "SymbolUnknown", `${text} (RIC names are at most ${config.maxRicLength} characters)`);
  }
  // §4A.6 rule 6: only a Refresh with the Create right may post to an item that does not exist.
  const exists = subscriptions.exists(ric);
  const create = !exists && action === "refresh" && (post.postUserRights & RIGHT_CREATE) !== 0;
  if (!exists && !create) {
    return nak(session, post, "SymbolUnknown", ads ? "F44: Unable to find item on post update." : "Symbol unknown");
  }
  if (session.permissions?.matches(ric) !== true) {
    return nak(session, post, "AccessDenied", `User is not permissioned to contribute to ${ric}`);
  }
  if (post.contentProblem !== undefined) return nak(session, post, "InvalidContent", post.contentProblem);
  if (action !== "delete") {
    // The last-value table is bounded so that no client can exhaust the simulator's memory or admin output.
    const full = context.state.storageProblem(ric, fieldsOf(post), action === "refresh", config);
    if (full !== undefined) return nak(session, post, "NoResources", full);
  }
  const scope = { listener, connection: info.id, ric };
  const injected = faults.match("nak", scope);
  if (injected) return nak(session, post, injected.code ?? "NoResources", injected.text ?? "Post rejected");

  const { postId } = post;
  let outcome: PostOutcome = "no-ack";
  if (post.ack && postId !== undefined && !faults.match("drop-acks", scope)) {
    const delayFault = faults.match("delay-acks", scope);
    if (delayFault?.ms !== undefined) ackDelayMs = Math.max(ackDelayMs, delayFault.ms);
    info.acks += 1;
    const ack = ackJson(id, postId, post.seqNumber, ads);
    if (ackDelayMs > 0) session.replyLater(ack, ackDelayMs);
    else session.reply(ack);
    outcome = "ack";
  }
  if (create) subscriptions.create(ric);
  apply(session, ric, post, action, outcome);
}

/** Applies an accepted post to the item image (kept in `state.rics`) and fans it out (§4A.6 rules 3 and 5). */
function apply(
  session: ServerSession,
  ric: string,
  post: ConvertedPost,
  action: PostAction,
  outcome: PostOutcome,
): void {
  const { context, subscriptions } = session.resources;
  const fields = fieldsOf(post);
  // A posted Refresh replaces the image: clear it before the state merges the new fields in.
  if (action === "refresh") {
    const image = context.state.rics.get(ric);
    if (image !== undefined) image.fields = {};
  }
  record(session, ric, post.postId, fields, outcome);
  if (action === "update") {
    // The hot path: with nobody watching the RIC this is one Map lookup.
    if (subscriptions.subscriberCount(ric) > 0 && hasAnyKey(fields))
      subscriptions.publishUpdate(ric, fields, extrasOf(post));
  } else if (action === "refresh") {
    subscriptions.publishRefresh(ric, extrasOf(post));
  } else {
    subscriptions.deleteItem(ric, { Stream: "Closed", Data: "Suspect", Text: "The item was deleted by a post" });
  }
}

function extrasOf(post: ConvertedPost): FanOutExtras {
  const extras: FanOutExtras = {};
  if (post.postUserInfoJson !== undefined) extras.postUserInfoJson = post.postUserInfoJson;
  if (post.updateType !== undefined) extras.updateType = post.updateType;
  return extras;
}

function hasAnyKey(fields: Fields): boolean {
  for (const _name in fields) return true;
  return false;
}

function fieldsOf(post: ConvertedPost): Fields {
  // The converter checked every value's JSON type against the field table, so this is a Fields object.
  return (post.fields ?? {}) as Fields;
}

/**
 * Rejects a post: a Nak when the post (any of its parts, §4A.6 rule 8) asked for an Ack (item 25), and the
 * outcome recorded either way. A multi-part post still open under the same stream and PostID ends with it.
 */
function nak(session: ServerSession, post: ConvertedPost, code: string, text: string): void {
  session.info.naks += 1;
  const ackWanted = session.postParts.discard(post) || post.ack;
  if (ackWanted && post.postId !== undefined) {
    session.reply(JSON.stringify({ Type: "Ack", ID: post.id, AckID: post.postId, NakCode: code, Text: text }));
  }
  record(session, post.ric ?? "", post.postId, fieldsOf(post), "nak", code, text);
}

function isNamedKey(value: unknown): value is { Name: string } {
  return typeof value === "object" && value !== null && typeof (value as { Name?: unknown }).Name === "string";
}

function record(
  session: ServerSession,
  ric: string,
  postId: number | undefined,
  fields: Fields,
  outcome: PostOutcome,
  nakCode?: string,
  text?: string,
): void {
  const post: ReceivedPost = {
    atMs: session.frameTimeMs,
    connectionId: session.info.id,
    listener: session.resources.listener,
    ric,
    fields,
    outcome,
  };
  if (session.info.user !== undefined) post.user = session.info.user;
  if (postId !== undefined) post.postId = postId;
  if (nakCode !== undefined) post.nakCode = nakCode;
  if (text !== undefined) post.text = text;
  session.resources.context.state.recordPost(post);
}
