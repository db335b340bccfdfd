/**
 * What the message handlers (login, post, the rest) may see and do on one connection. The connection
 * implements it; handlers depend only on this interface, so they stay small and testable.
 */
import type { Logger } from "../../util/logger.js";
import type { ConnectionInfo } from "../state.js";
import type { FieldDefinition } from "../../protocol/field-table.js";
import type { SimulatorContext, SimulatorProfile, TokenValidator } from "../types.js";
import type { ConverterFailure } from "./converter-errors.js";
import type { StreamTable } from "./item-stream.js";
import type { Subscriber } from "./stream-types.js";
import type { MultipartBuffer } from "./post-parts.js";
import type { RicMatcher } from "./ric-matcher.js";
import type { SubscriptionRegistry } from "./subscription-registry.js";

/** Per-listener resources shared by all its connections, built once. */
export interface ServerResources {
  readonly context: SimulatorContext;
  readonly tokens: TokenValidator;
  /** Listener index (0-based, `wsUrls` order), for fault scopes. */
  readonly listener: number;
  /** Field acronym → definition (built-in table plus `config.fields`). */
  readonly fields: ReadonlyMap<string, FieldDefinition>;
  /** FID → acronym, for views given as numbers (§4A.1). */
  readonly fieldNamesByFid: ReadonlyMap<number, string>;
  /** `config.profile`: RCC as documented, or an on-site ADS (§4A). */
  readonly profile: SimulatorProfile;
  /** Item streams and items of the whole simulator, shared by every listener (§4A.6 rule 5). */
  readonly subscriptions: SubscriptionRegistry;
  /** Service names and their ids (`config.services`). */
  readonly serviceIdsByName: ReadonlyMap<string, number>;
  readonly serviceIds: ReadonlySet<number>;
  readonly serviceNamesById: ReadonlyMap<number, string>;
  /** The service of requests without `Key.Service`: the first configured one (§2.3). */
  readonly defaultService: string;
  /** RICs an account may contribute to, or undefined for an account the configuration does not know. */
  permissionsOf(user: string): RicMatcher | undefined;
}

/** A session established by an accepted Login (§2.5). */
export interface LoginDetails {
  streamId: number;
  user: string;
  position?: string;
  applicationId?: string;
  /** Expiry of the access token the Login presented, epoch milliseconds (item 16); none for a user-name login. */
  tokenExpiresAtMs?: number;
}

/** The rate-limit verdict for the message being handled (§3.4, item 26). */
export interface RateVerdict {
  /** Whether this message arrived while the window was already at `maxMessagesPerSecond`. */
  readonly overLimit: boolean;
  /** Milliseconds until the window has room again (for the "delay" policy). */
  delayMs(): number;
}

/** One WebSocket connection as the handlers see it; it is also the subscriber of its item streams. */
export interface ServerSession extends Subscriber {
  readonly resources: ServerResources;
  readonly info: ConnectionInfo;
  readonly log: Logger;
  /** Login stream id while a session is open, else undefined (no stream is open). */
  readonly loginStreamId: number | undefined;
  /** The logged-in user's permissions (undefined before login or for an unknown account). */
  readonly permissions: RicMatcher | undefined;
  /** Epoch milliseconds at which the current frame arrived. */
  readonly frameTimeMs: number;
  /** Rate verdict for the message being handled. */
  readonly rate: RateVerdict;
  /** Streams opened by Requests on this connection (§4A.1, §4A.4). */
  readonly streams: StreamTable;
  /** Parts of multi-part posts waiting for their last part (§4A.6 rule 8). */
  readonly postParts: MultipartBuffer;

  /** Queues one pre-serialised JSON message for the reply frame of the current inbound frame. */
  reply(json: string): void;
  /** Queues one message object for the reply frame. */
  replyMessage(message: object): void;
  /**
   * Queues a converter Error (§2.11) for `element`. `countInState` (default true) adds it to the
   * simulator's error counter; the post handler passes false because `recordPost` counts it.
   */
  replyError(failure: ConverterFailure, element: unknown, countInState?: boolean): void;
  /** Sends one pre-serialised JSON message later, in its own frame (delayed Acks). */
  replyLater(json: string, delayMs: number): void;
  /**
   * Opens or renews the login session (items 13 and 15). @returns false when the connection is ending and no
   * session was opened (the Login then gets no answer).
   */
  startSession(details: LoginDetails): boolean;
  /** Drops the login session without a reply (Login Close, item 29); the socket stays open. */
  endSession(): void;
  /**
   * Sends a Login Status Closed/Suspect with `code` (a §2.10 state code name) and `text` on the login stream (or `streamId`), stops
   * handling input, and closes the socket (items 14, 16, 17, 26). `userName` adds `Key.Name` (ADS user-name
   * refusals, §4A.5).
   */
  terminate(code: string, text: string, streamId?: number, userName?: string): void;
}
