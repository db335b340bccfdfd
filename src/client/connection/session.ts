/**
 * The self-healing session: token → WebSocket → Login → ready, answering Pings, re-logging in
 * with `Refresh:false` after every token refresh (§2.4), and on any loss (closed login stream, "System
 * busy", dead link, socket error) backing off with full jitter and reconnecting through the endpoint pool
 * (§3.6). With a user-name login (an on-site ADS, §4A.5) the token steps fall away. Fatal refusals stop it
 * with a typed error — and so does an untrusted TLS certificate before the first login (after one, it is
 * retried: the server may be fixed). The state changes only in {@link Session.#transition}.
 */
import { buildLoginClose } from "../../protocol/messages.js";
import type { Logger } from "../../util/logger.js";
import type { AccessToken } from "../auth/auth-provider.js";
import { CertificateError, certificateErrorFor, ConnectionLostError } from "../errors.js";
import type { ResolvedSessionOptions } from "./session-options.js";
import { type InboundMessage, type Link, openLink } from "./link.js";
import { classifyLoginMessage, type LoginOutcome } from "./login-outcome.js";
import type { PostSink } from "./post-sink.js";
import { Reconnector } from "./reconnector.js";
import { connectFailure, defaultPosition } from "./web-socket.js";
import { type SessionCounters, type SessionState, isLegalTransition, newSessionCounters } from "./session-state.js";
import type { SessionDeps } from "./session-events.js";
import { LoginTokens, isFatalAuthError, isFatalLoginRefusal, watchTokens } from "./login-tokens.js";
import { TimerSlots } from "../../util/timer-slots.js";

const CLOSE_HANDSHAKE_MS = 1000;

/**
 * One logical connection to RCC that heals itself. It is also the post pipeline's {@link PostSink}: posts go
 * to its link, and their rate budget is the one governor it owns (given in its deps, used by nothing else).
 */
export class Session implements PostSink {
  readonly counters: SessionCounters = newSessionCounters();
  readonly #options: ResolvedSessionOptions;
  readonly #deps: SessionDeps;
  readonly #log: Logger;
  readonly #reconnector: Reconnector;
  #state: SessionState = "idle";
  #link: Link | undefined;
  /** Bumped whenever in-progress async steps become obsolete (back-off, failure, close). */
  #run = 0;
  /** Aborts the WebSocket handshake in progress when the session closes. */
  readonly #handshakes = new AbortController();
  readonly #timers: TimerSlots<"backoff" | "login" | "stable">;
  readonly #tokens: LoginTokens;
  #maxMessagesPerSecond: number;
  #unsubscribe: (() => void)[] = [];
  #closing: Promise<void> | undefined;
  /** Whether a Login was ever accepted: decides whether an untrusted certificate is fatal. */
  #wasReady = false;
  #user: string | undefined;

