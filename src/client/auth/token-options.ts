/**
 * Options of the RDP OAuth2 v1 token manager (§1), validated once (option-checks.ts) and read-only afterwards
 * (STYLE habit 8).
 */
import type { Clock } from "../../util/clock.js";
import { systemClock } from "../../util/clock.js";
import type { Logger } from "../../util/logger.js";
import { silentLogger } from "../../util/logger.js";
import type { BackoffPolicy } from "../../util/backoff.js";
import { resolveBackoffPolicy } from "../../util/backoff.js";
import { InvalidOptionsError } from "../errors.js";
import { httpFetch } from "./http-fetch.js";
import {
  bool,
  checkObject,
  num,
  optional,
  required,
  type Spec,
  satisfies,
  str,
  withDefault,
} from "../option-checks.js";

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  /**
   * Token endpoint, e.g. `https://api.refinitiv.com/auth/oauth2/v1/token` (§1.1). Replaced for the rest of
   * the manager's life when the endpoint answers 301/308 (§1.2).
   */
  authUrl: string;
  /** Machine ID sent as `username` (safe to log). */
  user: string;
  /** Machine-ID password. Never logged. */
  password: string;
  /** App key sent as `client_id`, in the body and the Basic header; for RCC usually the machine ID (§1.2). */
  clientId: string;
  /** Client secret, only if the app key has one (§1.3). Never logged. @default undefined (not sent) */
  clientSecret?: string;
  /** Sign other sessions of this machine ID out on password grants (§1.7). @default DEFAULT_TOKEN_OPTIONS.takeExclusiveSignOnControl */
  takeExclusiveSignOnControl?: boolean;
  /** `scope` of the password grant; not resent on refresh (§1.4). @default undefined (not sent) */
  scope?: string;
  /**
   * Refresh after this fraction of `expires_in` (RTSDK `tokenReissueRatio`, 0.05–0.95, §1.8).
   * @default DEFAULT_TOKEN_OPTIONS.refreshRatio
   */
  refreshRatio?: number;
  /** Refresh no later than this many milliseconds before expiry (§1.8). @default DEFAULT_TOKEN_OPTIONS.refreshMarginMs */
  refreshMarginMs?: number;
  /**
   * Retry policy, per token call, for 429/5xx/network errors/timeouts; the call then fails with
   * `AuthUnavailableError`; absent keys come from the default policy.
   * @default DEFAULT_TOKEN_OPTIONS.retry (TOKEN_RETRY_DEFAULTS)
   */
  retry?: Partial<BackoffPolicy>;
  /** Redirects (301/302/307/308) followed per request before failing (§1.2). @default DEFAULT_TOKEN_OPTIONS.maxRedirects */
  maxRedirects?: number;
  /**
   * Time allowed for one token request, redirects and body included, milliseconds.
   * @default DEFAULT_TOKEN_OPTIONS.requestTimeoutMs
   */
  requestTimeoutMs?: number;
  /** Time source for the schedule, retries and timeouts. @default systemClock */
  clock?: Clock;
  /** Uniform [0, 1) source for retry jitter. @default Math.random */
  random?: () => number;
  /**
   * The fetch implementation; pass undici's `fetch` together with an undici `dispatcher` (proxy, custom CA),
   * since Node's built-in fetch bundles its own undici. @default httpFetch (http-fetch.ts: the POST the token
   * manager needs on node:http/https, verifying certificates; cheaper to start and to exit than Node's fetch)
   */
  fetch?: typeof globalThis.fetch;
  /** undici `Dispatcher` given to `fetch` as `dispatcher` (e.g. a `ProxyAgent`). @default undefined */
  dispatcher?: unknown;
  /** Logger; lines never contain secrets. @default silentLogger */
  log?: Logger;
}

/** Retry defaults of token calls: 1 s, 2 s, 4 s, 8 s, then give up (five tries). */
export const TOKEN_RETRY_DEFAULTS: BackoffPolicy = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  factor: 2,
  maxAttempts: 5,
});

/** The defaults of {@link TokenManagerOptions}: the one place each is written. */
export const DEFAULT_TOKEN_OPTIONS = Object.freeze({
  takeExclusiveSignOnControl: true,
  refreshRatio: 0.8,
  refreshMarginMs: 60_000,
  retry: TOKEN_RETRY_DEFAULTS,
  maxRedirects: 5,
  requestTimeoutMs: 15_000,
});

/** {@link TokenManagerOptions} with every default applied. */
export interface ResolvedTokenOptions {
  readonly authUrl: string;
  readonly user: string;
  readonly password: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly takeExclusiveSignOnControl: boolean;
  readonly scope: string | undefined;
  readonly refreshRatio: number;
  readonly refreshMarginMs: number;
  readonly retry: BackoffPolicy;
  readonly maxRedirects: number;
  readonly requestTimeoutMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly fetch: typeof globalThis.fetch;
  readonly dispatcher: unknown;
  readonly log: Logger;
}

const httpUrl = satisfies((value) => {
  if (typeof value !== "string") return false;
  try {
    const { protocol } = new URL(value);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}, "must be an http:// or https:// URL");

const spec: Spec = {
  authUrl: required(httpUrl),
  user: required(str({ nonEmpty: true })),
  password: required(str({ nonEmpty: true })),
  clientId: required(str({ nonEmpty: true })),
  clientSecret: optional(str()),
  takeExclusiveSignOnControl: withDefault(bool, DEFAULT_TOKEN_OPTIONS.takeExclusiveSignOnControl),
  scope: optional(str()),
  refreshRatio: withDefault(num({ min: 0.05, max: 0.95 }), DEFAULT_TOKEN_OPTIONS.refreshRatio),
  refreshMarginMs: withDefault(num({ min: 0 }), DEFAULT_TOKEN_OPTIONS.refreshMarginMs),
  maxRedirects: withDefault(num({ int: true, min: 0 }), DEFAULT_TOKEN_OPTIONS.maxRedirects),
  requestTimeoutMs: withDefault(num({ gt: 0 }), DEFAULT_TOKEN_OPTIONS.requestTimeoutMs),
};

/**
 * Validates options and applies defaults.
 * @throws InvalidOptionsError naming each bad key (values are never echoed).
 */
export function resolveTokenOptions(options: TokenManagerOptions): ResolvedTokenOptions {
  const checked = checkObject(options, spec);
  if (checked.problems.length > 0) {
    throw new InvalidOptionsError(`invalid token manager options: ${checked.problems.join("; ")}`);
  }
  const parsed = {
    data: checked.value as Omit<ResolvedTokenOptions, "retry" | "clock" | "random" | "fetch" | "dispatcher" | "log">,
  };
  let retry: BackoffPolicy;
  try {
    retry = resolveBackoffPolicy(options.retry, DEFAULT_TOKEN_OPTIONS.retry);
  } catch (error) {
    throw new InvalidOptionsError(`invalid token manager options: retry: ${(error as Error).message}`);
  }
  const fetchImpl = options.fetch ?? httpFetch;
  return Object.freeze({
    ...parsed.data,
    clientSecret: parsed.data.clientSecret,
    scope: parsed.data.scope,
    retry,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    fetch: fetchImpl,
    dispatcher: options.dispatcher,
    log: options.log ?? silentLogger,
  });
}
