/**
 * Peers that take the connection and never answer: a token endpoint that reads the request and stays silent, a
 * TCP listener that never completes the WebSocket handshake, an RCC server that never answers the Login. A
 * one-shot `rcc` command has one deadline for getting connected (`--connect-timeout`): it must end within it
 * (plus the start-up and a clean close), exit 4, and name the step it was waiting for.
 */
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { type CliResult, muteListener, runCli, stopAllCli, tempFiles } from "../../helpers/cli.js";
import { EchoingTokenEndpoint } from "./helpers/echoing-token-endpoint.js";
import { HostileRccServer } from "./helpers/hostile-rcc-server.js";

const USER = "GE-A-00000032-1-0032";
const env = { env: { RCC_PASSWORD: "deadline-test-password" } };
/** Start-up of node and the CLI, and the clean close after the deadline, on a loaded 2-core box. */
const SLACK_MS = 2_500;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stopAllCli();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function silentTokenEndpoint(): Promise<EchoingTokenEndpoint> {
  const endpoint = await EchoingTokenEndpoint.start(() => ({ kind: "silent" }));
  cleanups.push(() => endpoint.close());
  return endpoint;
}

async function issuingTokenEndpoint(): Promise<EchoingTokenEndpoint> {
  const endpoint = await EchoingTokenEndpoint.start(() => ({
    kind: "tokens",
    accessToken: "deadline-access-token-0001",
    refreshToken: "deadline-refresh-token-0001",
    expiresInSec: 600,
  }));
  cleanups.push(() => endpoint.close());
  return endpoint;
}

/** A TCP listener that accepts and never says a word: the WebSocket upgrade never completes. */
async function mute(): Promise<{ url: string; accepted: () => number }> {
  const listener = await muteListener();
  cleanups.push(() => listener.close());
  return { url: `ws://127.0.0.1:${listener.port}/WebSocket`, accepted: () => listener.accepted() };
}

async function timed(run: Promise<CliResult>): Promise<CliResult & { elapsedMs: number }> {
  const started = performance.now();
  const result = await run;
  return { ...result, elapsedMs: performance.now() - started };
}

describe("one deadline for getting connected", () => {
  it("`rcc post` against a token endpoint that never answers ends at --connect-timeout, naming the token endpoint", async () => {
    const auth = await silentTokenEndpoint();
    const ws = await mute();
    const args = ["--auth-url", auth.url, "--url", ws.url, "--user", USER, "--ric", "TRCCTEST01", "--field", "BID=1"];
    const run = await timed(runCli(["post", ...args, "--connect-timeout", "2000"], env));
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`rcc: timed out after 2 s waiting for the token endpoint ${auth.url} — `);
    expect(run.stderr).toContain("raise --connect-timeout");
    expect(auth.received).toHaveLength(1);
    expect(ws.accepted()).toBe(0);
    expect(run.elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(run.elapsedMs).toBeLessThan(2000 + SLACK_MS);
  });

  it("`rcc token` takes the deadline from RCC_CONNECT_TIMEOUT, and a bad value is a usage error", async () => {
    const auth = await silentTokenEndpoint();
    const args = ["token", "--auth-url", auth.url, "--user", USER];
    const [run, bad] = await Promise.all([
      timed(runCli(args, { env: { ...env.env, RCC_CONNECT_TIMEOUT: "1500" } })),
      runCli(args, { env: { ...env.env, RCC_CONNECT_TIMEOUT: "2s" } }),
    ]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`timed out after 1.5 s waiting for the token endpoint ${auth.url}`);
    expect(run.elapsedMs).toBeLessThan(1500 + SLACK_MS);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--connect-timeout must be a positive whole number of milliseconds, got '2s'");
  });

  it("a WebSocket endpoint that accepts TCP and never completes the handshake is named as the handshake", async () => {
    const auth = await issuingTokenEndpoint();
    const ws = await mute();
    const args = ["--auth-url", auth.url, "--url", ws.url, "--user", USER, "--ric", "TRCCTEST01", "--field", "BID=1"];
    const run = await timed(runCli(["post", ...args, "--connect-timeout", "1500"], env));
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`timed out after 1.5 s waiting for the WebSocket handshake with ${ws.url}`);
    expect(ws.accepted()).toBe(1);
    expect(run.elapsedMs).toBeLessThan(1500 + SLACK_MS);
  });

  it("`rcc watch` against a WebSocket endpoint that never completes the handshake ends at the deadline, not later", async () => {
    const auth = await issuingTokenEndpoint();
    const ws = await mute();
    const args = ["watch", "TRCCTEST01", "--auth-url", auth.url, "--url", ws.url, "--user", USER];
    const run = await timed(runCli([...args, "--connect-timeout", "1500"], env));
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`timed out after 1.5 s waiting for the WebSocket handshake with ${ws.url}`);
    expect(run.elapsedMs).toBeLessThan(1500 + SLACK_MS);
  });

  it("an RCC server that never answers the Login is named as the Login step, for post, contribute and demo", async () => {
    const auth = await issuingTokenEndpoint();
    const ws = await HostileRccServer.start({ onLogin: "silent" });
    cleanups.push(() => ws.close());
    const files = tempFiles();
    cleanups.push(() => files.remove());
    const csv = files.write("rows.csv", "RIC,BID\nTRCCTEST01,1.5\n");
    const flags = ["--auth-url", auth.url, "--url", ws.url, "--user", USER, "--connect-timeout", "1500"];
    const runs = await Promise.all([
      timed(runCli(["post", ...flags, "--ric", "TRCCTEST01", "--field", "BID=1"], env)),
      timed(runCli(["contribute", csv, ...flags, "--no-progress"], env)),
      timed(runCli(["demo", ...flags, "--count", "1"], env)),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(4);
      expect(run.stderr).toContain(`timed out after 1.5 s waiting for the Login Refresh from ${ws.url}`);
      expect(run.elapsedMs).toBeLessThan(1500 + SLACK_MS);
    }
    const logins = ws.received.filter((entry) => entry.message.Domain === "Login");
    // One Login each, never answered, and each closed cleanly with a Login Close.
    expect(logins.filter((entry) => entry.message.Type !== "Close")).toHaveLength(3);
    expect(logins.filter((entry) => entry.message.Type === "Close")).toHaveLength(3);
    expect(runs[1].stdout).toBe(""); // no summary of rows never sent
  });

  it("`rcc watch` against a token endpoint that never answers ends at the deadline too", async () => {
    const auth = await silentTokenEndpoint();
    const ws = await mute();
    const run = await timed(
      runCli(
        ["watch", "TRCCTEST01", "--auth-url", auth.url, "--url", ws.url, "--user", USER, "--connect-timeout", "1500"],
        env,
      ),
    );
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`timed out after 1.5 s waiting for the token endpoint ${auth.url}`);
    expect(run.elapsedMs).toBeLessThan(1500 + SLACK_MS);
  });
});
