/**
 * RDP OAuth2 v1 token manager (§1): password grant, rotating refresh grants on a proactive schedule
 * (§1.8), the password-grant fallbacks of §1.6/§1.7, retries with backoff for transient failures, and one
 * shared in-flight request for concurrent callers. Wire details live in token-http.ts, timing in
 * token-schedule.ts.
 */
import type { Logger } from "../../util/logger.js";
import { processSecrets, type SecretRegistry } from "../../util/secret-registry.js";
import type { AccessToken, AuthProvider } from "./auth-provider.js";
import { CertificateError, AUTH_ERROR_CODES, AuthError } from "../errors.js";
import type { GrantStats } from "./token-grant.js";
import { TokenGrantClient } from "./token-grant.js";
import type { GrantType, IssuedTokens } from "./token-http.js";
import type { ResolvedTokenOptions, TokenManagerOptions } from "./token-options.js";
import { resolveTokenOptions } from "./token-options.js";
import type { Deferred } from "./token-retry.js";
import { createDeferred } from "./token-retry.js";
import { ScheduleTimer, refreshAtMs, scheduleRetryDelayMs } from "./token-schedule.js";

export type { TokenManagerOptions } from "./token-options.js";
export { refreshAtMs } from "./token-schedule.js";

/** Counters of a {@link TokenManager}. */
export type TokenManagerStats = GrantStats;

/** The tokens held, with the times the schedule needs. */
interface HeldTokens extends IssuedTokens {
  /** Epoch ms at which the request that produced them was sent (conservative: before network latency). */
  issuedAtMs: number;
  expiresAtMs: number;
}

/**
 * Gets and keeps an RDP access token for one machine ID. `getToken()` serves sessions on (re)connect;
 * `start()` keeps the token fresh and announces each refreshed token through `onToken` so the session can
 * re-login with `Refresh:false` (§2.4). Restartable: after `stop()`, `getToken()` and `start()` work again.
 */
export class TokenManager implements AuthProvider {
  readonly user: string;
  readonly #options: ResolvedTokenOptions;
  readonly #log: Logger;
  readonly #client: TokenGrantClient;
  readonly #tokenListeners = new Set<(token: AccessToken) => void>();
  readonly #errorListeners = new Set<(error: Error) => void>();
  #tokens: HeldTokens | undefined;
  /** `expires_in` of the last password grant: a refresh returning less means the RDP session ends (§1.7). */
  #passwordExpiresInSec: number | undefined;
  #inflight: Deferred<AccessToken> | undefined;
  #abort = new AbortController();
  #started = false;
  readonly #timer: ScheduleTimer;
  /**
   * This manager's password, client secret and recent tokens, redacted process-wide (secret-registry.ts): a
   * token endpoint or a server that echoes one back cannot get it printed. Its own registry, so several
   * managers in one process never evict each other's secrets.
   */
  readonly #secrets: SecretRegistry = processSecrets.child();

  /** @throws InvalidOptionsError (code "RCC_INVALID_OPTIONS") on invalid options. */
  constructor(options: TokenManagerOptions) {
    this.#options = resolveTokenOptions(options);
    this.user = this.#options.user;
    this.#secrets.add(this.#options.password, "credential");
    this.#secrets.add(this.#options.clientSecret, "credential");
    this.#log = this.#options.log.child({ component: "token-manager", user: this.#options.user });
    this.#client = new TokenGrantClient(this.#options, this.#log);
    this.#timer = new ScheduleTimer(this.#options.clock, () => this.#runSchedule(true));
  }

