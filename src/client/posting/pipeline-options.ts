/**
 * Options of the post pipeline (batching, acks, backpressure): the type with JSDoc on every field,
 * {@link DEFAULT_PIPELINE_OPTIONS} (the one place a default is written, STYLE habit 14), and the resolver that
 * validates them once (option-checks.ts); read-only afterwards (STYLE habit 8).
 */
import { DEFAULT_MAX_MESSAGE_BYTES, RCC_SERVICE } from "../../protocol/messages.js";
import { InvalidOptionsError } from "../errors.js";
import {
  anyOf,
  bool,
  checkObject,
  nested,
  num,
  oneOf,
  optional,
  positiveInt,
  required,
  satisfies,
  type Spec,
  str,
  withDefault,
} from "../option-checks.js";

/** Where posts ride: on the login stream with a Key, or on an item stream per RIC (§2.8, §4A.6). */
export type PostStreamMode = "off-stream" | "on-stream";

/** Where a post's Ack timeout starts (see {@link PipelineOptions.ackTimeoutFrom}). */
export type AckTimeoutStart = "accepted" | "sent";

/**
 * Options of the post pipeline (batching, acks, backpressure). Each default is the field of
 * {@link DEFAULT_PIPELINE_OPTIONS} named in its `@default`.
 */
export interface PipelineOptions {
  /** `Key.Service` of every post, a name or numeric id (§3.1). @default DEFAULT_PIPELINE_OPTIONS.service */
  service?: string | number;
  /**
   * A post not settled this long after `contribute()` accepted it rejects with `AckTimeoutError`, milliseconds
   * (checked every tenth of it, at most every second). The time runs whether the post was sent or is still
   * queued (held by the rate limit, `maxInFlight` or a reconnect; then `sent: false`), and across re-sends.
   * A caller waiting for room in a full queue is accepted when it gets in; its time starts then. With
   * `ackTimeoutFrom: "sent"` it runs from the post's (latest) sending instead.
   * @default DEFAULT_PIPELINE_OPTIONS.ackTimeoutMs
   */
  ackTimeoutMs?: number;
  /**
   * Where `ackTimeoutMs` starts. `"accepted"`: when `contribute()` accepted the post, so every call settles
   * within `ackTimeoutMs` whatever the connection does. `"sent"`: when the post was written (again at each
   * re-send), so a post waiting in the queue — behind the rate limit or through a reconnect — never times
   * out there; for a caller that bounds its own backlog and outage (as `rcc contribute` does with
   * `--reconnect-for`), where a long queue at a low rate limit must not turn into timeouts of posts never sent.
   * @default DEFAULT_PIPELINE_OPTIONS.ackTimeoutFrom
   */
  ackTimeoutFrom?: AckTimeoutStart;
  /** Posts sent and awaiting an Ack, at most. @default DEFAULT_PIPELINE_OPTIONS.maxInFlight */
  maxInFlight?: number;
  /**
   * Posts accepted but not yet sent, at most; then `contribute()` waits (or rejects with `{ wait: false }`).
   * @default DEFAULT_PIPELINE_OPTIONS.maxQueued
   */
  maxQueued?: number;
  /** Largest WebSocket frame sent, bytes (§2.2). @default DEFAULT_PIPELINE_OPTIONS.maxFrameBytes */
  maxFrameBytes?: number;
  /**
   * Re-send posts in flight when a connection drops (first on the next connection, in order, new PostIDs);
   * `false` rejects them with `ConnectionLostError`. A re-send never overwrites a newer value: fields that a
   * newer post to the same RIC, acknowledged before the drop, carried are left out of the re-sent post (its
   * Ack then covers the reduced post), and a post left with no field is not re-sent but rejects with
   * `SupersededError`.
   * @default DEFAULT_PIPELINE_OPTIONS.resendInFlight
   */
  resendInFlight?: boolean;
  /**
   * Merge a post into a still-queued post to the same RIC (default for every `contribute()`).
   * @default DEFAULT_PIPELINE_OPTIONS.conflate
   */
  conflate?: boolean;
  /**
   * `close()` waits this long for queued and in-flight posts to be acknowledged, milliseconds.
   * @default DEFAULT_PIPELINE_OPTIONS.drainTimeoutMs
   */
  drainTimeoutMs?: number;
  /** Optional `PostUserInfo` on every post (§2.8): dotted IPv4 `address` and numeric `userId`. @default undefined */
  postUserInfo?: { address: string; userId: number };
  /**
   * `"off-stream"`: every post names its item in a `Key` and rides on the login stream (§2.8, what RCC
   * documents). `"on-stream"`: the contributor opens an item stream per RIC with a streaming Request and
   * posts on its ID without a `Key` (§4A.6, as through an on-site ADS); a RIC whose stream is refused
   * rejects its posts with `ItemStreamError`. Updates the server fans out on those streams are ignored.
   * @default DEFAULT_PIPELINE_OPTIONS.postMode
   */
  postMode?: PostStreamMode;
  /**
   * A gate checked before each frame of posts is written: while it returns false nothing more is written (posts
   * stay queued, and it is checked again every {@link MAY_POST_RECHECK_MS} ms). For a caller that may lose the
   * right to post at any moment, such as a cluster gateway whose lease for the account is about to run out
   * (docs/cluster.md, "Fencing"). Control messages (Pong, Login, Close) are not gated.
   * @default undefined (always written)
   */
  mayPost?: () => boolean;
}

