/**
 * A one-shot command stuck getting connected says what it waits for within about 2 s, on stderr, and a fast
 * connect says nothing: a token endpoint that takes the connection and never answers (post, token), a TCP
 * listener that never completes the WebSocket handshake (post, demo --url, watch), a WebSocket server that never
 * answers the Login, and a port nobody listens on (every attempt refused at once, retried with backoff).
 */
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { closedPort, muteListener, runCli, simEnv, spawnCli, useSharedSimulator } from "../helpers/cli.js";

const shared = useSharedSimulator();
/** Start-up of node and the CLI before connecting begins, on a loaded 2-core box. */
const START_UP_SLACK_MS = 2_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TCP listener that accepts and never says a word (a hung token endpoint, or a hung WebSocket upgrade). */
async function mute(): Promise<number> {
  const listener = await muteListener();
  cleanups.push(() => listener.close());
  return listener.port;
}

/** A WebSocket server that completes the upgrade and then never answers (no Login Refresh). */
async function silentWebSocketServer(): Promise<string> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "tr_json2" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  cleanups.push(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/WebSocket`;
}

/**
 * Runs `rcc …args` and measures when `note` first shows on stderr, from the spawn.
 * @returns the elapsed milliseconds and the finished run.
 */
async function timeToNote(args: string[], note: RegExp, env: Record<string, string> = {}) {
  const started = performance.now();
  const child = spawnCli(args, { env: { RCC_PASSWORD: "waiting-test-password", ...env } });
  await child.waitFor(note, 10_000);
  const elapsedMs = performance.now() - started;
  const result = await child.exited;
  return { elapsedMs, result };
}

function expectNotedInTime(elapsedMs: number): void {
  expect(elapsedMs).toBeGreaterThanOrEqual(2000);
  expect(elapsedMs).toBeLessThan(2000 + START_UP_SLACK_MS);
}

const USER = ["--user", "GE-A-00000001-1-0001"];

describe("waiting notes of a slow connect", () => {
  it("`rcc post` names the token endpoint that never answers after 2 s, once, then times out with exit 4", async () => {
    const port = await mute();
    const authUrl = `http://127.0.0.1:${port}/auth/oauth2/v1/token`;
    const note = `rcc: waiting for the token endpoint ${authUrl}\n`;
    const args = ["post", "--auth-url", authUrl, "--url", "ws://127.0.0.1:9/WebSocket", ...USER];
    const run = await timeToNote(
      [...args, "--ric", "TRCCTEST01", "--field", "BID=1", "--connect-timeout", "3500"],
      /waiting for the token endpoint/,
    );
    expectNotedInTime(run.elapsedMs);
    expect(run.result.code).toBe(4);
    expect(run.result.stderr.startsWith(note)).toBe(true);
    expect(run.result.stderr.split(note)).toHaveLength(2); // said once
    expect(run.result.stderr).toContain(`rcc: timed out after 3.5 s waiting for the token endpoint ${authUrl}`);
  });

  it("`rcc token` says the same of its token endpoint", async () => {
    const port = await mute();
    const authUrl = `http://127.0.0.1:${port}/auth/oauth2/v1/token`;
    const run = await timeToNote(
      ["token", "--auth-url", authUrl, ...USER, "--connect-timeout", "3000"],
      /rcc: waiting for the token endpoint http:\/\/127\.0\.0\.1:\d+\/auth\/oauth2\/v1\/token\n/,
    );
    expectNotedInTime(run.elapsedMs);
    expect(run.result.code).toBe(4);
  });

  it.each(["post", "demo"])(
    "`rcc %s --url` to a listener that never completes the handshake says it is connecting (attempt 1)",
    async (command) => {
      const { sim } = shared;
      const port = await mute();
      const url = `ws://127.0.0.1:${port}/WebSocket`;
      const extra = command === "post" ? ["--ric", "TRCCTEST01", "--field", "BID=1"] : ["--count", "1"];
      const args = [command, "--auth-url", sim.authUrl, "--url", url, ...USER, ...extra, "--connect-timeout", "3000"];
      const run = await timeToNote(
        args,
        /rcc: connecting to ws:\/\/127\.0\.0\.1:\d+\/WebSocket \(attempt 1\)\n/,
        simEnv(sim),
      );
      expectNotedInTime(run.elapsedMs);
      expect(run.result.code).toBe(4);
      expect(run.result.stderr).toContain(`rcc: connecting to ${url} (attempt 1)\n`);
      expect(run.result.stderr).not.toContain("waiting for the token endpoint"); // the token came at once
    },
  );

  it("`rcc watch` with a user-name Login says it is connecting, and has no token step", async () => {
    const port = await mute();
    const args = ["watch", "TRCCTEST01", "--url", `ws://127.0.0.1:${port}/WebSocket`, "--login-name", "jdoe"];
    const run = await timeToNote(
      [...args, "--connect-timeout", "3000"],
      /rcc: connecting to ws:\/\/127\.0\.0\.1:\d+\/WebSocket \(attempt 1\)/,
    );
    expectNotedInTime(run.elapsedMs);
    expect(run.result.code).toBe(4);
    expect(run.result.stderr).not.toContain("token endpoint");
  });

  it("says it is connected and waiting for the Login Refresh when the server never answers the Login", async () => {
    const { sim } = shared;
    const url = await silentWebSocketServer();
    const args = ["post", "--auth-url", sim.authUrl, "--url", url, ...USER, "--ric", "TRCCTEST01", "--field", "BID=1"];
    const run = await timeToNote(
      [...args, "--connect-timeout", "3000"],
      /rcc: connected to ws:\/\/127\.0\.0\.1:\d+\/WebSocket; waiting for the Login Refresh\n/,
      simEnv(sim),
    );
    expectNotedInTime(run.elapsedMs);
    expect(run.result.code).toBe(4);
  });

  it("within about 2 s says why `rcc demo` retries when every attempt is refused at once", async () => {
    // `rcc post` gives up after 3 quick attempts (under 2 s: no note needed); the demo retries up to 20 times.
    const { sim } = shared;
    const url = `ws://127.0.0.1:${await closedPort()}/WebSocket`;
    const args = ["demo", "--auth-url", sim.authUrl, "--url", url, ...USER, "--count", "1"];
    const run = await timeToNote(
      [...args, "--connect-timeout", "4000"],
      /rcc: (attempt \d+ failed \(.*ECONNREFUSED.*\); retrying in [\d.]+ m?s|connecting to ws:\/\/127\.0\.0\.1:\d+\/WebSocket \(attempt \d+\))\n/,
      simEnv(sim),
    );
    expect(run.elapsedMs).toBeLessThan(2000 + START_UP_SLACK_MS);
    expect(run.result.code).toBe(4);
  });

  it("says nothing when connecting is fast", async () => {
    const { sim } = shared;
    const args = ["post", "--auth-url", sim.authUrl, ...sim.wsUrls.flatMap((url) => ["--url", url]), ...USER];
    const result = await runCli([...args, "--ric", "TRCCTEST01", "--field", "BID=1"], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
  });
});
