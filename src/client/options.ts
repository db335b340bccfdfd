/**
 * Everything a `Contributor` takes, in one type: the session's options (connection/session-options.ts), the
 * post pipeline's (posting/pipeline-options.ts), one way to log in (contributor-auth.ts) and the injectable
 * collaborators. Each component's options, defaults and validation live beside the component (STYLE habit 8);
 * this file only combines them, and re-exports their public types.
 */
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { AuthOptions } from "./contributor-auth.js";
import type { SessionOptions } from "./connection/session-options.js";
import type { PipelineOptions } from "./posting/pipeline-options.js";

export {
  DEFAULT_SESSION_OPTIONS,
  type FrameDirection,
  type FrameTracer,
  type PemInput,
  type SessionOptions,
  type TlsOptions,
} from "./connection/session-options.js";
export {
  type AckTimeoutStart,
  DEFAULT_PIPELINE_OPTIONS,
  type PipelineOptions,
  type PostStreamMode,
} from "./posting/pipeline-options.js";

/** Injectable collaborators, for tests and embedding. */
export interface ContributorDeps {
  /** Time source for every timer and measurement. @default systemClock */
  clock?: Clock;
  /** Uniform [0, 1) source for backoff jitter. @default Math.random */
  random?: () => number;
  /** Logger; tokens and passwords are never logged. @default silentLogger (nothing logged) */
  log?: Logger;
}

/**
 * Everything a contributor takes: the session and pipeline options, and one way to log in: `auth` (an
 * `AuthProvider`), `auth: { userName }` (a DACS user name, for RCC through an on-site ADS, §4A.5), or
 * the token-manager fields (`authUrl`, `user`, `password`, `clientId`, …).
 */
export type ContributorOptions = SessionOptions & PipelineOptions & ContributorDeps & AuthOptions;
