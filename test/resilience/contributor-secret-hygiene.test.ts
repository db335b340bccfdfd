/**
 * Secret hygiene: no log line, at any level, contains a password, an access token or a refresh token.
 *
 * How, honestly: most suites run with the silent logger, so "every line the whole suite produces" is mostly no line
 * at all. Instead this test drives every component that logs — the simulator (token endpoint, RCC listeners, admin
 * API), the token manager, the session and the post pipeline, and the `rcc` CLI as a child process — at TRACE level
 * through a representative workload (logins, refreshes, refusals, fallbacks, System busy, reconnects, failover, Naks,
 * content Errors, Ack timeouts, bad logins, malformed frames) and searches every captured line for every secret of
 * the run. Every token is known: tokens reach the contributor and the CLI through a recording proxy, raw clients get
 * theirs directly, and the simulator's count of issued grants must match.
 */
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { Contributor } from "../../src/client/contributor.js";
import type { RunningSimulator } from "../../src/simulator/index.js";
import { startSimulator } from "../../src/simulator/index.js";
import { type GrantedTokens, passwordGrant } from "../helpers/auth.js";
import { type TokenRecorder, runCli, stopAllCli, tempFiles, tokenRecorder } from "../helpers/cli.js";
import { closeAllRawClients, connectRaw, loginRequest } from "../helpers/raw-client.js";
import { LogCapture } from "./helpers/log-capture.js";

const CONTRIBUTOR = { user: "GE-A-00000011-1-0011", password: "contributor-password-7Hq2" };
const RAW = { user: "GE-A-00000012-1-0012", password: "raw-client-password-9Lw4" };
const WRONG_PASSWORD = "wrong-password-of-this-test-3Zk8";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await closeAllRawClients();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await stopAllCli();
});

async function setUp(capture: LogCapture): Promise<{ sim: RunningSimulator; recorder: TokenRecorder }> {
  const sim = await startSimulator({
    listeners: 2,
    accounts: [
      { ...CONTRIBUTOR, clientId: CONTRIBUTOR.user },
      { ...RAW, clientId: RAW.user },
    ],
    accessTokenLifetimeSec: 2,
    pingIntervalMs: 300,
    log: capture.logger.child({ part: "simulator" }),
  });
  cleanups.push(() => sim.close());
  const recorder = await tokenRecorder(sim.authUrl);
  cleanups.push(() => recorder.close());
  return { sim, recorder };
}

function secretsOf(recorder: TokenRecorder, direct: GrantedTokens[]): { kind: string; value: string }[] {
  return [
    ...[CONTRIBUTOR.password, RAW.password, WRONG_PASSWORD].map((value) => ({ kind: "password", value })),
    ...[...recorder.tokens].map((value) => ({ kind: "token", value })),
    ...direct.flatMap((tokens) => [
      { kind: "access token", value: tokens.accessToken },
      { kind: "refresh token", value: tokens.refreshToken },
    ]),
  ];
}

