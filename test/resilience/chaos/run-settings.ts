/**
 * The simulator and contributor settings of a chaos run: pings every 500 ms, access tokens of 4 s, RDP
 * sessions of 20 s, expired sessions closed by the server, fast backoff — so every fault bites within seconds
 * and a restart, a token outage or a shrinking lifetime turns into a real outage the client must heal.
 */
import type { ContributorOptions } from "../../../src/client/options.js";
import type { SimulatorOptions } from "../../../src/simulator/index.js";

/** The machine ID of the run (local simulator credentials, not a secret). */
export const CHAOS_ACCOUNT = { user: "GE-A-00000001-1-0001", password: "chaos-password-not-a-secret" } as const;

/** Ping interval of both sides, milliseconds. */
const PING_INTERVAL_MS = 500;
/** Silent ping intervals after which either side gives up on the link. */
const MISSED_PINGS = 3;
/** The client's dead-link detection time, milliseconds. */
export const CLIENT_DEAD_AFTER_MS = PING_INTERVAL_MS * MISSED_PINGS;

/** Simulator options of a run (two listeners for failover). */
export function simulatorOptions(maxMessagesPerSecond: number): SimulatorOptions {
  return {
    listeners: 2,
    accounts: [{ ...CHAOS_ACCOUNT, clientId: CHAOS_ACCOUNT.user }],
    pingIntervalMs: PING_INTERVAL_MS,
    missedPingsBeforeDisconnect: MISSED_PINGS,
    accessTokenLifetimeSec: 4,
    refreshTokenLifetimeSec: 60,
    sessionLifetimeSec: 20,
    // Item 16 "close": an access token that could not be refreshed ends the session, so token faults matter.
    expiredSessionPolicy: "close",
    maxMessagesPerSecond,
    ratePolicy: "nak",
    // The run watches the state's events; the rings only need to exist.
    recentPostsLimit: 100,
    recordedMessagesLimit: 100,
  };
}

/** Contributor options of a run; everything not listed is the library's default (re-send policy included). */
export function contributorOptions(
  account: { user: string; password: string },
  urls: readonly string[],
  authUrl: string,
  random: () => number,
): ContributorOptions {
  return {
    authUrl,
    user: account.user,
    password: account.password,
    clientId: account.user,
    urls,
    pingIntervalMs: PING_INTERVAL_MS,
    missedPings: MISSED_PINGS,
    loginTimeoutMs: 3000,
    connectTimeoutMs: 2000,
    backoff: { initialDelayMs: 50, maxDelayMs: 1000 },
    stableAfterMs: 2000,
    tokenMinValidityMs: 1000,
    refreshMarginMs: 1000,
    retry: { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 4 },
    requestTimeoutMs: 3000,
    ackTimeoutMs: 3000,
    maxInFlight: 1000,
    maxQueued: 5000,
    drainTimeoutMs: 5000,
    random,
  };
}
