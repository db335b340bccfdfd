/**
 * The shape of a post once the JSON converter (post-convert.ts) has accepted it: what the contribution
 * system (post-handler.ts) and the multi-part buffer (post-parts.ts) work on.
 */
import type { InboundType, JsonObject } from "./message-keys.js";

/** A post that passed the converter, as the contribution system sees it. */
export interface ConvertedPost {
  id: number;
  domain: string | number;
  ack: boolean;
  postId: number | undefined;
  seqNumber: number | undefined;
  /** `Complete` (default true): false on every part of a multi-part post but the last (§2.8, §4A.6 rule 8). */
  complete: boolean;
  /** `PartNumber` of a multi-part post's part: 0, 1, 2… (§4A.6 rule 8); undefined when absent. */
  partNumber: number | undefined;
  /** `Key.Name` of the post (off-stream); informational on-stream (§4A.6 rule 1). */
  ric: string | undefined;
  service: unknown;
  /** Type of the nested `Message`; undefined when there is none. */
  nestedType: InboundType | undefined;
  /** `Domain` of the nested `Message` when it gives one (a name, or an unknown number as is, §4A.7). */
  nestedDomain: string | number | undefined;
  /** No `Message` but top-level `Fields`: the ETA Consumer's payload-only post, an Update (§4A.6). */
  payloadOnly: boolean;
  /** Fields of the nested message, or the top-level ones of a payload-only post. */
  fields: JsonObject | undefined;
  /** `UpdateType` of a nested Update, as a name. */
  updateType: string | undefined;
  /** `State.Stream` of a nested Status, as a name. */
  nestedStream: string | undefined;
  /** `PostUserInfo` normalised (Address as a dotted string) and serialised for the fan-out (§4A.6 rule 2). */
  postUserInfoJson: string | undefined;
  /** `PostUserRights` bits: Create 0x1, Delete 0x2, ModifyPerm 0x4 (§4A.6 rule 7). */
  postUserRights: number;
  /** First field whose value the contribution system cannot store (Nak InvalidContent). */
  contentProblem: string | undefined;
}
