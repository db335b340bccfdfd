/**
 * The session's state machine (§2.4, §2.5, §2.10, §3.6, §3.7) driven over a fake link and a manual clock:
 * no socket, no real time. The fake opener hands the session a link the test controls (Login Refresh,
 * Login Status, drop), and a fake token provider models a cache that issues a new token only when asked
 * for more validity than the current one has left.
 */
import { describe, expect, test } from "vitest";
import type { AccessToken, AuthProvider } from "../../src/client/auth/auth-provider.js";
import type { InboundMessage, Link, OpenLinkOptions, openLink } from "../../src/client/connection/link.js";
import { ProtocolWarnings } from "../../src/client/connection/protocol-warnings.js";
import { RateGovernor } from "../../src/client/connection/rate-governor.js";
import { Session } from "../../src/client/connection/session.js";
import { type SessionState, isLegalTransition } from "../../src/client/connection/session-state.js";
import type { StatusEvent } from "../../src/client/connection/session-events.js";
import { CertificateError, ConnectionLostError, LoginRefusedError } from "../../src/client/errors.js";
import { type SessionOptions, resolveSessionOptions } from "../../src/client/connection/session-options.js";
import { ManualClock } from "../../src/util/clock.js";
import type { LogFn, Logger } from "../../src/util/logger.js";

const URLS = ["wss://rcc-a.test/WebSocket", "wss://rcc-b.test/WebSocket"];
const TOKEN_LIFETIME_MS = 600_000;
const LOGIN_TIMEOUT_MS = 1_000;
const STABLE_AFTER_MS = 5_000;
/** With `random() = 0.5`, full jitter makes the n-th delay half its bound: 100, 200, 400 … ms. */
const BACKOFF = { initialDelayMs: 200, maxDelayMs: 10_000, factor: 2 };

/** A link the test drives: what the session sent, and the server's side of the login stream. */
class FakeLink {
  readonly sent: Record<string, unknown>[] = [];
  open = true;
  closedGracefully = false;
  terminated = false;

  constructor(
    readonly url: string,
    readonly options: OpenLinkOptions,
  ) {}

  sendControl(message: object): void {
    if (this.open) this.sent.push(message as Record<string, unknown>);
  }
  sendPosts(): void {}
  postCapacity(): number {
    return this.open ? 10 : 0;
  }
  usePingTimeout(): void {}
  controlDrained(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.open = false;
    this.closedGracefully = true;
    return Promise.resolve();
  }
  terminate(): void {
    this.open = false;
    this.terminated = true;
  }

  /** The Logins sent on this link (Refresh:false re-logins included). */
  get logins(): Record<string, unknown>[] {
    return this.sent.filter((message) => message.Domain === "Login" && message.Type === undefined);
  }

  /** The server accepts the Login (§2.5). */
  accept(): void {
    this.#server({
      Type: "Refresh",
      Domain: "Login",
      ID: 1,
      Key: { Name: "GE-A-0001", Elements: { "TRCE:MaxMessagesPerSecond": 500 } },
      State: { Stream: "Open", Data: "Ok", Text: "Login accepted" },
    });
  }

  /** The server closes the login stream with a state code (§2.6, §2.10). */
  closeLogin(code: string): void {
    this.#server({
      Type: "Status",
      Domain: "Login",
      ID: 1,
      State: { Stream: "Closed", Data: "Suspect", Code: code, Text: "refused" },
    });
  }

  /** The socket goes away (either side, or a dead link). */
  drop(): void {
    this.open = false;
    this.options.handlers.onClosed(new ConnectionLostError("connection closed (code 1006)"));
  }

  #server(message: InboundMessage): void {
    this.options.handlers.onLogin(message);
  }
}

/** Stands in for `openLink`: records each attempt; fails it when the test queued an error. */
class FakeOpener {
  readonly links: FakeLink[] = [];
  readonly attempts: string[] = [];
  readonly failures: Error[] = [];
  /** When set, every handshake waits for it, as a slow network would. */
  hold: Promise<void> | undefined;
  // Unlike the real openLink, this never asks stillWanted(): a test may hand over a link the session gave up.
  readonly open: typeof openLink = async (url, options) => {
    this.attempts.push(url);
    if (this.hold !== undefined) await this.hold;
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const link = new FakeLink(url, options);
    this.links.push(link);
    return link as unknown as Link;
  };

  get last(): FakeLink {
    const link = this.links.at(-1);
    if (link === undefined) throw new Error("no link opened yet");
    return link;
  }
}

/** A token provider with a cache: a new token only when the cached one is too short-lived (§1.3). */
class FakeAuth implements AuthProvider {
  readonly user = "user-1";
  readonly requests: { minValidityMs: number | undefined }[] = [];
  #issued = 0;
  #current: AccessToken | undefined;
  readonly #tokenListeners = new Set<(token: AccessToken) => void>();
  readonly #errorListeners = new Set<(error: Error) => void>();

