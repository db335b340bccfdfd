/**
 * Off-stream posts (§2.8, §2.9, §3.1, §3.4; checklist items 20–28). This is the hot path: up to 100,000
 * posts per second on one connection, so it allocates little (Acks are pre-serialised strings), looks
 * fields up in a Map, and never logs per post.
 *
 * Checks run in the order a real server applies them: first the JSON converter (→ `Error`, no Ack), then
 * the contribution system (→ Nak when `Ack:true`).
 */
import type { Fields } from "../../protocol/messages.js";
import type { PostOutcome, ReceivedPost } from "../state.js";
import { ConverterFailure, missingKey, tokenTypeError, unexpectedFid, unexpectedValue } from "./converter-errors.js";
import { checkFieldValue } from "./field-values.js";
import {
  type InboundType,
  type JsonObject,
  readBoolean,
  readDomain,
  readObject,
  readStreamId,
  readString,
  readType,
  readUInt,
} from "./message-keys.js";
import type { Session } from "./session.js";

/** A post that passed the converter, as the contribution system sees it. */
interface ConvertedPost {
  id: number;
  domain: string | number;
  ack: boolean;
  postId: number | undefined;
  seqNumber: number | undefined;
  ric: string | undefined;
  service: unknown;
  nestedType: InboundType | undefined;
  fields: JsonObject | undefined;
  /** First field whose value the contribution system cannot store (Nak InvalidContent). */
  contentProblem: string | undefined;
}

/** The Ack of §2.9 as JSON text; numbers only, so no escaping is needed. */
function ackJson(id: number, postId: number, seqNumber: number | undefined): string {
  return seqNumber === undefined
    ? `{"Type":"Ack","ID":${id},"AckID":${postId}}`
    : `{"Type":"Ack","ID":${id},"AckID":${postId},"SeqNumber":${seqNumber}}`;
}

/** Runs the converter's checks; returns the failure to answer with an Error, or the converted post. */
function convert(session: Session, message: JsonObject, id: number): ConvertedPost | ConverterFailure {
  const domain = readDomain(message.Domain, id);
  if (domain instanceof ConverterFailure) return domain;
  const ack = readBoolean(message.Ack, "Ack", false, id);
  if (ack instanceof ConverterFailure) return ack;
  const postId = readUInt(message.PostID, "PostID", id);
  if (postId instanceof ConverterFailure) return postId;
  // An Ack must name the post it answers (RWF rule, §2.8).
  if (ack && postId === undefined) return missingKey("PostID");
  const seqNumber = readUInt(message.SeqNumber, "SeqNumber", id);
  if (seqNumber instanceof ConverterFailure) return seqNumber;
  const key = readObject(message.Key, "Key", id);
  if (key instanceof ConverterFailure) return key;
  const ric = readString(key?.Name, "Name", id);
  if (ric instanceof ConverterFailure) return ric;
  const service = key?.Service;
  if (typeof service === "string") {
    // The converter maps service names through the directory: an unknown name is an Error, not a Nak (§2.8, item 21).
    if (!session.resources.serviceIdsByName.has(service)) return unexpectedValue(service, "Service", id);
  } else if (typeof service === "number") {
    if (!Number.isInteger(service) || service < 0 || service > 65_535) return unexpectedValue(service, "Service", id);
  } else if (service !== undefined) {
    return tokenTypeError("Service", "PRIMITIVE", service, id);
  }
  const nested = readObject(message.Message, "Message", id);
  if (nested instanceof ConverterFailure) return nested;
  let nestedType: InboundType | undefined;
  let fields: JsonObject | undefined;
  let contentProblem: string | undefined;
  if (nested !== undefined) {
    const type = readType(nested.Type, id);
    if (type instanceof ConverterFailure) return type;
    nestedType = type;
    // The converter requires ID on every message, nested ones included (§2.8 "Nested ID is required").
    if (nested.ID === undefined) return missingKey("ID", "Message");
    const nestedId = readStreamId(nested.ID);
    if (nestedId instanceof ConverterFailure) return nestedId;
    // "Fields": null is an empty container (§2.12).
    const rawFields = nested.Fields === null ? undefined : readObject(nested.Fields, "Fields", id);
    if (rawFields instanceof ConverterFailure) return rawFields;
    fields = rawFields;
    if (fields !== undefined) {
      const table = session.resources.fields;
      for (const name in fields) {
        const definition = table.get(name);
        if (definition === undefined) return unexpectedFid(name, id);
        const value = fields[name];
        const problem = checkFieldValue(definition, value);
        if (problem === undefined) continue;
        if (problem.kind === "token-type") return tokenTypeError(name, problem.expected, value, id);
        if (problem.kind === "unexpected-value") return unexpectedValue(value, name, id);
        contentProblem ??= `Invalid value for ${name}: ${problem.reason}`;
      }
    }
  }
  return { id, domain, ack, postId, seqNumber, ric, service, nestedType, fields, contentProblem };
}

