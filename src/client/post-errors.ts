/**
 * Errors of the session and of `contribute()`. Every class has a stable `code` (callers branch on it, never
 * on message text), a fixed or computed `retriable` flag and, where there is one, a `cause` (STYLE habit 4).
 */
import { RETRIABLE_NAK_CODES, type NakCode } from "../protocol/codes.js";
import { RccError } from "./errors.js";

/** Stable codes of the errors in this file. */
export const POST_ERROR_CODES = {
  nak: "RCC_NAK",
  content: "RCC_CONTENT_ERROR",
  ackTimeout: "RCC_ACK_TIMEOUT",
  queueFull: "RCC_QUEUE_FULL",
  connectionLost: "RCC_CONNECTION_LOST",
  validation: "RCC_VALIDATION",
  sessionClosed: "RCC_SESSION_CLOSED",
  loginRefused: "RCC_LOGIN_REFUSED",
  itemStreamRefused: "RCC_ITEM_STREAM_REFUSED",
  superseded: "RCC_SUPERSEDED",
} as const;

/** Identifies the post an error is about. */
export interface PostRef {
  /** The RIC that was posted to. */
  ric: string;
  /** The PostID the post carried on the wire (unique within one connection). */
  postId: number;
}

/**
 * Base class of the errors about one post that was sent: each carries the post's RIC and the PostID it
 * carried on the wire, so callers can tell which post failed without parsing the message.
 */
export class PostError extends RccError {
  /** The RIC that was posted to. */
  readonly ric: string;
  /** The PostID the post carried on its last send (unique within one connection). */
  readonly postId: number;

  constructor(code: string, message: string, post: PostRef, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code, message, options);
    this.ric = post.ric;
    this.postId = post.postId;
  }
}

/**
 * The server refused a post with an Ack carrying a `NakCode` (§2.9). `retriable` is true for the codes of
 * {@link RETRIABLE_NAK_CODES} (NoResources, NoResponse, SourceDown, GatewayDown).
 */
export class NakError extends PostError {
  /**
   * The wire Nak code (a {@link NakCode} such as "SymbolUnknown"); an unknown number or string is kept as a
   * string (as sent: escape it before showing it), and a `NakCode` that is no code at all (a boolean, an
   * object, a fraction, an empty string) reads "Malformed".
   */
  readonly nakCode: string;
  /** The server's text, trimmed (RCC texts may end with a newline); empty when absent. */
  readonly text: string;

  constructor(nakCode: string, text: string, post: PostRef) {
    const trimmed = text.trim();
    super(
      POST_ERROR_CODES.nak,
      `post ${post.postId} to ${post.ric} refused: ${nakCode}${trimmed ? ` (${trimmed})` : ""}`,
      post,
      { retriable: RETRIABLE_NAK_CODES.has(nakCode as NakCode) },
    );
    this.nakCode = nakCode;
    this.text = trimmed;
  }
}

/**
 * The server answered a post with a converter `Error` message instead of an Ack (§2.11), e.g. for an
 * unknown field acronym ("JSON Unexpected FID"). Not retriable: the same content fails again.
 */
export class ContentError extends PostError {
  /** The Error's `Text`, trimmed. */
  readonly text: string;

  constructor(text: string, post: PostRef) {
    const trimmed = text.trim();
    super(POST_ERROR_CODES.content, `post ${post.postId} to ${post.ric} rejected by the server: ${trimmed}`, post);
    this.text = trimmed;
  }
}

/**
 * No Ack arrived within `ackTimeoutMs` of `contribute()` accepting the post. The outcome is unknown when the
 * post was sent (it may have been applied), so it is flagged retriable only in the sense that re-sending may
 * succeed; re-send only if that is idempotent for you. A post that was never sent (`sent: false`: held by
 * the rate limit, `maxInFlight` or a reconnect all that time) certainly was not applied.
 */
export class AckTimeoutError extends PostError {
  /** The timeout that elapsed, milliseconds. */
  readonly timeoutMs: number;
  /** Whether the post had been sent (on this or an earlier connection) when it timed out. */
  readonly sent: boolean;

  /** @param sent whether the post was ever sent. @default true */
  constructor(post: PostRef, timeoutMs: number, sent = true) {
    const message = sent
      ? `no Ack for post ${post.postId} to ${post.ric} within ${timeoutMs} ms`
      : `post to ${post.ric} not sent within ${timeoutMs} ms (held by the rate limit, maxInFlight or a reconnect)`;
    super(POST_ERROR_CODES.ackTimeout, message, post, { retriable: true });
    this.timeoutMs = timeoutMs;
    this.sent = sent;
  }
}

/**
 * The connection dropped before this post's Ack arrived, and a NEWER post to the same RIC had already been
 * acknowledged carrying every field of this one (`resendInFlight: true`). Re-sending it would overwrite the
 * newer values with older ones, so it was not re-sent: the RIC's value at the server is the newer post's.
 * Whether this post itself reached the server is unknown, and no longer matters. `postId` is the PostID it
 * carried on the lost connection. Not retriable: re-sending it would do the harm the client just avoided.
 */
