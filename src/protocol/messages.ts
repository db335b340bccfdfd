/**
 * Wire messages of the WebSocket API (subprotocol `tr_json2`) as RCC uses them, and pure builders.
 * No I/O here (STYLE habit 1). Section numbers refer to docs/protocol.md.
 */

/** The WebSocket subprotocols a server accepts; `tr_json2` is the default (§2.1). */
export const SUBPROTOCOLS = ["tr_json2", "rssl.json.v2"] as const;
/** The subprotocol clients offer. */
export const SUBPROTOCOL = "tr_json2";
/** WebSocket path on RCC and ADS servers (§2.1). */
export const WEBSOCKET_PATH = "/WebSocket";
/** The RCC service name (§3.1). */
export const RCC_SERVICE = "DDS_TRCE";
/** Login refresh element carrying the posting rate limit (§3.3). */
export const MAX_MESSAGES_PER_SECOND_ELEMENT = "TRCE:MaxMessagesPerSecond";
/** Largest frame a client should send and the simulator's default limit, in bytes (§2.2). */
export const DEFAULT_MAX_MESSAGE_BYTES = 61_440;
/** Login stream id by convention (§2.4). */
export const LOGIN_STREAM_ID = 1;

/** A JSON field value: number (Real/Int), string (text, ISO date/time, "Inf"/"-Inf"/"NaN"), or null (blank). */
export type FieldValue = number | string | null;
/** Field name (dictionary acronym) → value (§2.12). */
export type Fields = Record<string, FieldValue>;

/** Login request (§2.4). */
export interface LoginRequest {
  ID: number;
  Domain: "Login";
  Refresh?: boolean;
  Key: {
    NameType: "AuthnToken";
    Elements: { ApplicationId: string; Position: string; AuthenticationToken: string };
  };
}

/** Off-stream post (§2.8). */
export interface PostMessage {
  Type: "Post";
  ID: number;
  Ack: boolean;
  PostID: number;
  Key: { Service: string | number; Name: string };
  Message: { Type: "Update"; ID: 0; Fields: Fields };
  PostUserInfo?: { Address: string; UserID: number };
}

/** Options for {@link buildLoginRequest}. */
export interface LoginRequestOptions {
  /** RDP access token. */
  token: string;
  /** DACS application id, a string. @default "256" */
  applicationId?: string;
  /** "ip/hostname" of the contributing machine. */
  position: string;
  /** `false` for a re-login after a token refresh: the server answers nothing (§2.4). @default true */
  refresh?: boolean;
  /** Login stream id. @default 1 */
  streamId?: number;
}

/** Builds the Login request; with `refresh: false` it is the silent token re-login (§2.4). */
export function buildLoginRequest(options: LoginRequestOptions): LoginRequest {
  const message: LoginRequest = {
    ID: options.streamId ?? LOGIN_STREAM_ID,
    Domain: "Login",
    Key: {
      NameType: "AuthnToken",
      Elements: {
        ApplicationId: options.applicationId ?? "256",
        Position: options.position,
        AuthenticationToken: options.token,
      },
    },
  };
  if (options.refresh === false) message.Refresh = false;
  return message;
}

/** The Login Close that ends a session (§2.4). */
export function buildLoginClose(streamId = LOGIN_STREAM_ID): { ID: number; Type: "Close"; Domain: "Login" } {
  return { ID: streamId, Type: "Close", Domain: "Login" };
}

/** Options for {@link buildPost}. */
export interface PostOptions {
  ric: string;
  fields: Fields;
  postId: number;
  /** @default "DDS_TRCE" */
  service?: string | number;
  /** @default 1 (off-stream on the login stream) */
  streamId?: number;
  /** @default true */
  ack?: boolean;
  postUserInfo?: { Address: string; UserID: number };
}

/** Builds an off-stream post with a nested Update (§2.8). */
export function buildPost(options: PostOptions): PostMessage {
  const message: PostMessage = {
    Type: "Post",
    ID: options.streamId ?? LOGIN_STREAM_ID,
    Ack: options.ack ?? true,
    PostID: options.postId,
    Key: { Service: options.service ?? RCC_SERVICE, Name: options.ric },
    Message: { Type: "Update", ID: 0, Fields: options.fields },
  };
  if (options.postUserInfo) message.PostUserInfo = options.postUserInfo;
  return message;
}

/** `{"Type":"Ping"}` (§2.7). */
export const PING = { Type: "Ping" } as const;
/** `{"Type":"Pong"}` (§2.7). */
export const PONG = { Type: "Pong" } as const;

/**
 * Splits an inbound frame into messages: servers send arrays, but a single object is accepted too (§2.2).
 * @throws SyntaxError when the text is not JSON.
 */
export function parseFrame(text: string): unknown[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed : [parsed];
}

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
