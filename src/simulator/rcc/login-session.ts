/**
 * The login-stream state of one connection (checklist items 13, 15, 16, 29): which stream id is open, for
 * which user and permissions, the token-expiry timer of the "close" policy, and the session's place in the
 * simulator's count of sessions logged in per machine ID (`SimulatorState.loginsByUser`).
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
  /** The user this session is counted under in `state.loginsByUser`, while it counts as logged in. */
  #countedUser: string | undefined;

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
    this.#count(details.user);
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
    this.release();
    this.#streamId = undefined;
    this.#permissions = undefined;
    this.#timers.clear(this.#expiryTimer);
    this.#expiryTimer = undefined;
    this.#info.state = "connected";
    this.#resources.context.state.changed(this.#info);
  }

  /**
   * The session no longer counts as logged in: its Login was closed, or the connection is ending (refused,
   * closed by either side, cut). Idempotent, so every way out may call it and the count drops exactly once.
   */
  release(): void {
    if (this.#countedUser === undefined) return;
    this.#resources.context.state.sessionLoggedOut(this.#countedUser);
    this.#countedUser = undefined;
  }

  /**
   * Counts the session as logged in for `user`. A re-login on the open stream (a fresh token, §2.4) is the same
   * session and is not counted again; one that names another user moves the session to that user.
   */
  #count(user: string): void {
    if (this.#countedUser === user) return;
    this.release();
    this.#resources.context.state.sessionLoggedIn(user);
    this.#countedUser = user;
  }
}