export class SupersededError extends PostError {
  constructor(post: PostRef) {
    super(
      POST_ERROR_CODES.superseded,
      `a newer post to ${post.ric} was acknowledged before the Ack of post ${post.postId} arrived, so it was not re-sent`,
      post,
    );
  }
}

/** `contribute(…, { wait: false })` found the queue full (`maxQueued`). Retriable once the queue drains. */
export class QueueFullError extends RccError {
  readonly ric: string;
  /** The configured queue bound. */
  readonly maxQueued: number;

  constructor(ric: string, maxQueued: number) {
    super(POST_ERROR_CODES.queueFull, `queue full (${maxQueued} posts waiting); post to ${ric} not accepted`, {
      retriable: true,
    });
    this.ric = ric;
    this.maxQueued = maxQueued;
  }
}

/**
 * The connection was lost: for a post that was in flight (with `resendInFlight: false`; its outcome is
 * unknown), or for the session when reconnecting gave up.
 */
export class ConnectionLostError extends RccError {
  /** The post, when the error is about one. */
  readonly ric?: string;
  readonly postId?: number;

  constructor(message: string, options: { cause?: unknown; post?: PostRef; retriable?: boolean } = {}) {
    super(POST_ERROR_CODES.connectionLost, message, { retriable: options.retriable ?? true, cause: options.cause });
    if (options.post) {
      this.ric = options.post.ric;
      this.postId = options.post.postId;
    }
  }
}

/** A post failed validation before anything was sent (bad RIC, field name or value). Not retriable. */
export class ValidationError extends RccError {
  /** The offending field name, when the problem is one field. */
  readonly field?: string;

  constructor(message: string, field?: string) {
    super(POST_ERROR_CODES.validation, message);
    if (field !== undefined) this.field = field;
  }
}

/** The contributor is closing or closed: the post was not accepted or could not be delivered. */
export class SessionClosedError extends RccError {
  constructor(message = "the contributor is closed", options: { cause?: unknown } = {}) {
    super(POST_ERROR_CODES.sessionClosed, message, { cause: options.cause });
  }
}

/**
 * The server refused or ended the login (Login Status/Refresh with a closed stream state, §2.6, §2.10).
 * Fatal refusals (e.g. NotEntitled on a freshly obtained token) stop the session; others are retriable.
 */
export class LoginRefusedError extends RccError {
  /** `State.Stream` of the refusal, e.g. "Closed". */
  readonly streamState: string;
  /** `State.Code` (a StateCode such as "NotEntitled" or "NoResources"), when present. */
  readonly stateCode?: string;
  /** `State.Text`, trimmed. */
  readonly text: string;

  constructor(streamState: string, stateCode: string | undefined, text: string, retriable: boolean) {
    const trimmed = text.trim();
    super(
      POST_ERROR_CODES.loginRefused,
      `login ${retriable ? "ended" : "refused"}: ${streamState}/${stateCode ?? "None"}${trimmed ? ` (${trimmed})` : ""}`,
      { retriable },
    );
    this.streamState = streamState;
    if (stateCode !== undefined) this.stateCode = stateCode;
    this.text = trimmed;
  }
}

/** What refused an item stream: a Status closing it, a converter Error on its Request, or no answer in time. */
export type ItemStreamRefusal = "status" | "error" | "timeout";

/**
 * On-stream posting (§4A.6): the item stream a post needs could not be opened, so the post was not sent.
 * The server closed the Request with a Status (e.g. `NotFound` for an unknown RIC, `NotEntitled`), answered
 * it with a converter Error (e.g. an unknown service name, §4A.3), or did not answer within `ackTimeoutMs`.
 * The refusal holds for the rest of the connection; a reconnect asks again. Retriable when the server
 * said `ClosedRecover` or nothing at all.
 */
export class ItemStreamError extends RccError {
  readonly ric: string;
  /** What refused the stream. */
  readonly reason: ItemStreamRefusal;
  /** `State.Stream` of a Status refusal, e.g. "Closed". */
  readonly streamState?: string;
  /** `State.Code` of a Status refusal, e.g. "NotFound". */
  readonly stateCode?: string;
  /** The server's text (Status `State.Text` or Error `Text`), trimmed; empty when there was none. */
  readonly text: string;

  constructor(
    ric: string,
    refusal: { reason: ItemStreamRefusal; streamState?: string; stateCode?: string; text: string },
  ) {
    const text = refusal.text.trim();
    const what =
      refusal.reason === "status"
        ? `${refusal.streamState ?? "Closed"}/${refusal.stateCode ?? "None"}`
        : refusal.reason === "error"
          ? "server Error"
          : "no answer";
    super(POST_ERROR_CODES.itemStreamRefused, `item stream for ${ric} refused: ${what}${text ? ` (${text})` : ""}`, {
      retriable: refusal.reason === "timeout" || refusal.streamState === "ClosedRecover",
    });
    this.ric = ric;
    this.reason = refusal.reason;
    if (refusal.streamState !== undefined) this.streamState = refusal.streamState;
    if (refusal.stateCode !== undefined) this.stateCode = refusal.stateCode;
    this.text = text;
  }
}
