/**
 * The JSON converter's part of a Post (§2.8, §2.11, §4A.6 rules 2 and 7; checklist items 21, 24, 27): every
 * check whose failure is an `Error` message (no Ack). What passes is a {@link ConvertedPost} for the
 * contribution system (post-handler.ts). Hot path: no allocation beyond the result, fields checked by Map.
 */
import { STREAM_STATES, enumName } from "../../protocol/codes.js";
import { ConverterFailure, missingKey, tokenTypeError, unexpectedFid, unexpectedValue } from "./converter-errors.js";
import { checkFieldValue } from "./field-values.js";
import {
  type JsonObject,
  readBoolean,
  readDomain,
  readObject,
  readStreamId,
  readString,
  readType,
  readUInt,
} from "./message-keys.js";
import type { ConvertedPost } from "./converted-post.js";
import type { ServerSession } from "./session.js";

/** UpdateType names and numbers (§4A.3). */
const UPDATE_TYPES = [
  "Unspecified",
  "Quote",
  "Trade",
  "NewsAlert",
  "VolumeAlert",
  "OrderIndication",
  "ClosingRun",
  "Correction",
  "MarketDigest",
  "QuotesTrade",
  "Multiple",
  "Verify",
] as const;

/** Largest `PartNumber`: RWF carries it in 15 bits. */
const MAX_PART_NUMBER = 0x7fff;

/** Runs the converter's checks; returns the failure to answer with an Error, or the converted post. */
export function convertPost(session: ServerSession, message: JsonObject, id: number): ConvertedPost | ConverterFailure {
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
  // Multi-part keys (§2.8 key table, §4A.6 rule 8): a boolean and a 15-bit number, like the converter reads them.
  const complete = readBoolean(message.Complete, "Complete", true, id);
  if (complete instanceof ConverterFailure) return complete;
  const partNumber = readUInt(message.PartNumber, "PartNumber", id);
  if (partNumber instanceof ConverterFailure) return partNumber;
  if (partNumber !== undefined && partNumber > MAX_PART_NUMBER) return unexpectedValue(partNumber, "PartNumber", id);
  const postUserRights = readUInt(message.PostUserRights, "PostUserRights", id);
  if (postUserRights instanceof ConverterFailure) return postUserRights;
  const postUserInfoJson = readPostUserInfo(message.PostUserInfo, id);
  if (postUserInfoJson instanceof ConverterFailure) return postUserInfoJson;
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
  const post: ConvertedPost = {
    id,
    domain,
    ack,
    postId,
    seqNumber,
    complete,
    partNumber,
    ric,
    service,
    nestedType: undefined,
    nestedDomain: undefined,
    payloadOnly: false,
    fields: undefined,
    updateType: undefined,
    nestedStream: undefined,
    postUserInfoJson,
    postUserRights: postUserRights ?? 0,
    contentProblem: undefined,
  };
  let rawFields: unknown;
  if (nested !== undefined) {
    const type = readType(nested.Type, id);
    if (type instanceof ConverterFailure) return type;
    post.nestedType = type;
    // The converter requires ID on every message, nested ones included (§2.8 "Nested ID is required").
    if (nested.ID === undefined) return missingKey("ID", "Message");
    const nestedId = readStreamId(nested.ID);
    if (nestedId instanceof ConverterFailure) return nestedId;
    // The nested message is converted like any other: its Domain is an enumeration, string or number (§4A.7).
    if (nested.Domain !== undefined) {
      const nestedDomain = readDomain(nested.Domain, id);
      if (nestedDomain instanceof ConverterFailure) return nestedDomain;
      post.nestedDomain = nestedDomain;
    }
    const updateType = readUpdateType(nested.UpdateType, id);
    if (updateType instanceof ConverterFailure) return updateType;
    post.updateType = updateType;
    const state = readObject(nested.State, "State", id);
    if (state instanceof ConverterFailure) return state;
    if (state !== undefined) {
      const stream = state.Stream === undefined ? undefined : enumName(STREAM_STATES, state.Stream);
      if (state.Stream !== undefined && stream === undefined) return unexpectedValue(state.Stream, "Stream", id);
      post.nestedStream = stream;
    }
    rawFields = nested.Fields;
  } else if (message.Fields !== undefined) {
    post.payloadOnly = true;
    rawFields = message.Fields;
  }
  // "Fields": null is an empty container (§2.12).
  const fields = rawFields === null ? undefined : readObject(rawFields, "Fields", id);
  if (fields instanceof ConverterFailure) return fields;
  post.fields = fields;
  if (fields !== undefined) {
    const table = session.resources.fields;
    const maxValueBytes = session.resources.context.config.maxFieldValueBytes;
    for (const name in fields) {
      const definition = table.get(name);
      if (definition === undefined) return unexpectedFid(name, id);
      const value = fields[name];
      const problem = checkFieldValue(definition, value);
      if (problem === undefined) {
        // A UTF-8 character takes at most 3 bytes per UTF-16 unit: only long strings need counting.
        if (typeof value === "string" && value.length * 3 > maxValueBytes) {
          const bytes = Buffer.byteLength(value, "utf8");
          if (bytes > maxValueBytes) {
            post.contentProblem ??= `Invalid value for ${name}: ${bytes} bytes, at most ${maxValueBytes} allowed`;
          }
        }
        continue;
      }
      if (problem.kind === "token-type") return tokenTypeError(name, problem.expected, value, id);
      if (problem.kind === "unexpected-value") return unexpectedValue(value, name, id);
      post.contentProblem ??= `Invalid value for ${name}: ${problem.reason}`;
    }
  }
  return post;
}

function readUpdateType(value: unknown, id: number): string | undefined | ConverterFailure {
  if (value === undefined) return undefined;
  if (typeof value === "string") {
    return (UPDATE_TYPES as readonly string[]).includes(value) ? value : unexpectedValue(value, "UpdateType", id);
  }
  if (typeof value === "number") return UPDATE_TYPES[value] ?? unexpectedValue(value, "UpdateType", id);
  if (typeof value === "boolean" || value === null) return unexpectedValue(value, "UpdateType", id);
  return tokenTypeError("UpdateType", "PRIMITIVE", value, id);
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * `PostUserInfo` (§4A.6 rule 2): optional, but with both keys when present; `Address` a dotted IPv4 string
 * or its UInt32 number, `UserID` a UInt32. Returned serialised with a dotted `Address`, as servers send it.
 */
function readPostUserInfo(value: unknown, id: number): string | undefined | ConverterFailure {
  const info = readObject(value, "PostUserInfo", id);
  if (info === undefined || info instanceof ConverterFailure) return info;
  if (info.Address === undefined) return missingKey("Address", "PostUserInfo");
  if (info.UserID === undefined) return missingKey("UserID", "PostUserInfo");
  let address: string;
  if (typeof info.Address === "string") {
    const octets = IPV4.exec(info.Address);
    if (octets === null || octets.slice(1).some((octet) => Number(octet) > 255)) {
      return unexpectedValue(info.Address, "Address", id);
    }
    address = info.Address;
  } else if (typeof info.Address === "number") {
    const number = info.Address;
    if (!Number.isInteger(number) || number < 0 || number > 0xffff_ffff) return unexpectedValue(number, "Address", id);
    address = [24, 16, 8, 0].map((shift) => Math.floor(number / 2 ** shift) % 256).join(".");
  } else {
    return tokenTypeError("Address", "PRIMITIVE", info.Address, id);
  }
  const userId = readUInt(info.UserID, "UserID", id);
  if (userId instanceof ConverterFailure) return userId;
  return `{"Address":"${address}","UserID":${String(userId)}}`;
}
