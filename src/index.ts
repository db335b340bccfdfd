/**
 * `rcc-contrib`: the client library (STYLE habit 9). The Contributor and the Consumer with their options,
 * events and errors, token authentication, the clock and logger they take, and the field types a post is
 * built from. Everything not exported here is internal.
 *
 * The simulator is its own entry, `rcc-contrib/simulator` (src/simulator/index.ts): importing this one loads
 * neither the simulator nor its dependencies (zod, selfsigned), which test/integration/contributor-entry.test.ts
 * checks. The CLI's internal entry is src/internal.ts.
 */
export { Contributor, type ContributorEvents, type CloseOptions } from "./client/contributor.js";
export type { ContributorOptions, ContributorDeps } from "./client/options.js";
export type { AuthOptions, TokenManagerFields, UserNameLogin } from "./client/contributor-auth.js";
export type { ContributorStats } from "./client/contributor-stats.js";
export type { ContributeOptions } from "./client/posting/post-pipeline.js";
export type { Ack } from "./client/posting/post-entry.js";
export type { LatencySummary } from "./client/posting/latency.js";
export type {
  SessionOptions,
  PipelineOptions,
  PostStreamMode,
  AckTimeoutStart,
  TlsOptions,
  PemInput,
  FrameDirection,
  FrameTracer,
} from "./client/options.js";
export { DEFAULT_SESSION_OPTIONS, DEFAULT_PIPELINE_OPTIONS } from "./client/options.js";
export type { SessionState } from "./client/connection/session-state.js";
export type {
  StateChange,
  ReadyInfo,
  ReconnectInfo,
  TokenRefreshInfo,
  StatusEvent,
} from "./client/connection/session-events.js";
export { type BackoffPolicy, DEFAULT_BACKOFF } from "./util/backoff.js";

export {
  Consumer,
  type ConsumerOptions,
  type ConsumerLogin,
  type ConsumerLoginInfo,
  type ConsumerStatusEvent,
  type ItemEvent,
} from "./client/consumer/consumer.js";

export {
  type FieldInput,
  type FieldsInput,
  normalizeFields,
  validateRic,
  toRccDate,
  toRccDateTime,
  toRccTime,
} from "./client/posting/post-fields.js";
export type { Fields, FieldValue } from "./protocol/messages.js";
export type { InboundMessage } from "./protocol/inbound-frame.js";
export type { NakCode } from "./protocol/codes.js";

/** Every error the client throws or settles a post with: one module, one table of stable codes (ERROR_CODES). */
export {
  ERROR_CODES,
  RccError,
  InvalidOptionsError,
  CertificateError,
  CERTIFICATE_ERROR_CODE,
  CERTIFICATE_FAILURE_CODES,
  POST_ERROR_CODES,
  PostError,
  NakError,
  ContentError,
  AckTimeoutError,
  QueueFullError,
  ConnectionLostError,
  SupersededError,
  ValidationError,
  SessionClosedError,
  type UnsettledPost,
  LoginRefusedError,
  ItemStreamError,
  type ItemStreamRefusal,
  type PostRef,
  AuthError,
  InvalidCredentialsError,
  AuthForbiddenError,
  AuthUnavailableError,
  AuthEndpointNotFoundError,
  AUTH_ERROR_CODES,
} from "./client/errors.js";

export type { AuthProvider, AccessToken } from "./client/auth/auth-provider.js";
export { TokenManager, type TokenManagerOptions, type TokenManagerStats } from "./client/auth/token-manager.js";
export { DEFAULT_TOKEN_OPTIONS } from "./client/auth/token-options.js";

export { type Clock, type TimerHandle, systemClock, ManualClock } from "./util/clock.js";
export { type Logger, type LogFn, type CreateLoggerOptions, createLogger, silentLogger } from "./util/logger.js";