/** Handles one `"Type":"Post"` message. */
export function handlePost(session: Session, message: JsonObject, id: number): void {
  const { context, listener } = session.resources;
  const { faults, config } = context;
  const info = session.info;
  info.posts += 1;

  const post = convert(session, message, id);
  if (post instanceof ConverterFailure) {
    session.replyError(post, message, false);
    record(session, isNamedKey(message.Key) ? message.Key.Name : "", undefined, {}, "error", undefined, post.text);
    return;
  }
  // No stream is open before a Login, and RCC posts ride the login stream (§2.8, item 20).
  if (session.loginStreamId === undefined || id !== session.loginStreamId) {
    return nak(session, post, "NotOpen", `No open stream with ID ${id}`);
  }
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
  if (post.domain !== "MarketPrice") return nak(session, post, "InvalidContent", "Only MarketPrice posts are accepted");
  if (post.nestedType === undefined) {
    return nak(session, post, "InvalidContent", "The post carries no nested Update message");
  }
  // "The message must be the Update message type" (§2.8, item 22).
  if (post.nestedType !== "Update") {
    return nak(session, post, "InvalidContent", `The nested message must be an Update, not a ${post.nestedType}`);
  }
  const ric = post.ric;
  if (ric === undefined) return nak(session, post, "InvalidContent", "An off-stream post needs Key.Name");
  if (typeof post.service === "number" && !session.resources.serviceIds.has(post.service)) {
    return nak(session, post, "SourceUnknown", `Service id ${post.service} is unknown`);
  }
  if (!session.resources.rics.matches(ric)) return nak(session, post, "SymbolUnknown", "Symbol unknown");
  if (session.permissions?.matches(ric) !== true) {
    return nak(session, post, "AccessDenied", `User is not permissioned to contribute to ${ric}`);
  }
  if (post.contentProblem !== undefined) return nak(session, post, "InvalidContent", post.contentProblem);
  const scope = { listener, connection: info.id, ric };
  const injected = faults.match("nak", scope);
  if (injected) return nak(session, post, injected.code ?? "NoResources", injected.text ?? "Post rejected");

  const { postId } = post;
  if (!post.ack || postId === undefined || faults.match("drop-acks", scope)) {
    record(session, ric, postId, fieldsOf(post), "no-ack");
    return;
  }
  const delayFault = faults.match("delay-acks", scope);
  if (delayFault?.ms !== undefined) ackDelayMs = Math.max(ackDelayMs, delayFault.ms);
  info.acks += 1;
  const ack = ackJson(id, postId, post.seqNumber);
  if (ackDelayMs > 0) session.replyLater(ack, ackDelayMs);
  else session.reply(ack);
  record(session, ric, postId, fieldsOf(post), "ack");
}

function fieldsOf(post: ConvertedPost): Fields {
  // The converter checked every value's JSON type against the field table, so this is a Fields object.
  return (post.fields ?? {}) as Fields;
}

/** Rejects a post: a Nak when the post asked for an Ack (item 25), and the outcome recorded either way. */
function nak(session: Session, post: ConvertedPost, code: string, text: string): void {
  session.info.naks += 1;
  if (post.ack && post.postId !== undefined) {
    session.reply(JSON.stringify({ Type: "Ack", ID: post.id, AckID: post.postId, NakCode: code, Text: text }));
  }
  record(session, post.ric ?? "", post.postId, fieldsOf(post), "nak", code, text);
}

function isNamedKey(value: unknown): value is { Name: string } {
  return typeof value === "object" && value !== null && typeof (value as { Name?: unknown }).Name === "string";
}

function record(
  session: Session,
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