  constructor(options: ResolvedSessionOptions, deps: SessionDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#log = deps.log.child({ component: "session" });
    this.#timers = new TimerSlots(deps.clock);
    this.#reconnector = new Reconnector(options.urls, options.backoff, deps.random, options.reconnectForMs);
    this.#tokens = new LoginTokens(options.applicationId, options.position ?? defaultPosition());
    this.#maxMessagesPerSecond = options.defaultMaxMessagesPerSecond;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The endpoint in use or next in line. */
  get url(): string {
    return this.#reconnector.url;
  }

  /** `Key.Name` of the last accepted Login Refresh (the machine ID or DACS user), when it had one. */
  get user(): string | undefined {
    return this.#user;
  }

  /** The rate limit in force, messages per second. */
  get maxMessagesPerSecond(): number {
    return this.#maxMessagesPerSecond;
  }

  /** Posts that may be sent now (0 unless ready). */
  postCapacity(nowMs: number): number {
    return this.#state === "ready" && this.#link ? this.#link.postCapacity(nowMs) : 0;
  }

  /** Milliseconds until a post slot frees up in the rate window (§3.4). */
  postWaitMs(nowMs: number): number {
    return this.#deps.governor.waitMs(nowMs, 1, "post");
  }

  /** Sends a frame of `count` posts on the ready connection. */
  sendPosts(text: string, count: number): void {
    this.#link?.sendPosts(text, count);
  }

  /** `count` posts sent earlier were settled at monotonic `nowMs`: the Ack-clocked window counts them from now. */
  postsSettled(nowMs: number, count: number): void {
    this.#deps.governor.settle(nowMs, count);
  }

  /** Sends a control message (an item Request, §4A.6) on the ready connection; dropped otherwise. */
  sendControl(message: object): void {
    if (this.#state === "ready") this.#link?.sendControl(message);
  }

  /** Starts connecting (idle → authenticating); later calls do nothing. */
  start(): void {
    if (this.#state !== "idle") return;
    this.#unsubscribe = watchTokens(this.#deps.login, {
      onToken: (token) => this.#onToken(token),
      onError: (error) => {
        this.#log.warn({ err: error.message }, "token refresh schedule failed");
        this.#deps.publish({ type: "error", error });
      },
    });
    void this.#authenticate();
  }

  /** Sends the Login Close, closes the socket and ends the session (§2.4, §3.7 step 8). Idempotent. */
  close(): Promise<void> {
    if (this.#state === "closed") return Promise.resolve();
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#run += 1;
    this.#timers.clearAll();
    this.#handshakes.abort();
    const link = this.#link;
    this.#transition("closing");
    if (link?.open) {
      link.sendControl(buildLoginClose());
      await link.controlDrained(CLOSE_HANDSHAKE_MS);
      await link.close(CLOSE_HANDSHAKE_MS);
    }
    this.#link = undefined;
    this.#end(undefined);
  }

  async #authenticate(): Promise<void> {
    if (!this.#transition("authenticating")) return;
    const run = this.#run;
    let login: () => object;
    try {
      login = await this.#tokens.next(this.#deps.login, this.#options.tokenMinValidityMs, this.#deps.clock.now());
    } catch (thrown) {
      if (run !== this.#run) return;
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      if (isFatalAuthError(error) || this.#isFatalCertificate(error)) this.#fail(error);
      else this.#backOff(error);
      return;
    }
    if (run !== this.#run) return;
    await this.#connect(login, run);
  }

  /** Opens the socket and sends the Login that `login()` builds (it notes a token as used). */
  async #connect(login: () => object, run: number): Promise<void> {
    if (!this.#transition("connecting")) return;
    const url = this.#reconnector.url;
    const options = this.#options;
    const { clock, governor, pipeline } = this.#deps;
    let link: Link | undefined;
    try {
      link = await (this.#deps.openLink ?? openLink)(url, {
        ...options,
        clock,
        log: this.#log,
        governor,
        stillWanted: () => run === this.#run,
        signal: this.#handshakes.signal,
        handlers: {
          onLogin: (message) => this.#onLogin(link, message),
          onItem: pipeline.onItemMessage,
          ...(pipeline.onItemUpdate === undefined ? {} : { onUpdate: pipeline.onItemUpdate }),
          onAck: pipeline.onAck,
          onServerError: pipeline.onServerError,
          onClosed: (cause) => {
            if (link === this.#link) this.#backOff(cause);
          },
          onWritable: pipeline.onWritable,
        },
      });
    } catch (error) {
      if (run !== this.#run) return;
      const certificate = certificateErrorFor(url, error);
      if (certificate !== undefined && this.#isFatalCertificate(certificate)) this.#fail(certificate);
      else this.#backOff(certificate ?? connectFailure(url, error));
      return;
    }
    if (link === undefined) return; // closed or failed meanwhile
    if (!this.#transition("logging-in")) {
      link.terminate(); // the session moved on (closed) while the handshake ran: this link is nobody's
      return;
    }
    this.#link = link;
    this.#deps.warnings.reset(); // each kind of protocol error is logged once per connection
    link.sendControl(login());
    this.#timers.set("login", options.loginTimeoutMs, () =>
      this.#backOff(new ConnectionLostError(`no Login Refresh within ${options.loginTimeoutMs} ms`)),
    );
  }

  #onLogin(link: Link | undefined, message: InboundMessage): void {
    if (link === undefined || link !== this.#link) return;
    const outcome = classifyLoginMessage(message);
    if (outcome.kind === "accepted") this.#onAccepted(link, outcome);
    else if (outcome.kind === "ended") this.#onLoginEnded(outcome);
    else this.#log.warn({ stream: outcome.stream, data: outcome.data, text: outcome.text }, "login stream status");
  }

  #onAccepted(link: Link, outcome: Extract<LoginOutcome, { kind: "accepted" }>): void {
    const limit = outcome.maxMessagesPerSecond ?? this.#options.defaultMaxMessagesPerSecond;
    const { rateProblem, pingTimeoutProblem } = outcome;
    if (rateProblem !== undefined) {
      this.#deps.warnings.report("rate-limit", rateProblem.advertised, { action: rateProblem.problem, using: limit });
    }
    if (pingTimeoutProblem !== undefined) {
      const { advertised, problem } = pingTimeoutProblem;
      this.#deps.warnings.report("ping-timeout", advertised, { action: problem, usingMs: outcome.pingTimeoutMs });
    }
    this.#maxMessagesPerSecond = limit;
    this.#deps.governor.setLimit(limit);
    // An ADS says how long it tolerates silence (§4A.5); that, not our RCC defaults, decides a dead link.
    if (outcome.pingTimeoutMs !== undefined) link.usePingTimeout(outcome.pingTimeoutMs);
    if (this.#state !== "logging-in") {
      // An unsolicited extra Refresh (e.g. after a Refresh:false re-login) only updates the limit.
      this.#log.debug({ maxMessagesPerSecond: limit }, "extra Login Refresh");
      return;
    }
    this.#timers.clear("login");
    this.#wasReady = true;
    this.#transition("ready");
    // Stable for a while: the next failure starts the backoff afresh.
    this.#timers.set("stable", this.#options.stableAfterMs, () => this.#reconnector.reset());
    const advertised = outcome.maxMessagesPerSecond !== undefined;
    this.#log.info({ url: this.url, maxMessagesPerSecond: limit, advertised, user: outcome.user }, "logged in");
    this.#user = outcome.user;
    this.#deps.publish({ type: "ready", url: this.url, maxMessagesPerSecond: limit, advertised, text: outcome.text });
    const deferred = this.#tokens.takeDeferred();
    if (deferred !== undefined) this.#relogin(link, deferred);
    this.#deps.pipeline.onReady();
  }

  #onLoginEnded(outcome: Extract<LoginOutcome, { kind: "ended" }>): void {
    this.#log.warn({ err: outcome.error.message, state: this.#state }, "login stream closed by the server");
    if (outcome.tokenSuspect) {
      // Decision: refused on a token never used before, or on a user name → fatal; otherwise one
      // retry with a new token.
      if (isFatalLoginRefusal(this.#deps.login, this.#state === "logging-in", this.#tokens.fresh)) {
        this.#fail(outcome.error);
        return;
      }
      this.#tokens.forceNew();
    }
    this.#backOff(outcome.error);
  }

  #onToken(token: AccessToken): void {
    this.counters.tokenRefreshes += 1;
    if (this.#state === "ready" && this.#link) this.#relogin(this.#link, token);
    else if (this.#state === "logging-in") this.#tokens.defer(token);
  }

  #relogin(link: Link, token: AccessToken): void {
    link.sendControl(this.#tokens.login(token, false));
    this.#log.info({ expiresAtMs: token.expiresAtMs }, "re-logged in with a refreshed token");
    this.#deps.publish({ type: "token-refreshed", expiresAtMs: token.expiresAtMs });
  }

  /** A retriable failure: drop the connection, wait, try the next endpoint. */
  #backOff(cause: Error): void {
    const state = this.#state;
    if (state !== "authenticating" && state !== "connecting" && state !== "logging-in" && state !== "ready") return;
    this.#stopRunning(cause);
    const nowMs = this.#deps.clock.monotonic();
    // A session that was up and lost its connection (not one the server refused or told to go away).
    const healthyDrop = state === "ready" && cause instanceof ConnectionLostError;
    const plan = this.#reconnector.next(nowMs, { healthyDrop });
    if (plan === undefined) {
      const downMs = this.#reconnector.downForMs(nowMs);
      const attempts = `${this.#reconnector.attempts} attempts`;
      const spent =
        downMs >= this.#options.reconnectForMs ? `${Math.round(downMs / 100) / 10} s (${attempts})` : attempts;
      const message = `gave up reconnecting after ${spent}: ${cause.message}`;
      this.#fail(new ConnectionLostError(message, { cause, retriable: false }));
      return;
    }
    this.#transition("backing-off", cause);
    this.counters.reconnects += 1;
    this.#deps.publish({ type: "reconnecting", ...plan, cause });
    this.#timers.set("backoff", plan.delayMs, () => void this.#authenticate());
  }

  /** Untrusted certificate: fatal before the first accepted Login, else warn and back off as usual. */
  #isFatalCertificate(error: Error): boolean {
    if (!(error instanceof CertificateError)) return false;
    if (!this.#wasReady) return true;
    this.#log.warn({ err: error.message }, "server certificate not trusted; retrying with backoff");
    return false;
  }

  /** A fatal failure: stop for good with `error`. */
  #fail(error: Error): void {
    if (this.#state === "closed" || this.#state === "closing") return;
    this.#stopRunning(error);
    this.#log.error({ err: error.message }, "session stopped");
    this.#end(error);
  }

  #end(error: Error | undefined): void {
    this.#transition("closed", error);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    this.#deps.publish(error === undefined ? { type: "closed" } : { type: "closed", error });
  }

  /** Makes pending async steps obsolete, drops the socket and timers, and tells the pipeline if it was ready. */
  #stopRunning(cause: Error): void {
    this.#run += 1;
    const link = this.#link;
    this.#link = undefined;
    link?.terminate();
    this.#timers.clearAll();
    if (this.#state === "ready") this.#deps.pipeline.onDisconnected(cause);
  }

  /** The only place the state changes: checks legality, logs, counts and publishes (STYLE habit 2). */
  #transition(next: SessionState, cause?: Error): boolean {
    const from = this.#state;
    if (!isLegalTransition(from, next)) {
      this.#log.error({ from, to: next }, "illegal session state transition ignored");
      return false;
    }
    this.#state = next;
    this.counters.transitions[next] += 1;
    this.#log.debug({ from, to: next, cause: cause?.message }, "session state");
    this.#deps.publish(
      cause === undefined ? { type: "state", from, to: next } : { type: "state", from, to: next, cause },
    );
    return true;
  }
}
