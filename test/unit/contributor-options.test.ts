/**
 * Validation of the client's options (src/client/options.ts, token-options.ts on option-checks.ts): defaults
 * applied, every bad key named with what it must be, values never echoed, unknown keys dropped.
 */
import { describe, expect, it } from "vitest";
import { Consumer } from "../../src/client/consumer/consumer.js";
import { InvalidOptionsError, RccError } from "../../src/client/errors.js";
import { resolvePipelineOptions } from "../../src/client/posting/pipeline-options.js";
import { resolveSessionOptions } from "../../src/client/connection/session-options.js";
import { resolveTokenOptions } from "../../src/client/auth/token-options.js";

const URLS = ["ws://127.0.0.1:1/WebSocket"];

function problemOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RccError);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as RccError).code).toBe("RCC_INVALID_OPTIONS");
    return (error as Error).message;
  }
  throw new Error("expected RCC_INVALID_OPTIONS");
}

describe("session options", () => {
  it("applies every documented default and keeps the URLs", () => {
    const resolved = resolveSessionOptions({ urls: URLS });
    expect(resolved).toMatchObject({
      urls: URLS,
      applicationId: "256",
      loginTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      pingIntervalMs: 20_000,
      missedPings: 3,
      defaultMaxMessagesPerSecond: 1000,
      safetyFactor: 1,
      rateWindowMarginMs: 20,
      rateBurstMs: 50,
      stableAfterMs: 30_000,
      tokenMinValidityMs: 60_000,
      tls: {},
    });
    expect(resolved.position).toBeUndefined();
    expect(resolved.proxy).toBeUndefined();
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it("names every bad key at once, with what it must be", () => {
    const message = problemOf(() =>
      resolveSessionOptions({
        urls: ["http://127.0.0.1/WebSocket"],
        applicationId: "abc",
        missedPings: 0,
        safetyFactor: 0,
        loginTimeoutMs: 1.5,
        proxy: "not a url",
        tls: { ca: 5 as never, rejectUnauthorized: "no" as never },
      }),
    );
    expect(message).toBe(
      "invalid session options: urls: item 0 must be ws:// or wss://; applicationId: must be a numeric string; " +
        "loginTimeoutMs: must be a whole number; missedPings: must be at least 1; safetyFactor: must be greater than 0; " +
        "proxy: must be an http(s) URL or false; tls: ca: must be a PEM string, a Buffer or an array of them, " +
        "rejectUnauthorized: must be true or false",
    );
  });

  it("requires at least one URL, and accepts proxy false, a proxy URL and PEM arrays", () => {
    expect(problemOf(() => resolveSessionOptions({ urls: [] }))).toMatch(/urls: must have at least 1 item/);
    expect(problemOf(() => resolveSessionOptions({} as never))).toMatch(/urls: is required/);
    const resolved = resolveSessionOptions({
      urls: URLS,
      proxy: false,
      tls: { ca: ["-----BEGIN CERTIFICATE-----", Buffer.from("x")] },
    });
    expect(resolved.proxy).toBe(false);
    expect(resolveSessionOptions({ urls: URLS, proxy: "http://127.0.0.1:3128" }).proxy).toBe("http://127.0.0.1:3128");
  });
});

describe("pipeline options", () => {
  it("applies the defaults and drops keys it does not know", () => {
    const resolved = resolvePipelineOptions({ unknownKey: 1 } as never);
    expect(resolved).toEqual({
      service: "DDS_TRCE",
      ackTimeoutMs: 15_000,
      ackTimeoutFrom: "accepted",
      maxInFlight: 1000,
      maxQueued: 10_000,
      maxFrameBytes: 61_440,
      resendInFlight: true,
      conflate: false,
      drainTimeoutMs: 5_000,
      postMode: "off-stream",
      postUserInfo: undefined,
    });
  });

  it("takes a service name or id, and checks the post mode and PostUserInfo", () => {
    expect(resolvePipelineOptions({ service: 257 }).service).toBe(257);
    expect(problemOf(() => resolvePipelineOptions({ service: 70_000 }))).toMatch(
      /service: must be a service name or a number 0–65535/,
    );
    expect(problemOf(() => resolvePipelineOptions({ postMode: "sideways" as never }))).toMatch(
      /postMode: must be one of "off-stream", "on-stream"/,
    );
    expect(problemOf(() => resolvePipelineOptions({ postUserInfo: { address: "10.0.0", userId: -1 } }))).toMatch(
      /postUserInfo: address: must be a dotted IPv4, userId: must be at least 0/,
    );
  });
});

describe("token manager options", () => {
  const good = { authUrl: "http://127.0.0.1:1/t", user: "u", password: "s3cret-password", clientId: "c" };

  it("applies defaults and never echoes a value in its errors", () => {
    const resolved = resolveTokenOptions(good);
    expect(resolved).toMatchObject({
      takeExclusiveSignOnControl: true,
      refreshRatio: 0.8,
      refreshMarginMs: 60_000,
      maxRedirects: 5,
      requestTimeoutMs: 15_000,
    });
    const message = problemOf(() =>
      resolveTokenOptions({ ...good, authUrl: "ftp://s3cret-password@host/", password: "", refreshRatio: 1 }),
    );
    expect(message).toBe(
      "invalid token manager options: authUrl: must be an http:// or https:// URL; password: must not be empty; " +
        "refreshRatio: must be at most 0.95",
    );
    expect(message).not.toContain("s3cret");
  });
});

describe("consumer options", () => {
  it("names each bad key with an InvalidOptionsError, before any connection is made", () => {
    const message = problemOf(
      () =>
        new Consumer({
          urls: URLS,
          login: { kind: "name", name: "watcher" },
          service: "",
          view: ["BID", 7 as unknown as string],
        }),
    );
    expect(message).toMatch(/^invalid consumer options: service: .*; view/);
  });
});
