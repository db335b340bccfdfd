/**
 * The seam between authentication and the WebSocket session: the session only ever asks an
 * {@link AuthProvider} for a token, so an RDP v2 client-credentials provider (or a static token, or a
 * user-name login through an on-site ADS) can be added without touching the session.
 */

/** An access token and when it stops being valid. */
export interface AccessToken {
  /** The bearer token to put in the Login's `AuthenticationToken`. Never log it. */
  accessToken: string;
  /** Epoch milliseconds at which the token expires. */
  expiresAtMs: number;
}

/** Where sessions get tokens from. */
export interface AuthProvider {
  /** The machine ID / user the tokens are for (safe to log). */
  readonly user: string;
  /**
   * A token valid for at least `minValidityMs` more milliseconds, fetching or refreshing if needed.
   * Concurrent callers share one in-flight request. Rejects with a typed `AuthError` subclass.
   */
  getToken(options?: { minValidityMs?: number }): Promise<AccessToken>;
  /**
   * Subscribes to tokens obtained by the proactive refresh schedule; the session re-logs in with
   * `Refresh:false` on each. @returns an unsubscribe function.
   */
  onToken(listener: (token: AccessToken) => void): () => void;
  /** Subscribes to fatal failures of the proactive schedule. @returns an unsubscribe function. */
  onError(listener: (error: Error) => void): () => void;
  /** Starts the proactive refresh schedule (idempotent). */
  start(): void;
  /** Stops timers and aborts any in-flight request; pending `getToken` calls reject. */
  stop(): void;
}