  /** A snapshot of the counters. */
  get stats(): TokenManagerStats {
    return { ...this.#client.stats };
  }

  /** The token endpoint in use (changes after a 301/308). */
  get authUrl(): string {
    return this.#client.authUrl;
  }

  /**
   * The held token if valid for more than `minValidityMs` (default 0: not yet expired); otherwise a refresh
   * grant (if there is a refresh token) or a password grant. Concurrent callers share one request.
   */
  getToken(options: { minValidityMs?: number } = {}): Promise<AccessToken> {
    const held = this.#tokens;
    if (held !== undefined && held.expiresAtMs - this.#options.clock.now() > (options.minValidityMs ?? 0)) {
      return Promise.resolve(publicToken(held));
    }
    return this.#obtainShared();
  }

  /** Subscribes to tokens from scheduled refreshes (not the first token of `start()`). @returns unsubscribe. */
  onToken(listener: (token: AccessToken) => void): () => void {
    this.#tokenListeners.add(listener);
    return () => this.#tokenListeners.delete(listener);
  }

  /**
   * Subscribes to fatal schedule failures (e.g. `AuthForbiddenError`); the schedule then stops until a later
   * `getToken()` succeeds. Retriable failures are retried by the schedule instead, and so is a `CertificateError`
   * once a token was obtained (the endpoint served us before: its certificate may be fixed). @returns unsubscribe.
   */
  onError(listener: (error: Error) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Starts the proactive schedule (idempotent). With no token yet, fetches one at once; that first token
   * is not announced through `onToken` (callers get it from `getToken`), later refreshes are.
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#tokens === undefined) this.#runSchedule(false);
    else this.#scheduleRefresh();
  }

  /** Clears timers, aborts the in-flight request and rejects its waiters with `RCC_AUTH_STOPPED`. */
  stop(): void {
    this.#started = false;
    this.#timer.clear();
    const inflight = this.#inflight;
    this.#inflight = undefined;
    const stopped = new AuthError(AUTH_ERROR_CODES.stopped, "token manager stopped");
    this.#abort.abort(stopped);
    this.#abort = new AbortController();
    inflight?.reject(stopped);
  }

  #obtainShared(): Promise<AccessToken> {
    if (this.#inflight !== undefined) return this.#inflight.promise;
    const deferred = createDeferred<AccessToken>();
    this.#inflight = deferred;
    const signal = this.#abort.signal;
    this.#obtain(signal).then(
      (token) => {
        if (this.#inflight === deferred) this.#inflight = undefined;
        if (signal.aborted) return;
        deferred.resolve(token);
        if (this.#started) this.#scheduleRefresh();
      },
      (error: unknown) => {
        if (this.#inflight === deferred) this.#inflight = undefined;
        deferred.reject(error);
      },
    );
    return deferred.promise;
  }

  /** One token call: refresh grant first when possible, with the password-grant fallbacks. */
  async #obtain(signal: AbortSignal): Promise<AccessToken> {
    if (this.#tokens !== undefined) {
      try {
        const refreshed = await this.#grant("refresh_token", signal);
        const passwordLifetime = this.#passwordExpiresInSec;
        if (passwordLifetime === undefined || refreshed.expiresInSec >= passwordLifetime) return publicToken(refreshed);
        // §1.7: a shorter lifetime than the password grant's signals the end of the RDP session.
        this.#log.warn(
          { expiresInSec: refreshed.expiresInSec, passwordExpiresInSec: passwordLifetime },
          "refresh returned a shorter lifetime (RDP session ending); signing on again with password",
        );
        try {
          return publicToken(await this.#grant("password", signal));
        } catch (error) {
          if (signal.aborted) throw error;
          // The refreshed token is still valid: use it, the next refresh will try the password grant again.
          this.#log.error(
            { code: errorCode(error) },
            "password grant after a shrinking lifetime failed; keeping token",
          );
          return publicToken(refreshed);
        }
      } catch (error) {
        if (!(error instanceof AuthError) || error.code !== AUTH_ERROR_CODES.refreshRefused) throw error;
        // §1.6: a refused refresh (expired, consumed, session taken over) falls back to a password grant once.
        this.#log.warn(
          { status: error.status, oauthError: error.oauthError },
          "refresh token refused; falling back to password grant",
        );
      }
    }
    return publicToken(await this.#grant("password", signal));
  }

  /** One grant (retried on transient failures, §1.6); stores and returns the rotated tokens. */
  async #grant(grant: GrantType, signal: AbortSignal): Promise<HeldTokens> {
    const { tokens, issuedAtMs } = await this.#client.grant(grant, this.#tokens?.refreshToken, signal);
    // Before anything can log or echo them; the previous pair stays registered (it may still be quoted).
    this.#secrets.add(tokens.accessToken);
    this.#secrets.add(tokens.refreshToken);
    // Stored even if stop() came meanwhile: the server has consumed the previous refresh token (§1.7).
    const held: HeldTokens = { ...tokens, issuedAtMs, expiresAtMs: issuedAtMs + tokens.expiresInSec * 1000 };
    this.#tokens = held;
    if (grant === "password") this.#passwordExpiresInSec = tokens.expiresInSec;
    return held;
  }

  #scheduleRefresh(): void {
    const held = this.#tokens;
    if (held === undefined) return;
    const { clock, refreshRatio, refreshMarginMs } = this.#options;
    const at = refreshAtMs(held.issuedAtMs, held.expiresInSec, refreshRatio, refreshMarginMs);
    this.#timer.set(at - clock.now());
  }

  /** Runs one scheduled fetch; `announce` = emit `onToken` on success. */
  #runSchedule(announce: boolean): void {
    this.#obtainShared().then(
      (token) => {
        if (announce) this.#emit(this.#tokenListeners, token);
      },
      (error: unknown) => this.#onScheduleFailure(error),
    );
  }

  #onScheduleFailure(error: unknown): void {
    if (!this.#started || (error instanceof AuthError && error.code === AUTH_ERROR_CODES.stopped)) return;
    // A certificate refused after the endpoint once served us may be a botched rotation that gets fixed:
    // keep the schedule going (a first grant refused for its certificate is fatal, see getToken's callers).
    const certificate = error instanceof CertificateError && this.#tokens !== undefined ? error : undefined;
    if ((error instanceof AuthError && error.retriable) || certificate !== undefined) {
      const delayMs = scheduleRetryDelayMs(this.#options.clock.now(), this.#tokens?.expiresAtMs, this.#options.retry);
      this.#log.warn(
        {
          code: (error as AuthError | CertificateError).code,
          certificate: certificate?.certificateCode,
          delayMs: Math.round(delayMs),
        },
        "scheduled token refresh failed; will try again",
      );
      this.#timer.set(delayMs);
      return;
    }
    this.#log.error({ code: errorCode(error) }, "scheduled token refresh failed fatally; schedule stopped");
    this.#emit(this.#errorListeners, error instanceof Error ? error : new Error(String(error)));
  }

  /** Calls each listener; one that throws is logged and does not stop the others. */
  #emit<T>(listeners: ReadonlySet<(value: T) => void>, value: T): void {
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.#log.error({ err: error instanceof Error ? error.message : String(error) }, "token listener threw");
      }
    }
  }
}

function publicToken(tokens: HeldTokens): AccessToken {
  return { accessToken: tokens.accessToken, expiresAtMs: tokens.expiresAtMs };
}

function errorCode(error: unknown): string | undefined {
  return error instanceof AuthError ? error.code : error instanceof Error ? error.name : undefined;
}
