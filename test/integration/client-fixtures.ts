/**
 * Shared set-up of the client integration tests: a real simulator per test, contributors wired to it with
 * fast timings, and cleanup that closes every contributor and simulator a test opened (no leaked handles).
 */
import { Contributor } from "../../src/client/contributor.js";
import type { ContributorDeps, ContributorOptions } from "../../src/client/options.js";
import type { TokenManagerFields, UserNameLogin } from "../../src/client/contributor-auth.js";
import type { PipelineOptions } from "../../src/client/posting/pipeline-options.js";
import type { SessionOptions } from "../../src/client/connection/session-options.js";
import type { AuthProvider, AccessToken } from "../../src/client/auth/auth-provider.js";
import { TokenManager } from "../../src/client/auth/token-manager.js";
import type { StatusEvent } from "../../src/client/connection/session-events.js";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";
import type { LogFn, Logger } from "../../src/util/logger.js";

const simulators = new Set<RunningSimulator>();
const contributors = new Set<Contributor>();
const providers = new Set<AuthProvider>();

/** Starts a simulator that {@link cleanup} will close. */
export async function simulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator(options);
  simulators.add(sim);
  return sim;
}

/** Token-manager fields for the simulator's first account. */
export function credentials(sim: RunningSimulator): {
  authUrl: string;
  user: string;
  password: string;
  clientId: string;
} {
  const account = sim.accounts[0]!;
  return { authUrl: sim.authUrl, user: account.user, password: account.password, clientId: account.clientId };
}

/** Fast timings so reconnect tests finish in milliseconds. */
export const FAST = {
  backoff: { initialDelayMs: 20, maxDelayMs: 100 },
  loginTimeoutMs: 2000,
  connectTimeoutMs: 2000,
  drainTimeoutMs: 2000,
} as const;

/**
 * Options a test may override: any session, pipeline or token-manager field, a ready `auth` provider, or a
 * user-name login (`auth: { userName }`, §4A.5).
 */
export type ContributorOverrides = Partial<SessionOptions & PipelineOptions & TokenManagerFields & ContributorDeps> & {
  auth?: AuthProvider | UserNameLogin;
};

/**
 * A contributor for `sim`, closed by {@link cleanup}: its token manager is built from the first account
 * unless `overrides.auth` supplies a provider.
 */
export function contributor(sim: RunningSimulator, overrides: ContributorOverrides = {}): Contributor {
  const auth = overrides.auth === undefined ? credentials(sim) : {};
  const client = new Contributor({ ...auth, urls: sim.wsUrls, ...FAST, ...overrides } as ContributorOptions);
  contributors.add(client);
  return client;
}

/**
 * A contributor logging in to an ADS-profile `sim` by the DACS user name of its first account (§4A.5), no
 * token involved; closed by {@link cleanup}.
 */
export function adsContributor(sim: RunningSimulator, overrides: ContributorOverrides = {}): Contributor {
  return contributor(sim, { auth: { userName: sim.accounts[0]!.user }, ...overrides });
}

/**
 * An auth provider over a real TokenManager whose `onToken` listeners the test fires by hand, so a token
 * refresh happens exactly when the test says.
 */
export class ManualRefreshAuth implements AuthProvider {
  readonly manager: TokenManager;
  readonly #listeners = new Set<(token: AccessToken) => void>();

  constructor(sim: RunningSimulator) {
    this.manager = new TokenManager(credentials(sim));
    providers.add(this);
  }

  get user(): string {
    return this.manager.user;
  }

  getToken(options?: { minValidityMs?: number }): Promise<AccessToken> {
    return this.manager.getToken(options);
  }

  onToken(listener: (token: AccessToken) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onError(): () => void {
    return () => undefined;
  }

  start(): void {}

  stop(): void {
    this.manager.stop();
  }

  /** Forces a new token (a refresh grant) and announces it like the proactive schedule would. */
  async refreshNow(): Promise<AccessToken> {
    const current = await this.manager.getToken();
    const token = await this.manager.getToken({ minValidityMs: current.expiresAtMs - Date.now() + 1 });
    for (const listener of this.#listeners) listener(token);
    return token;
  }
}

/** Closes every contributor, then every simulator and provider opened since the last cleanup. */
export async function cleanup(): Promise<void> {
  const open = [...contributors];
  contributors.clear();
  await Promise.all(open.map((client) => client.close()));
  for (const provider of providers) provider.stop();
  providers.clear();
  const sims = [...simulators];
  simulators.clear();
  await Promise.all(sims.map((sim) => sim.close()));
}

// Re-exported so the client suites take their set-up and their one wait helper from one import.
export { waitFor } from "../helpers/wait-for.js";

/** Collects every status event of a contributor from now on. */
export function recordStatus(client: Contributor): StatusEvent[] {
  const events: StatusEvent[] = [];
  void (async () => {
    for await (const event of client.status()) events.push(event);
  })();
  return events;
}

/** An inbound message as the simulator recorded it (item 32). */
export type Recorded = Record<string, any>;

/** The messages the simulator recorded (item 32), optionally only those matching `predicate`. */
export function recorded(sim: RunningSimulator, predicate: (message: Recorded) => boolean = () => true): Recorded[] {
  return sim.state.recordedMessages
    .toArray()
    .map((entry) => entry.message as Recorded)
    .filter(predicate);
}

/** A post as recorded by the simulator. */
export interface RecordedPost {
  Type: "Post";
  ID: number;
  PostID: number;
  Key: { Service: string | number; Name: string };
  Message: { Type: string; ID: number; Fields: Record<string, unknown> };
}

/** The posts the simulator received, in order. */
export function recordedPosts(sim: RunningSimulator): RecordedPost[] {
  return recorded(sim, (message) => message.Type === "Post") as RecordedPost[];
}

/** The `BID` of every post the simulator received, in order. */
export function postedBids(sim: RunningSimulator): unknown[] {
  return recordedPosts(sim).map((post) => post.Message.Fields.BID);
}

/**
 * A logger that keeps every call at every level as one JSON line: level, bindings, the object's keys and the
 * message as `msg`. Not redacted, so a leaked secret would show.
 */
export function capturingLogger(lines: string[] = [], bindings: Record<string, unknown> = {}): Logger {
  const method =
    (level: string): LogFn =>
    (objectOrMessage: object | string, message?: string) => {
      const fields =
        typeof objectOrMessage === "string" ? { msg: objectOrMessage } : { ...objectOrMessage, msg: message };
      lines.push(JSON.stringify({ level, ...bindings, ...fields }));
    };
  return {
    trace: method("trace"),
    debug: method("debug"),
    info: method("info"),
    warn: method("warn"),
    error: method("error"),
    child: (more) => capturingLogger(lines, { ...bindings, ...more }),
  };
}
