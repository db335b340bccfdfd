/**
 * The login-stream state of one connection (checklist items 13, 15, 16, 29): which stream id is open, for
 * which user and permissions, and the token-expiry timer of the "close" policy.
 */
import type { ConnectionInfo } from "../state.js";
import type { TimerHandle } from "../../util/clock.js";
import type { RicMatcher } from "./ric-matcher.js";
import type { LoginDetails, ServerResources } from "./session.js";
import type { TimerSet } from "./timer-set.js";

/** Login state of a connection; the connection owns one. */
export class LoginSession {
  readonly #resources: ServerResources;
  readonly #info: ConnectionInfo;
  readonly #timers: TimerSet;
  readonly #onTokenExpired: () => void;
  #streamId: number | undefined;
  #permissions: RicMatcher | undefined;
  #expiryTimer: TimerHandle | undefined;

  /** @param onTokenExpired called when the token expires without a re-login under the "close" policy (item 16). */
  constructor(resources: ServerResources, info: ConnectionInfo, timers: TimerSet, onTokenExpired: () => void) {
    this.#resources = resources;
    this.#info = info;
    this.#timers = timers;
    this.#onTokenExpired = onTokenExpired;
  }

  /** Open login stream id, or undefined when no Login is in force. */
  get streamId(): number | undefined {
    return this.#streamId;
  }

  /** RICs the logged-in user may contribute to. */
  get permissions(): RicMatcher | undefined {
    return this.#permissions;
  }

  /** Opens the session, or renews it on a re-login with a fresh token. */
  start(details: LoginDetails): void {
    const { context } = this.#resources;
    const info = this.#info;
    if (this.#streamId === undefined) info.loggedInAtMs = context.clock.now();
    this.#streamId = details.streamId;
    this.#permissions = this.#resources.permissionsOf(details.user);
    info.state = "logged-in";
    info.user = details.user;
    if (details.position !== undefined) info.position = details.position;
    if (details.applicationId !== undefined) info.applicationId = details.applicationId;
    info.logins += 1;
    context.state.changed(info);
    this.#timers.clear(this.#expiryTimer);
    this.#expiryTimer = undefined;
    // A user-name login (ADS profile, §4A.5) has no token to expire.
    if (context.config.expiredSessionPolicy === "close" && details.tokenExpiresAtMs !== undefined) {
      const delayMs = Math.max(0, details.tokenExpiresAtMs - context.clock.now());
      this.#expiryTimer = this.#timers.start(this.#onTokenExpired, delayMs);
    }
  }

  /** Closes the session (Login Close); the connection stays open and may log in again. */
  end(): void {
    this.#streamId = undefined;
    this.#permissions = undefined;
    this.#timers.clear(this.#expiryTimer);
    this.#expiryTimer = undefined;
    this.#info.state = "connected";
    this.#resources.context.state.changed(this.#info);
  }
}
