/**
 * The client library's public surface (STYLE habit 9); the package barrel (src/index.ts) re-exports it.
 * Everything not exported here is internal.
 */
export { Contributor, type ContributorOptions, type ContributorDeps } from "./contributor.js";
export type { AuthOptions, TokenManagerFields, UserNameLogin } from "./contributor-auth.js";
export type { ContributorStats } from "./contributor-stats.js";
export type { ContributeOptions } from "./posting/post-pipeline.js";
export type { Ack } from "./posting/ack-tracker.js";
export type { SessionOptions, PipelineOptions, PostMode, TlsOptions, PemInput } from "./options.js";
export type {
  SessionState,
  StateChange,
  ReadyInfo,
  ReconnectInfo,
  TokenRefreshInfo,
  StatusEvent,
  ContributorEvents,
} from "./connection/session-state.js";
export type { LatencySummary } from "./posting/latency.js";
export {
  type FieldInput,
  type FieldsInput,
  normalizeFields,
  validateRic,
  toRccDate,
  toRccDateTime,
  toRccTime,
} from "./posting/field-validation.js";
export {
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
  LoginRefusedError,
  ItemStreamError,
  type ItemStreamRefusal,
  type PostRef,
} from "./post-errors.js";
export { RccError, CertificateError, CERTIFICATE_ERROR_CODE, CERTIFICATE_FAILURE_CODES } from "./errors.js";
export type { AuthProvider, AccessToken } from "./auth/auth-provider.js";
export { TokenManager, type TokenManagerOptions, type TokenManagerStats } from "./auth/token-manager.js";
export {
  AuthError,
  InvalidCredentialsError,
  AuthForbiddenError,
  AuthUnavailableError,
  AUTH_ERROR_CODES,
} from "./auth/auth-errors.js";
export { type BackoffPolicy, DEFAULT_BACKOFF, backoffDelayMs } from "../util/backoff.js";
export { RateGovernor, type RateGovernorOptions } from "./connection/rate-governor.js";