/** How often a closed {@link PipelineOptions.mayPost} gate is asked again, milliseconds. */
export const MAY_POST_RECHECK_MS = 50;

/** {@link PipelineOptions} with defaults applied. */
export type ResolvedPipelineOptions = Readonly<
  Required<Omit<PipelineOptions, "postUserInfo" | "mayPost">> & {
    postUserInfo: PipelineOptions["postUserInfo"];
    mayPost: PipelineOptions["mayPost"];
  }
>;

/** The defaults of {@link PipelineOptions}: the one place each is written. */
export const DEFAULT_PIPELINE_OPTIONS = Object.freeze({
  // The protocol's own constants (§3.1, §2.2), not copies of them.
  service: RCC_SERVICE,
  ackTimeoutMs: 15_000,
  ackTimeoutFrom: "accepted",
  maxInFlight: 1000,
  maxQueued: 10_000,
  maxFrameBytes: DEFAULT_MAX_MESSAGE_BYTES,
  resendInFlight: true,
  conflate: false,
  drainTimeoutMs: 5_000,
  postMode: "off-stream",
}) satisfies Omit<ResolvedPipelineOptions, "postUserInfo" | "mayPost">;

const defaults = DEFAULT_PIPELINE_OPTIONS;
const pipelineSpec: Spec = {
  service: withDefault(
    anyOf(
      "must be a service name or a number 0–65535",
      str({ nonEmpty: true }),
      num({ int: true, min: 0, max: 65_535 }),
    ),
    defaults.service,
  ),
  ackTimeoutMs: withDefault(positiveInt, defaults.ackTimeoutMs),
  ackTimeoutFrom: withDefault(oneOf(["accepted", "sent"] satisfies AckTimeoutStart[]), defaults.ackTimeoutFrom),
  maxInFlight: withDefault(positiveInt, defaults.maxInFlight),
  maxQueued: withDefault(positiveInt, defaults.maxQueued),
  maxFrameBytes: withDefault(num({ int: true, min: 256 }), defaults.maxFrameBytes),
  resendInFlight: withDefault(bool, defaults.resendInFlight),
  conflate: withDefault(bool, defaults.conflate),
  drainTimeoutMs: withDefault(num({ int: true, min: 0 }), defaults.drainTimeoutMs),
  postMode: withDefault(oneOf(["off-stream", "on-stream"] satisfies PostStreamMode[]), defaults.postMode),
  mayPost: optional(satisfies((value) => typeof value === "function", "must be a function returning a boolean")),
  postUserInfo: optional(
    nested({
      address: required(str({ pattern: /^\d{1,3}(\.\d{1,3}){3}$/, patternText: "must be a dotted IPv4" })),
      userId: required(num({ int: true, min: 0 })),
    }),
  ),
};

/**
 * Validates pipeline options and applies defaults.
 * @throws InvalidOptionsError naming each bad key (values are never echoed: they may be secrets).
 */
export function resolvePipelineOptions(options: PipelineOptions): ResolvedPipelineOptions {
  const checked = checkObject(options, pipelineSpec);
  if (checked.problems.length > 0) {
    throw new InvalidOptionsError(`invalid pipeline options: ${checked.problems.join("; ")}`);
  }
  const data = checked.value as ResolvedPipelineOptions;
  return Object.freeze({ ...data, postUserInfo: data.postUserInfo, mayPost: data.mayPost });
}
