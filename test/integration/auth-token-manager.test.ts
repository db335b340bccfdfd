/**
 * The RDP OAuth2 v1 token manager against the real simulated token endpoint (docs/protocol.md §1; simulator
 * checklist items 3–8) over real HTTP on 127.0.0.1. Time-dependent cases share one ManualClock between the
 * simulator and the manager; retries use millisecond delays so nothing sleeps for long.
 */
import { afterEach, describe, expect, test } from "vitest";
import type { AccessToken } from "../../src/client/auth/auth-provider.js";
import {
  AUTH_ERROR_CODES,
  AuthForbiddenError,
  AuthUnavailableError,
  InvalidCredentialsError,
} from "../../src/client/errors.js";
import { TokenManager, type TokenManagerOptions } from "../../src/client/auth/token-manager.js";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";
import { ManualClock } from "../../src/util/clock.js";
import { capturingLogger } from "./client-fixtures.js";

const ACCOUNT = { user: "GE-A-00000007-1-0007", password: "Secret-Password-0007", clientId: "GE-A-00000007-1-0007" };
const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 5 };

let sim: RunningSimulator | undefined;
const managers: TokenManager[] = [];
afterEach(async () => {
  for (const manager of managers.splice(0)) manager.stop();
  await sim?.close();
  sim = undefined;
});

async function startSim(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  sim = await startSimulator({ accounts: [ACCOUNT], ...options });
  return sim;
}

function manager(running: RunningSimulator, options: Partial<TokenManagerOptions> = {}): TokenManager {
  const created = new TokenManager({ authUrl: running.authUrl, ...ACCOUNT, retry: FAST_RETRY, ...options });
  managers.push(created);
  return created;
}

function nextToken(subject: TokenManager): Promise<AccessToken> {
  return new Promise((resolve) => {
    const unsubscribe = subject.onToken((token) => {
      unsubscribe();
      resolve(token);
    });
  });
}

