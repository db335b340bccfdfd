/**
 * The simulated RDP Auth Gateway token endpoint, OAuth2 v1 (docs/protocol.md §1; simulator checklist items
 * 1–9). The HTTP façade: routing, body, faults, client identification and answers; the grant rules live
 * in {@link GrantHandlers} and the tokens in {@link TokenStore}.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../util/logger.js";
import type { AccessTokenCheck, SimulatorContext, TokenValidator } from "../types.js";
import { AccountBook } from "./account-book.js";
import { resolveClientId } from "./client-identity.js";
import { isFormContentType, parseForm } from "./form.js";
import { GrantHandlers, type GrantResult } from "./grants.js";
import { type Answer, RequestAbortedError, readBody, selfUrl, writeAnswer } from "./http-exchange.js";
import { OAuthError, errorCodeForStatus, invalidRequest } from "./oauth-error.js";
import { TokenStore } from "./token-store.js";

/** Path of the v1 token endpoint (§1.1). */
const TOKEN_PATH = "/auth/oauth2/v1/token";

const REDIRECT_STATUSES = new Set([301, 302, 307, 308]);

/** What is known about a request so far, for the refusal log line (never a secret). */
interface ExchangeNotes {
  grantType?: string;
  user?: string;
}

/** The token endpoint, and the validator the WebSocket server asks about Login tokens (item 9). */
export class AuthService implements TokenValidator {
  readonly #context: SimulatorContext;
  readonly #log: Logger;
  readonly #store: TokenStore;
  readonly #grants: GrantHandlers;
  #requests = 0;

  constructor(context: SimulatorContext) {
    this.#context = context;
    this.#log = context.log.child({ component: "auth" });
    this.#store = new TokenStore(context.config);
    this.#grants = new GrantHandlers({
      config: context.config,
      accounts: new AccountBook(context.config.accounts),
      store: this.#store,
      standardLifetimeSec: () => this.#standardLifetimeSec(),
    });
  }

  /** Handles any HTTP request whose path starts with /auth/oauth2/v1/token. Never throws; always answers. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#requests += 1;
    // Real answers carry `X-Served-By: region=…; cid=…` (§1.1); the cid here numbers the requests.
    const servedBy = `region=sim; cid=${this.#requests}`;
    const notes: ExchangeNotes = {};
    this.#process(req, notes)
      .then(
        (answer) => this.#send(req, res, answer, servedBy),
        (error: unknown) => {
          if (error instanceof RequestAbortedError) {
            this.#log.debug("token request aborted by the client");
            return;
          }
          this.#send(req, res, this.#refusal(error, notes), servedBy);
        },
      )
      .catch(() => {
        // Last resort (a throwing logger, say): never let a rejection escape and stop the simulator.
        res.destroy();
      });
  }

  /** Checklist item 9: whether an access token is issued, unexpired and not revoked at `nowMs`. */
  validateAccessToken(token: string, nowMs: number): AccessTokenCheck {
    return this.#store.validateAccessToken(token, nowMs);
  }

  /** Records held by the token store (sessions, access and refresh tokens), to check memory stays bounded. */
  get storeSizes(): { sessions: number; accessTokens: number; refreshTokens: number } {
    return this.#store.sizes;
  }

  async #process(req: IncomingMessage, notes: ExchangeNotes): Promise<Answer> {
    const path = (req.url ?? "").split("?", 1)[0];
    if (path !== TOKEN_PATH) throw new OAuthError(404, "not_found", `No endpoint here; use POST ${TOKEN_PATH}.`);
    if (req.method !== "POST") {
      throw new OAuthError(405, "invalid_request", `Method ${req.method ?? "?"} is not allowed; use POST.`, {
        Allow: "POST",
      });
    }
    const body = await readBody(req);
    const injected = await this.#injectedFault(req);
    if (injected !== undefined) return injected;

    if (!isFormContentType(req.headers["content-type"])) {
      throw invalidRequest("Content-Type must be application/x-www-form-urlencoded.");
    }
    const form = parseForm(body);
    const grantType = form.get("grant_type");
    notes.grantType = grantType;
    notes.user = form.get("username");
    if (grantType === undefined || grantType === "") throw invalidRequest("Missing required parameter: grant_type.");
    if (grantType !== "password" && grantType !== "refresh_token") {
      throw new OAuthError(400, "unsupported_grant_type", "grant_type must be password or refresh_token.");
    }
    const clientId = resolveClientId(form, req.headers.authorization);
    const now = this.#context.clock.now();
    const result =
      grantType === "password" ? this.#grants.password(form, clientId, now) : this.#grants.refresh(form, clientId, now);
    this.#logIssued(result);
    this.#context.state.counters.tokensIssued += 1;
    return { status: 200, body: result.body };
  }

  /** Checklist item 8: `token-delay`, then `token-redirect`, then `token-errors`. */
  async #injectedFault(req: IncomingMessage): Promise<Answer | undefined> {
    const { faults, clock } = this.#context;
    const delay = faults.match("token-delay");
    if (delay?.ms !== undefined && delay.ms > 0) {
      const delayMs = delay.ms;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delayMs));
    }
    const redirect = faults.match("token-redirect");
    if (redirect !== undefined) {
      const status = redirect.status !== undefined && REDIRECT_STATUSES.has(redirect.status) ? redirect.status : 307;
      this.#log.warn({ status }, "token request redirected (injected fault)");
      return { status, headers: { Location: selfUrl(req) } };
    }
    const failure = faults.match("token-errors");
    if (failure !== undefined) {
      const status =
        failure.status !== undefined && failure.status >= 400 && failure.status <= 599 ? failure.status : 503;
      const headers: Record<string, string> = status === 429 ? { "Retry-After": "1" } : {};
      throw new OAuthError(status, errorCodeForStatus(status), `Injected failure: HTTP ${status}.`, headers);
    }
    return undefined;
  }

  #standardLifetimeSec(): number {
    const fault = this.#context.faults.match("token-expires-in");
    const seconds = fault?.seconds;
    return seconds !== undefined && Number.isInteger(seconds) && seconds > 0
      ? seconds
      : this.#context.config.accessTokenLifetimeSec;
  }

  #refusal(error: unknown, notes: ExchangeNotes): Answer {
    const refusal =
      error instanceof OAuthError ? error : new OAuthError(500, "server_error", "Internal error of the simulator.");
    if (!(error instanceof OAuthError)) {
      this.#log.error({ err: error instanceof Error ? error.message : String(error) }, "token endpoint failed");
    }
    this.#context.state.counters.tokenErrors += 1;
    this.#log.warn(
      {
        status: refusal.status,
        error: refusal.error,
        description: refusal.message,
        grantType: notes.grantType,
        user: notes.user,
      },
      "token request refused",
    );
    return { status: refusal.status, body: refusal.toBody(), headers: refusal.headers };
  }

  #logIssued(result: GrantResult): void {
    this.#log.info(
      {
        user: result.user,
        grantType: result.grantType,
        sessionId: result.sessionId,
        expiresInSec: result.expiresInSec,
        revokedSessions: result.revokedSessions,
        passwordChanged: result.passwordChanged,
      },
      "tokens issued",
    );
  }

  #send(req: IncomingMessage, res: ServerResponse, answer: Answer, servedBy: string): void {
    try {
      writeAnswer(req, res, answer, servedBy);
    } catch (error) {
      this.#log.error({ err: error instanceof Error ? error.message : String(error) }, "token answer not written");
      res.destroy();
    }
  }
}