  constructor(readonly clock: ManualClock) {}

  getToken(options: { minValidityMs?: number } = {}): Promise<AccessToken> {
    this.requests.push({ minValidityMs: options.minValidityMs });
    const left = this.#current === undefined ? -1 : this.#current.expiresAtMs - this.clock.now();
    if (left < (options.minValidityMs ?? 0)) this.#current = this.#issue();
    return Promise.resolve(this.#current as AccessToken);
  }
  onToken(listener: (token: AccessToken) => void): () => void {
    this.#tokenListeners.add(listener);
    return () => this.#tokenListeners.delete(listener);
  }
  onError(listener: (error: Error) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }
  start(): void {}
  stop(): void {}

  /** The refresh schedule produced a new token. */
  refresh(): AccessToken {
    this.#current = this.#issue();
    for (const listener of this.#tokenListeners) listener(this.#current);
    return this.#current;
  }

  get listeners(): number {
    return this.#tokenListeners.size + this.#errorListeners.size;
  }

  #issue(): AccessToken {
    this.#issued += 1;
    return { accessToken: `token-${this.#issued}`, expiresAtMs: this.clock.now() + TOKEN_LIFETIME_MS };
  }
}

/** Error lines of the session's log (message text only: nothing here carries a secret). */
function errorLogger(errors: string[]): Logger {
  const ignore: LogFn = () => undefined;
  const error: LogFn = (objectOrMessage: object | string, message?: string) => {
    errors.push(typeof objectOrMessage === "string" ? objectOrMessage : (message ?? ""));
  };
  const logger: Logger = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error, child: () => logger };
  return logger;
}