/**
 * Lets pending I/O callbacks and promise continuations run. Used only before asserting that nothing
 * happened (no refresh, no retry): no event marks an absence, so a short real pause is the subject.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

describe("TokenManager against the simulated RDP token endpoint", () => {
  test("§1.3, §4 item 3: the first getToken signs on with the password grant", async () => {
    const running = await startSim();
    const lines: string[] = [];
    const subject = manager(running, { log: capturingLogger(lines) });
    const before = Date.now();
    const token = await subject.getToken();
    expect(token.accessToken.length).toBeGreaterThan(10);
    expect(token.expiresAtMs).toBeGreaterThanOrEqual(before + 600_000);
    expect(token.expiresAtMs).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(subject.stats).toEqual({ passwordGrants: 1, refreshGrants: 0, failures: 0 });
    expect(running.state.counters.tokensIssued).toBe(1);
    const obtained = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.msg === "token obtained");
    expect(obtained).toMatchObject({ level: "info", user: ACCOUNT.user, grant: "password", expiresInSec: 600 });
  });

  test("a cached token is served while valid long enough, without another request", async () => {
    const running = await startSim();
    const subject = manager(running);
    const first = await subject.getToken();
    const again = await subject.getToken({ minValidityMs: 60_000 });
    expect(again).toEqual(first);
    expect(running.state.counters.tokensIssued).toBe(1);
  });

  test("§1.4, §4 item 4: refreshes rotate both tokens and always send the latest refresh token", async () => {
    const running = await startSim();
    const subject = manager(running);
    const first = await subject.getToken();
    const second = await subject.getToken({ minValidityMs: 3_600_000 });
    const third = await subject.getToken({ minValidityMs: 3_600_000 });
    expect(new Set([first.accessToken, second.accessToken, third.accessToken]).size).toBe(3);
    // A reused (consumed) refresh token would have been refused and forced a password grant.
    expect(subject.stats).toEqual({ passwordGrants: 1, refreshGrants: 2, failures: 0 });
    expect(running.state.counters.tokenErrors).toBe(0);
  });

  test("§1.8: the proactive refresh fires at 80 % of the lifetime and is announced through onToken", async () => {
    const clock = new ManualClock();
    const running = await startSim({ clock });
    const subject = manager(running, { clock });
    subject.start();
    const first = await subject.getToken();
    const announced: AccessToken[] = [];
    subject.onToken((token) => announced.push(token));

    clock.advance(479_000);
    await settle();
    expect(announced).toHaveLength(0);
    expect(running.state.counters.tokensIssued).toBe(1);

    const refreshed = nextToken(subject);
    clock.advance(1_000);
    const token = await refreshed;
    expect(token.accessToken).not.toBe(first.accessToken);
    expect(token.expiresAtMs).toBe(clock.now() + 600_000);
    expect(subject.stats).toMatchObject({ passwordGrants: 1, refreshGrants: 1 });

    // The next refresh is scheduled from the new token: 480 s later again.
    const again = nextToken(subject);
    clock.advance(480_000);
    await again;
    expect(subject.stats.refreshGrants).toBe(2);
  });

  test("§1.6, §4 item 8: a refused refresh falls back to the password grant once", async () => {
    const running = await startSim();
    const lines: string[] = [];
    const subject = manager(running, { log: capturingLogger(lines) });
    const first = await subject.getToken();
    running.faults.add({ type: "token-errors", status: 400, count: 1 });
    const token = await subject.getToken({ minValidityMs: 3_600_000 });
    expect(token.accessToken).not.toBe(first.accessToken);
    expect(subject.stats).toEqual({ passwordGrants: 2, refreshGrants: 0, failures: 1 });
    expect(lines.some((line) => line.includes("falling back to password grant"))).toBe(true);
  });

  test("§1.7, §4 item 6: after an exclusive sign-on by a second manager, the first falls back to a password grant", async () => {
    const running = await startSim();
    const first = manager(running);
    const second = manager(running, { takeExclusiveSignOnControl: true });
    await first.getToken();
    await second.getToken();
    const token = await first.getToken({ minValidityMs: 3_600_000 });
    expect(token.accessToken.length).toBeGreaterThan(10);
    expect(first.stats).toEqual({ passwordGrants: 2, refreshGrants: 0, failures: 1 });
    expect(running.state.counters.tokenErrors).toBe(1);
  });

  test("§1.7, §4 item 5: a refresh returning a shorter expires_in triggers an immediate password grant", async () => {
    const clock = new ManualClock();
    const running = await startSim({ clock, accessTokenLifetimeSec: 600, sessionLifetimeSec: 700 });
    const lines: string[] = [];
    const subject = manager(running, { clock, log: capturingLogger(lines) });
    subject.start();
    await subject.getToken();
    const announced = nextToken(subject);
    // At 480 s the session has 220 s left: the refresh answers expires_in 220 < 600.
    clock.advance(480_000);
    const token = await announced;
    expect(subject.stats).toEqual({ passwordGrants: 2, refreshGrants: 1, failures: 0 });
    expect(token.expiresAtMs).toBe(clock.now() + 600_000);
    expect(lines.some((line) => line.includes("shorter lifetime"))).toBe(true);
  });

  test("§1.2, §4 item 8: a redirect is followed by re-POSTing to Location", async () => {
    const running = await startSim();
    running.faults.add({ type: "token-redirect", status: 307, count: 1 });
    const subject = manager(running);
    const token = await subject.getToken();
    expect(token.accessToken.length).toBeGreaterThan(10);
    expect(running.state.counters.tokensIssued).toBe(1);
    expect(subject.stats).toEqual({ passwordGrants: 1, refreshGrants: 0, failures: 0 });
    expect(subject.authUrl).toBe(running.authUrl);
  });

  test("§1.6, §4 item 8: two 503 answers are retried with backoff, then the grant succeeds", async () => {
    const running = await startSim();
    running.faults.add({ type: "token-errors", status: 503, count: 2 });
    const lines: string[] = [];
    const subject = manager(running, { log: capturingLogger(lines) });
    const token = await subject.getToken();
    expect(token.accessToken.length).toBeGreaterThan(10);
    expect(running.state.counters.tokenErrors).toBe(2);
    expect(subject.stats).toEqual({ passwordGrants: 1, refreshGrants: 0, failures: 2 });
    expect(lines.filter((line) => line.includes("retrying"))).toHaveLength(2);
  });

  test("§1.6: 429 until the retry budget is spent rejects with a retriable AuthUnavailableError", async () => {
    const running = await startSim();
    running.faults.add({ type: "token-errors", status: 429 });
    const subject = manager(running, { retry: { ...FAST_RETRY, maxAttempts: 3 } });
    const error = await subject.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthUnavailableError);
    expect(error).toMatchObject({ code: AUTH_ERROR_CODES.unavailable, retriable: true, status: 429 });
    expect(running.state.counters.tokenErrors).toBe(3);
  });

  test("§1.6: network failures are retried, then reported as AuthUnavailableError", async () => {
    const running = await startSim();
    const { authUrl } = running;
    await running.close();
    sim = undefined;
    const subject = new TokenManager({ authUrl, ...ACCOUNT, retry: { ...FAST_RETRY, maxAttempts: 2 } });
    managers.push(subject);
    const error = await subject.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthUnavailableError);
    expect((error as Error).message).toMatch(/after 2 attempts: token request failed/);
    expect(subject.stats.failures).toBe(2);
  });

  test("§1.6: 403 is fatal and not retried", async () => {
    const running = await startSim();
    running.faults.add({ type: "token-errors", status: 403 });
    const subject = manager(running);
    const error = await subject.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthForbiddenError);
    expect(error).toMatchObject({ code: AUTH_ERROR_CODES.forbidden, retriable: false, status: 403 });
    await settle();
    expect(running.state.counters.tokenErrors).toBe(1);
  });

  test("§1.6: a wrong password rejects with InvalidCredentialsError quoting the server's description", async () => {
    const running = await startSim();
    const subject = manager(running, { password: "Wrong-Password-123" });
    const error = await subject.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error).toMatchObject({ code: AUTH_ERROR_CODES.invalidCredentials, retriable: false, status: 400 });
    expect((error as Error).message).toContain("Invalid username or password.");
    expect((error as Error).message).not.toContain("Wrong-Password-123");
    expect(running.state.counters.tokenErrors).toBe(1);
  });

  test("concurrent getToken callers share one request", async () => {
    const running = await startSim();
    running.faults.add({ type: "token-delay", ms: 50, count: 1 });
    const subject = manager(running);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => subject.getToken()));
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
    expect(running.state.counters.tokensIssued).toBe(1);
    expect(subject.stats.passwordGrants).toBe(1);
  });

  test("stop() rejects waiting callers with RCC_AUTH_STOPPED, and the manager works again afterwards", async () => {
    const clock = new ManualClock();
    // The simulator's delay runs on its ManualClock, so the first request hangs until stop() aborts it.
    const running = await startSim({ clock });
    running.faults.add({ type: "token-delay", ms: 1_000, count: 1 });
    const subject = manager(running);
    const waiters = [subject.getToken(), subject.getToken()].map((promise) =>
      promise.catch((caught: unknown) => caught),
    );
    // The count-limited fault disappears once the request has reached the endpoint.
    await expect.poll(() => running.faults.list().length).toBe(0);
    subject.stop();
    const errors = await Promise.all(waiters);
    for (const error of errors) expect(error).toMatchObject({ code: AUTH_ERROR_CODES.stopped });
    const token = await subject.getToken();
    expect(token.accessToken.length).toBeGreaterThan(10);
  });

  test("a transient failure of a scheduled refresh is retried by the schedule, not reported as fatal", async () => {
    const clock = new ManualClock();
    const running = await startSim({ clock });
    // One try per call, so the failure reaches the schedule; its next try comes after retry.maxDelayMs.
    const subject = manager(running, { clock, retry: { initialDelayMs: 1, maxDelayMs: 2_000, maxAttempts: 1 } });
    const errors: Error[] = [];
    subject.onError((error) => errors.push(error));
    subject.start();
    await subject.getToken();
    running.faults.add({ type: "token-errors", status: 503, count: 1 });
    clock.advance(480_000);
    // The failure reaches the schedule through promise continuations only, all done before the next poll.
    await expect.poll(() => subject.stats.failures).toBe(1);
    expect(running.state.counters.tokenErrors).toBe(1);
    const announced = nextToken(subject);
    clock.advance(2_000);
    await announced;
    expect(errors).toHaveLength(0);
    expect(subject.stats).toEqual({ passwordGrants: 1, refreshGrants: 1, failures: 1 });
  });

  test("a fatal failure of the proactive schedule is reported through onError", async () => {
    const clock = new ManualClock();
    const running = await startSim({ clock });
    const subject = manager(running, { clock });
    const errors: Error[] = [];
    subject.onError((error) => errors.push(error));
    subject.start();
    await subject.getToken();
    running.faults.add({ type: "token-errors", status: 451 });
    clock.advance(480_000);
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toBeInstanceOf(AuthForbiddenError);
    // The schedule has stopped: much later, still no further request.
    clock.advance(3_600_000);
    await settle();
    expect(running.state.counters.tokenErrors).toBe(1);
  });

  test("no password, client secret, access token or refresh token appears in any log line", async () => {
    const running = await startSim();
    const lines: string[] = [];
    const secrets = new Set<string>([ACCOUNT.password, "Client-Secret-0007"]);
    // Record every token the endpoint hands out, refresh tokens included.
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const body = (await response
        .clone()
        .json()
        .catch(() => undefined)) as { access_token?: unknown; refresh_token?: unknown } | undefined;
      if (typeof body?.access_token === "string") secrets.add(body.access_token);
      if (typeof body?.refresh_token === "string") secrets.add(body.refresh_token);
      return response;
    };
    const subject = manager(running, {
      log: capturingLogger(lines),
      fetch: recordingFetch,
      clientSecret: "Client-Secret-0007",
    });
    await subject.getToken();
    running.faults.add({ type: "token-errors", status: 503, count: 1 });
    await subject.getToken({ minValidityMs: 3_600_000 });
    running.faults.add({ type: "token-errors", status: 401, count: 1 });
    await subject.getToken({ minValidityMs: 3_600_000 });
    running.faults.add({ type: "token-expires-in", seconds: 300, count: 1 });
    await subject.getToken({ minValidityMs: 3_600_000 });

    expect(secrets.size).toBeGreaterThanOrEqual(8);
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret);
  });
});
