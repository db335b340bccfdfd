/**
 * Untrusted TLS certificates as typed, non-retriable errors: recognising the TLS codes in a cause
 * chain, and the token manager neither retrying a first grant refused for its certificate nor giving up its
 * refresh schedule over one once the endpoint had served a token. Scripted fetch, ManualClock.
 */
import { describe, expect, test } from "vitest";
import {
  CERTIFICATE_ERROR_CODE,
  CERTIFICATE_FAILURE_CODES,
  CertificateError,
  certificateErrorFor,
  certificateFailureCode,
} from "../../src/client/errors.js";
import { TokenManager } from "../../src/client/auth/token-manager.js";
import { ManualClock } from "../../src/util/clock.js";

const AUTH_URL = "https://user:pw@auth.test:8443/auth/oauth2/v1/token?x=1";
const CREDENTIALS = { user: "GE-A-00000009-1-0009", password: "pw-not-logged-9", clientId: "APPKEY-9" };

/** What undici's fetch rejects with when the TLS handshake refuses the server's certificate. */
function fetchFailed(code: string): TypeError {
  const tlsError = Object.assign(new Error(`certificate problem ${code}`), { code });
  return new TypeError("fetch failed", { cause: tlsError });
}

function tokenBody(accessToken: string): Response {
  return Response.json({ access_token: accessToken, refresh_token: `rt-${accessToken}`, expires_in: "600" });
}

/** A fetch that answers with `answers` in turn (a Response, or an error to reject with), counting calls. */
function scriptedFetch(answers: (() => Response | Error)[]): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const scripted = (() => {
    const answer = answers[Math.min(calls, answers.length - 1)]!();
    calls += 1;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }) as typeof fetch;
  return { fetch: scripted, calls: () => calls };
}

describe("recognising certificate failures", () => {
  test("finds every TLS verification code in the error or its causes, and nothing in other failures", () => {
    for (const code of CERTIFICATE_FAILURE_CODES) expect(certificateFailureCode(fetchFailed(code))).toBe(code);
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(certificateFailureCode(new TypeError("fetch failed", { cause: refused }))).toBeUndefined();
    expect(certificateFailureCode("DEPTH_ZERO_SELF_SIGNED_CERT")).toBeUndefined();
    expect(certificateErrorFor(AUTH_URL, refused)).toBeUndefined();
  });

  test("builds a non-retriable CertificateError naming only the server's origin and keeping the cause", () => {
    const failure = fetchFailed("CERT_HAS_EXPIRED");
    const error = certificateErrorFor(AUTH_URL, failure);
    expect(error).toBeInstanceOf(CertificateError);
    expect(error).toMatchObject({
      code: CERTIFICATE_ERROR_CODE,
      certificateCode: "CERT_HAS_EXPIRED",
      retriable: false,
    });
    expect(error?.cause).toBe(failure);
    expect(error?.message).toBe(
      "the TLS certificate of https://auth.test:8443 is not trusted (CERT_HAS_EXPIRED: certificate problem CERT_HAS_EXPIRED); trust the CA that signed it (tls.ca) or check the URL",
    );
    // Wrapping it again (a session seeing the token manager's error) keeps it as it is.
    expect(certificateErrorFor("wss://other.test/WebSocket", error)).toBe(error);
  });
});

describe("the token manager and untrusted certificates", () => {
  test("a first grant refused for its certificate rejects at once with a CertificateError, one request only", async () => {
    const script = scriptedFetch([() => fetchFailed("SELF_SIGNED_CERT_IN_CHAIN")]);
    const manager = new TokenManager({
      ...CREDENTIALS,
      authUrl: AUTH_URL.replace("user:pw@", ""),
      fetch: script.fetch,
      retry: { initialDelayMs: 1, maxAttempts: 5 },
    });
    const error = await manager.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CertificateError);
    expect(error).toMatchObject({ certificateCode: "SELF_SIGNED_CERT_IN_CHAIN" });
    expect(script.calls()).toBe(1);
    expect(manager.stats).toEqual({ passwordGrants: 0, refreshGrants: 0, failures: 1 });
  });

  test("the schedule's first token refused for its certificate is reported through onError", async () => {
    const clock = new ManualClock();
    const script = scriptedFetch([() => fetchFailed("DEPTH_ZERO_SELF_SIGNED_CERT")]);
    const manager = new TokenManager({
      ...CREDENTIALS,
      authUrl: "https://auth.test/token",
      fetch: script.fetch,
      clock,
    });
    const errors: Error[] = [];
    manager.onError((error) => errors.push(error));
    manager.start();
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toBeInstanceOf(CertificateError);
    manager.stop();
  });

  test("once a token was obtained, a refresh refused for its certificate is retried by the schedule", async () => {
    const clock = new ManualClock();
    const script = scriptedFetch([
      () => tokenBody("at-1"),
      () => fetchFailed("CERT_HAS_EXPIRED"),
      () => tokenBody("at-2"),
    ]);
    const manager = new TokenManager({
      ...CREDENTIALS,
      authUrl: "https://auth.test/token",
      fetch: script.fetch,
      clock,
      retry: { initialDelayMs: 1, maxDelayMs: 2_000 },
    });
    const errors: Error[] = [];
    const announced: string[] = [];
    manager.onError((error) => errors.push(error));
    manager.onToken((token) => announced.push(token.accessToken));
    manager.start();
    await expect.poll(() => manager.stats.passwordGrants).toBe(1);
    clock.advance(480_000); // 80 % of 600 s: the proactive refresh, refused for its certificate
    await expect.poll(() => manager.stats.failures).toBe(1);
    expect(script.calls()).toBe(2);
    clock.advance(2_000); // the schedule's retry
    await expect.poll(() => announced).toEqual(["at-2"]);
    expect(errors).toHaveLength(0);
    manager.stop();
  });
});