/** A session over the fakes, with everything it published and told the pipeline. */
function harness(overrides: Partial<SessionOptions> = {}) {
  const clock = new ManualClock();
  const auth = new FakeAuth(clock);
  const opener = new FakeOpener();
  const events: StatusEvent[] = [];
  const errors: string[] = [];
  const pipeline = { ready: 0, disconnected: [] as Error[] };
  const waiters: { to: SessionState; resolve: () => void }[] = [];
  const log = errorLogger(errors);
  const session = new Session(
    resolveSessionOptions({
      urls: URLS,
      loginTimeoutMs: LOGIN_TIMEOUT_MS,
      stableAfterMs: STABLE_AFTER_MS,
      backoff: BACKOFF,
      ...overrides,
    }),
    {
      login: { kind: "token", auth },
      clock,
      random: () => 0.5,
      log,
      governor: new RateGovernor({ maxMessagesPerSecond: 1000 }),
      pipeline: {
        onReady: () => (pipeline.ready += 1),
        onDisconnected: (cause) => pipeline.disconnected.push(cause),
        onAck: () => undefined,
        onServerError: () => undefined,
        onWritable: () => undefined,
        onItemMessage: () => undefined,
      },
      publish: (event) => {
        events.push(event);
        if (event.type !== "state") return;
        for (const waiter of waiters.filter((candidate) => candidate.to === event.to)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      },
      warnings: new ProtocolWarnings(log),
      openLink: opener.open,
    },
  );
  /** Resolves when the session next enters `to`. */
  const reaches = (to: SessionState): Promise<void> => new Promise((resolve) => waiters.push({ to, resolve }));
  const states = (): string[] =>
    events.flatMap((event) => (event.type === "state" ? [`${event.from}→${event.to}`] : []));
  const reconnects = () => events.flatMap((event) => (event.type === "reconnecting" ? [event] : []));
  return { session, clock, auth, opener, events, errors, pipeline, reaches, states, reconnects };
}

type Harness = ReturnType<typeof harness>;

/** Runs every pending promise continuation (no timer is involved: time is the manual clock's). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Starts the session and brings it to "ready" on a new link. */
async function startReady(h: Harness): Promise<FakeLink> {
  h.session.start();
  await h.reaches("logging-in");
  h.opener.last.accept();
  expect(h.session.state).toBe("ready");
  return h.opener.last;
}

/** Lets the backoff delay pass and brings the next attempt to "logging-in". */
async function reconnectAfter(h: Harness, delayMs: number): Promise<FakeLink> {
  const links = h.opener.links.length;
  h.clock.advance(delayMs);
  await h.reaches("logging-in");
  expect(h.opener.links).toHaveLength(links + 1);
  return h.opener.last;
}

describe("Session state machine", () => {
  test("§2.4, §2.5: goes idle → authenticating → connecting → logging-in → ready and sends the token Login", async () => {
    const h = harness();
    expect(h.session.state).toBe("idle");
    const link = await startReady(h);
    expect(h.states()).toEqual([
      "idle→authenticating",
      "authenticating→connecting",
      "connecting→logging-in",
      "logging-in→ready",
    ]);
    expect(link.logins).toHaveLength(1);
    const elements = (link.logins[0]!.Key as { Elements: Record<string, unknown> }).Elements;
    expect(elements.AuthenticationToken).toBe("token-1");
    expect(link.logins[0]!.Refresh).toBeUndefined();
    expect(h.events).toContainEqual(
      expect.objectContaining({ type: "ready", url: URLS[0], maxMessagesPerSecond: 500 }),
    );
    expect(h.session.maxMessagesPerSecond).toBe(500);
    expect(h.pipeline.ready).toBe(1);
  });

  test("§3.6: no Login Refresh within loginTimeoutMs backs off, then reconnects to the next endpoint after the delay", async () => {
    const h = harness();
    h.session.start();
    await h.reaches("logging-in");
    const first = h.opener.last;
    h.clock.advance(LOGIN_TIMEOUT_MS - 1);
    expect(h.session.state).toBe("logging-in");
    h.clock.advance(1);
    expect(h.session.state).toBe("backing-off");
    expect(first.terminated).toBe(true);
    expect(h.reconnects()).toEqual([
      expect.objectContaining({ attempt: 1, delayMs: 100, url: URLS[1], cause: expect.any(ConnectionLostError) }),
    ]);
    expect(h.reconnects()[0]!.cause.message).toBe(`no Login Refresh within ${LOGIN_TIMEOUT_MS} ms`);

    h.clock.advance(99);
    expect(h.session.state).toBe("backing-off");
    expect(h.opener.attempts).toEqual([URLS[0]]);
    const second = await reconnectAfter(h, 1);
    expect(second.url).toBe(URLS[1]);
    second.accept();
    expect(h.session.state).toBe("ready");
    expect(h.session.counters.reconnects).toBe(1);
  });

  test("§2.10: a Login closed with a token-suspect code on a never-used token is fatal", async () => {
    const h = harness();
    h.session.start();
    await h.reaches("logging-in");
    h.opener.last.closeLogin("NotEntitled");
    expect(h.session.state).toBe("closed");
    const closed = h.events.at(-1);
    expect(closed).toMatchObject({ type: "closed", error: expect.any(LoginRefusedError) });
    expect(h.reconnects()).toEqual([]);
    expect(h.auth.listeners).toBe(0);
  });

  test("§2.10: refused on a token used before, it retries once with a new token; refused again on that one, it stops", async () => {
    const h = harness();
    const first = await startReady(h);
    first.drop();
    expect(h.pipeline.disconnected).toHaveLength(1);
    // The provider's cache hands out token-1 again: it was used before, so a refusal is not taken as final.
    const second = await reconnectAfter(h, 100);
    expect((second.logins[0]!.Key as { Elements: Record<string, unknown> }).Elements.AuthenticationToken).toBe(
      "token-1",
    );
    second.closeLogin("UserUnknownToPermSys");
    expect(h.session.state).toBe("backing-off");

    const third = await reconnectAfter(h, 200);
    // The next getToken asks for more validity than token-1 has left, which forces a new one.
    const lastRequest = h.auth.requests.at(-1)!;
    expect(lastRequest.minValidityMs).toBeGreaterThan(TOKEN_LIFETIME_MS - 300);
    expect((third.logins[0]!.Key as { Elements: Record<string, unknown> }).Elements.AuthenticationToken).toBe(
      "token-2",
    );
    third.closeLogin("UserUnknownToPermSys");
    expect(h.session.state).toBe("closed");
    expect(h.events.at(-1)).toMatchObject({ type: "closed", error: expect.any(LoginRefusedError) });
  });

  test("§2.4: a token refreshed while ready is sent at once as a Refresh:false re-login on the same link", async () => {
    const h = harness();
    const link = await startReady(h);
    const token = h.auth.refresh();
    expect(link.logins).toHaveLength(2);
    expect(link.logins[1]).toMatchObject({
      Refresh: false,
      Key: { Elements: { AuthenticationToken: token.accessToken } },
    });
    expect(h.events).toContainEqual({ type: "token-refreshed", expiresAtMs: token.expiresAtMs });
    expect(h.session.counters.tokenRefreshes).toBe(1);
    expect(h.session.state).toBe("ready");
    expect(h.opener.links).toHaveLength(1);
  });

  test("§2.4: a token arriving while logging in is held back and sent as a re-login once the Login is accepted", async () => {
    const h = harness();
    h.session.start();
    await h.reaches("logging-in");
    const link = h.opener.last;
    const token = h.auth.refresh();
    expect(link.logins).toHaveLength(1);
    expect(h.events.some((event) => event.type === "token-refreshed")).toBe(false);
    link.accept();
    expect(link.logins).toHaveLength(2);
    expect(link.logins[1]).toMatchObject({
      Refresh: false,
      Key: { Elements: { AuthenticationToken: token.accessToken } },
    });
    expect(h.events).toContainEqual({ type: "token-refreshed", expiresAtMs: token.expiresAtMs });
  });

  test("§2.4, §3.7: close() sends a Login Close, closes the link and ends closed without an error", async () => {
    const h = harness();
    const link = await startReady(h);
    await h.session.close();
    expect(link.sent.at(-1)).toEqual({ ID: 1, Type: "Close", Domain: "Login" });
    expect(link.closedGracefully).toBe(true);
    expect(h.session.state).toBe("closed");
    expect(h.states().slice(-2)).toEqual(["ready→closing", "closing→closed"]);
    expect(h.events.at(-1)).toEqual({ type: "closed" });
    expect(h.auth.listeners).toBe(0);
    expect(h.clock.pendingTimers).toBe(0);
    await expect(h.session.close()).resolves.toBeUndefined();
  });

  test("illegal transitions are ignored: a link handed over after close() is terminated and does not revive the session", async () => {
    const h = harness();
    let release = (): void => undefined;
    h.opener.hold = new Promise<void>((resolve) => (release = resolve));
    h.session.start();
    await h.reaches("connecting");
    await h.session.close();
    expect(h.session.state).toBe("closed");
    release();
    await flush();
    expect(h.opener.links).toHaveLength(1);
    // The session tried "closed → logging-in"; the transition refused it.
    expect(h.errors).toContain("illegal session state transition ignored");
    expect(h.session.state).toBe("closed");
    // The late link is nobody's: terminated at once, and no Login sent on it.
    expect(h.opener.last.logins).toEqual([]);
    expect(h.opener.last.terminated).toBe(true);
    h.opener.last.accept();
    h.clock.advance(LOGIN_TIMEOUT_MS);
    expect(h.session.state).toBe("closed");
    expect(h.states().at(-1)).toBe("closing→closed");
    const changes = h.events.flatMap((event) => (event.type === "state" ? [event] : []));
    expect(changes.every((change) => isLegalTransition(change.from, change.to))).toBe(true);
    expect(h.events.filter((event) => event.type === "ready")).toEqual([]);
  });

  test("§3.6: a connection ready for stableAfterMs resets the backoff to its first step", async () => {
    const h = harness();
    const first = await startReady(h);
    first.drop();
    const second = await reconnectAfter(h, 25);
    second.accept();
    h.clock.advance(STABLE_AFTER_MS - 1);
    second.drop(); // not yet stable: a second consecutive failure
    const third = await reconnectAfter(h, 200);
    third.accept();
    h.clock.advance(STABLE_AFTER_MS);
    third.drop(); // stable: starts afresh
    // A healthy session's first drop is retried at once (jitter: random 0.5 of 50 ms); the backoff grows from
    // the second consecutive failure.
    expect(h.reconnects().map((event) => [event.attempt, event.delayMs])).toEqual([
      [1, 25],
      [2, 200],
      [1, 25],
    ]);
  });

  test('§3.6: a ready session told "System busy" backs off from the first retry, as asked', async () => {
    const h = harness();
    const link = await startReady(h);
    link.closeLogin("SystemBusy");
    expect(h.session.state).toBe("backing-off");
    expect(h.reconnects().map((event) => [event.attempt, event.delayMs])).toEqual([[1, 100]]);
  });

  test("an untrusted certificate is fatal before the first ready", async () => {
    const h = harness();
    const certificate = new CertificateError(
      "wss://rcc-a.test",
      "SELF_SIGNED_CERT_IN_CHAIN",
      "self-signed certificate",
    );
    h.opener.failures.push(certificate);
    h.session.start();
    await h.reaches("closed");
    expect(h.events.at(-1)).toEqual({ type: "closed", error: certificate });
    expect(h.reconnects()).toEqual([]);
  });

  test("after a first ready, an untrusted certificate is retried with backoff (the server may be fixed)", async () => {
    const h = harness();
    const first = await startReady(h);
    const certificate = new CertificateError("wss://rcc-b.test", "CERT_HAS_EXPIRED", "certificate has expired");
    h.opener.failures.push(certificate);
    first.drop();
    h.clock.advance(100);
    await h.reaches("backing-off");
    expect(h.reconnects().at(-1)).toMatchObject({ attempt: 2, cause: certificate });
    const third = await reconnectAfter(h, 200);
    third.accept();
    expect(h.session.state).toBe("ready");
    expect(h.opener.attempts).toEqual([URLS[0], URLS[1], URLS[0]]);
  });
});