describe("secret hygiene", () => {
  it("no line the simulator, token manager, session or pipeline logs at trace level holds a password or a token", async () => {
    const capture = new LogCapture();
    const { sim, recorder } = await setUp(capture);
    const log = capture.logger.child({ part: "client" });
    const options = {
      authUrl: recorder.url,
      user: CONTRIBUTOR.user,
      clientId: CONTRIBUTOR.user,
      urls: sim.wsUrls,
      log,
      pingIntervalMs: 300,
      refreshMarginMs: 500,
      tokenMinValidityMs: 200,
      ackTimeoutMs: 800,
      backoff: { initialDelayMs: 10, maxDelayMs: 50 },
      retry: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 3 },
    };
    const client = new Contributor({ ...options, password: CONTRIBUTOR.password });
    cleanups.push(() => client.close());
    await client.connect();
    const ready = () => once(client, "ready");
    const refreshed = () => once(client, "token-refreshed");

    await Promise.all(Array.from({ length: 10 }, (_, i) => client.contribute("TRCCTEST01", { BID: i })));
    await expect(client.contribute("NOT.A.RIC", { BID: 1 })).rejects.toMatchObject({ code: "RCC_NAK" });
    await expect(client.contribute("TRCCTEST01", { NO_SUCH_FLD: 1 })).rejects.toMatchObject({
      code: "RCC_CONTENT_ERROR",
    });
    await refreshed(); // a refresh grant and a Refresh:false re-login
    sim.faults.add({ type: "token-errors", status: 503, count: 1 });
    await refreshed(); // retried after a 503
    sim.faults.add({ type: "token-errors", status: 400, count: 1 });
    await refreshed(); // refused refresh → password grant
    sim.faults.add({ type: "token-expires-in", seconds: 1, count: 1 });
    await refreshed(); // shorter lifetime → password grant
    let back = ready();
    sim.faults.add({ type: "system-busy" });
    await back;
    back = ready();
    sim.faults.add({ type: "reject-logins", code: "NotEntitled", count: 1 });
    sim.faults.add({ type: "disconnect" });
    await back; // refused once on a used token → a new token → accepted
    back = ready();
    const current = [...sim.state.connections.values()].find((info) => info.state === "logged-in")?.listener ?? 0;
    await sim.stopListener(current);
    await back; // failover to the other listener
    await sim.startListener(current);
    sim.faults.add({ type: "drop-acks", count: 1 });
    await expect(client.contribute("TRCCTEST02", { BID: 2 })).rejects.toMatchObject({ code: "RCC_ACK_TIMEOUT" });
    await client.contribute("TRCCTEST02", { BID: 3 });
    await client.close();

    const wrong = new Contributor({ ...options, password: WRONG_PASSWORD });
    cleanups.push(() => wrong.close());
    await expect(wrong.connect()).rejects.toMatchObject({ code: "RCC_AUTH_INVALID_CREDENTIALS" });

    // Raw clients: a good login, a malformed Login holding a real token, a bogus token, a revoked token.
    const account = { ...RAW, clientId: RAW.user };
    const first = await passwordGrant(sim.authUrl, account);
    const raw = await connectRaw(sim.wsUrls[0]!);
    raw.send(loginRequest(first.accessToken));
    await raw.next((message) => message.Type === "Refresh");
    raw.send({ ...loginRequest(first.accessToken), Refresh: { not: "a boolean" } });
    const echoed = await raw.next((message) => message.Type === "Error");
    expect(JSON.stringify(echoed)).not.toContain(first.accessToken);
    const second = await passwordGrant(sim.authUrl, account); // revokes the first session
    for (const token of ["bogus-token-of-this-test", first.accessToken]) {
      const refused = await connectRaw(sim.wsUrls[1]!);
      refused.send(loginRequest(token));
      expect(await refused.next((message) => message.Domain === "Login")).toMatchObject({ Type: "Status" });
    }
    const admin = await (await fetch(`${sim.adminUrl}/messages?limit=10000`)).text();

    const secrets = secretsOf(recorder, [first, second]);
    // Every grant the simulator issued went through the recorder or to the raw clients: all secrets are known.
    expect(sim.state.counters.tokensIssued).toBe(recorder.tokens.size / 2 + 2);
    expect(recorder.tokens.size).toBeGreaterThanOrEqual(12);
    expect(capture.lines.length).toBeGreaterThan(50);
    for (const level of [20, 30, 40, 50]) expect(capture.atLevel(level).length, `level ${level}`).toBeGreaterThan(0);
    for (const part of ["simulator", "client"]) {
      expect(capture.lines.some((line) => line.includes(`"part":"${part}"`))).toBe(true);
    }
    expect(capture.leaks(secrets)).toEqual([]);
    // The search itself works: a line holding a token under a key the logger does not redact is caught.
    const canary = new LogCapture();
    canary.logger.info({ note: `prefix-${second.refreshToken}-suffix` }, "canary");
    expect(canary.leaks(secrets)).toHaveLength(1);
    const adminCapture = new LogCapture();
    adminCapture.add(`${admin}\n`);
    expect(adminCapture.leaks(secrets)).toEqual([]);
  }, 60_000);

  it("no line `rcc` prints on stderr at --log-level trace holds a password or a token, and `rcc token` keeps the token off stdout", async () => {
    const capture = new LogCapture();
    const { sim, recorder } = await setUp(capture);
    const files = tempFiles();
    cleanups.push(() => Promise.resolve(files.remove()));
    const csv = files.write("rows.csv", "RIC,BID\nTRCCTEST01,1.5\nNOT.A.RIC,2\nTRCCTEST03,3\n");
    const flags = [
      "--auth-url",
      recorder.url,
      "--url",
      sim.wsUrls[0]!,
      "--url",
      sim.wsUrls[1]!,
      "--user",
      CONTRIBUTOR.user,
    ];
    const trace = ["--log-level", "trace", "--log-format", "json"];
    const good = { env: { RCC_PASSWORD: CONTRIBUTOR.password } };
    const runs = [
      await runCli(["post", ...flags, ...trace, "--ric", "TRCCTEST01", "--field", "BID=1.25"], good),
      await runCli(["contribute", csv, ...flags, ...trace, "--no-progress"], good),
      await runCli(["token", ...flags, ...trace], good),
      await runCli(["post", ...flags, ...trace, "--ric", "TRCCTEST01", "--field", "BID=1"], {
        env: { RCC_PASSWORD: WRONG_PASSWORD },
      }),
    ];
    expect(runs.map((run) => run.code)).toEqual([0, 2, 0, 3]);
    for (const run of runs) capture.add(run.stderr);
    const stdout = new LogCapture();
    for (const run of runs) stdout.add(run.stdout);
    expect(capture.atLevel(10).length + capture.atLevel(20).length).toBeGreaterThan(0);
    expect(recorder.tokens.size).toBeGreaterThanOrEqual(6);
    const secrets = secretsOf(recorder, []);
    expect(capture.leaks(secrets)).toEqual([]);
    expect(stdout.leaks(secrets)).toEqual([]);
  }, 60_000);
});
