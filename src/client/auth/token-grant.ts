/**
 * One OAuth2 v1 grant against the RDP token endpoint, with retries for transient failures (§1.6): builds the
 * form, POSTs it (following redirects and remembering 301/308 targets, §1.2), maps the answer to tokens or
 * a typed error, and counts outcomes. Holds no tokens: the token manager decides what to ask for.
 */
import type { Logger } from "../../util/logger.js";
import { authErrorForAnswer, classifyTokenStatus } from "./token-status.js";
import type { GrantType, IssuedTokens } from "./token-http.js";
import {
  parseOAuthError,
  parseTokenBody,
  passwordGrantForm,
  postTokenForm,
  refreshGrantForm,
  safeUrl,
  tokenRequestHeaders,
} from "./token-http.js";
import type { ResolvedTokenOptions } from "./token-options.js";
import { retryTransient } from "./token-retry.js";

/** Counters of grants. */
export interface GrantStats {
  /** Successful password grants. */
  passwordGrants: number;
  /** Successful refresh grants. */
  refreshGrants: number;
  /** Token requests that produced no token (each failed try counts, retries included). */
  failures: number;
}

/** Tokens of a successful grant and when the request producing them was sent. */
export interface GrantOutcome {
  tokens: IssuedTokens;
  /** Epoch ms at which the successful request was sent (conservative: before network latency). */
  issuedAtMs: number;
}

/** Performs grants for one machine ID. */
export class TokenGrantClient {
  readonly stats: GrantStats = { passwordGrants: 0, refreshGrants: 0, failures: 0 };
  readonly #options: ResolvedTokenOptions;
  readonly #log: Logger;
  readonly #headers: Record<string, string>;
  #authUrl: string;

  /** @param log logger whose bindings name the user. */
  constructor(options: ResolvedTokenOptions, log: Logger) {
    this.#options = options;
    this.#log = log;
    this.#authUrl = options.authUrl;
    this.#headers = tokenRequestHeaders(options.clientId, options.clientSecret);
  }

  /** The token endpoint in use (changes after a 301/308). */
  get authUrl(): string {
    return this.#authUrl;
  }

  /**
   * One grant, retried on transient failures with the `retry` policy.
   * @param refreshToken required for `refresh_token` grants.
   * @throws AuthError subclasses (see `authErrorForAnswer`), or the abort reason of `signal`.
   */
  grant(grant: GrantType, refreshToken: string | undefined, signal: AbortSignal): Promise<GrantOutcome> {
    const { clock, retry, random } = this.#options;
    return retryTransient(
      async () => {
        const issuedAtMs = clock.now();
        const tokens = await this.#request(grant, refreshToken, signal);
        if (grant === "password") this.stats.passwordGrants += 1;
        else this.stats.refreshGrants += 1;
        // `user` comes from the logger's bindings.
        this.#log.info({ grant, expiresInSec: tokens.expiresInSec }, "token obtained");
        return { tokens, issuedAtMs };
      },
      {
        clock,
        retry,
        random,
        signal,
        onFailure: () => (this.stats.failures += 1),
        onRetry: ({ attempt, delayMs, status, error }) =>
          this.#log.warn(
            { grant, attempt, status, delayMs: Math.round(delayMs) },
            `token request failed; retrying: ${error.message}`,
          ),
      },
    );
  }

  /** One HTTP exchange, mapped to tokens or a typed error (retriable = transient, §1.6). */
  async #request(grant: GrantType, refreshToken: string | undefined, signal: AbortSignal): Promise<IssuedTokens> {
    const form =
      grant === "password" ? passwordGrantForm(this.#options) : refreshGrantForm(this.#options, refreshToken ?? "");
    const response = await postTokenForm(this.#authUrl, form, this.#headers, this.#options, signal);
    if (response.movedTo !== undefined && response.movedTo !== this.#authUrl) {
      this.#log.warn({ authUrl: safeUrl(response.movedTo) }, "token endpoint moved permanently; using the new URL");
      this.#authUrl = response.movedTo;
    }
    if (classifyTokenStatus(response.status) === "success") return parseTokenBody(response.body);
    throw authErrorForAnswer(grant, this.#options.user, { status: response.status, ...parseOAuthError(response.body) });
  }
}
