/**
 * The token manager's wire layer (docs/protocol.md §1.2–§1.6) against a scripted fetch: grant forms and
 * headers, status classification, `expires_in` parsing, manual redirects and timeouts on a ManualClock.
 */
import { describe, expect, test } from "vitest";
import { AUTH_ERROR_CODES, AuthError } from "../../src/client/errors.js";
import { classifyTokenStatus } from "../../src/client/auth/token-status.js";
import {
  TokenTransportError,
  parseExpiresIn,
  parseOAuthError,
  parseTokenBody,
  passwordGrantForm,
  postTokenForm,
  refreshGrantForm,
  tokenRequestHeaders,
} from "../../src/client/auth/token-http.js";
import { TokenManager } from "../../src/client/auth/token-manager.js";
import { ManualClock } from "../../src/util/clock.js";

const CREDENTIALS = {
  user: "GE-A-00000009-1-0009",
  password: "pw-not-logged-9",
  clientId: "APPKEY-9",
  clientSecret: undefined,
  takeExclusiveSignOnControl: true,
  scope: undefined,
};

interface Call {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** A fetch that answers from a script keyed by URL and records each call. */
function scriptedFetch(answers: Record<string, () => Response>, calls: Call[]): typeof fetch {
  // The manager always passes a string URL, a string body and a plain header object.
  return ((input: string, init?: RequestInit) => {
    const url = input;
    calls.push({ url, body: init?.body as string, headers: init?.headers as Record<string, string> });
    const answer = answers[url];
    if (answer === undefined) return Promise.reject(new TypeError(`fetch failed: no route to ${url}`));
    return Promise.resolve(answer());
  }) as typeof fetch;
}

function tokens(accessToken = "at-1", expiresIn: unknown = "600"): Response {
  return Response.json({ access_token: accessToken, refresh_token: `rt-${accessToken}`, expires_in: expiresIn });
}

function redirect(status: number, location: string): Response {
  return new Response(null, { status, headers: { Location: location } });
}

function transport(fetchImpl: typeof fetch, clock = new ManualClock()) {
  return { fetch: fetchImpl, dispatcher: undefined, clock, requestTimeoutMs: 1_000, maxRedirects: 2 };
}

describe("grant forms and headers", () => {
  test("§1.3: the password form carries the five fields, scope and secret only when set", () => {
    const form = passwordGrantForm(CREDENTIALS);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "password",
      username: CREDENTIALS.user,
      password: CREDENTIALS.password,
      client_id: CREDENTIALS.clientId,
      takeExclusiveSignOnControl: "true",
    });
    const full = passwordGrantForm({
      ...CREDENTIALS,
      scope: "trapi",
      clientSecret: "sh",
      takeExclusiveSignOnControl: false,
    });
    expect(full.get("scope")).toBe("trapi");
    expect(full.get("client_secret")).toBe("sh");
    expect(full.get("takeExclusiveSignOnControl")).toBe("false");
  });

  test("§1.4: the refresh form has no scope and no takeExclusiveSignOnControl", () => {
    const form = refreshGrantForm({ ...CREDENTIALS, scope: "trapi" }, "rt-old");
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "refresh_token",
      username: CREDENTIALS.user,
      refresh_token: "rt-old",
      client_id: CREDENTIALS.clientId,
    });
  });

  test("§1.2: Basic is base64 of client id and colon, plus the secret when there is one", () => {
    const headers = tokenRequestHeaders("APPKEY-9", undefined);
    expect(headers.Accept).toBe("application/json");
    expect(headers["Content-Type"]).toBe("application/x-www-form-urlencoded");
    expect(Buffer.from(headers.Authorization!.replace("Basic ", ""), "base64").toString()).toBe("APPKEY-9:");
    const withSecret = tokenRequestHeaders("APPKEY-9", "s3");
    expect(Buffer.from(withSecret.Authorization!.replace("Basic ", ""), "base64").toString()).toBe("APPKEY-9:s3");
  });
});

describe("answers", () => {
  test("§1.6: statuses map to success, redirect, refused, forbidden or transient", () => {
    const classes = [200, 301, 302, 303, 307, 308, 400, 401, 403, 404, 410, 451, 429, 500, 503, 418].map(
      classifyTokenStatus,
    );
    expect(classes).toEqual([
      "success",
      "redirect",
      "redirect",
      "transient",
      "redirect",
      "redirect",
      "refused",
      "refused",
      "forbidden",
      "forbidden",
      "forbidden",
      "forbidden",
      "transient",
      "transient",
      "transient",
      "transient",
    ]);
  });

  test("§1.5: expires_in is read from a string or a number and must be a positive integer", () => {
    expect(["600", 300, " 42 "].map(parseExpiresIn)).toEqual([600, 300, 42]);
    expect(
      ["0", 0, -5, "-5", 1.5, "1.5", "abc", "", null, undefined, Number.NaN, Infinity, "1e3"].map(parseExpiresIn),
    ).toEqual(Array(13).fill(undefined));
  });

  test("a token body with an invalid expires_in is a typed error that does not echo the tokens", () => {
    const attempt = () => parseTokenBody({ access_token: "secret-at", refresh_token: "secret-rt", expires_in: "soon" });
    expect(attempt).toThrow(AuthError);
    try {
      attempt();
    } catch (error) {
      expect((error as AuthError).code).toBe(AUTH_ERROR_CODES.invalidResponse);
      expect((error as Error).message).not.toMatch(/secret-/);
    }
    expect(() => parseTokenBody({ refresh_token: "x", expires_in: "600" })).toThrow(/access_token/);
    expect(() => parseTokenBody("<html>")).toThrow(/access_token/);
  });

  test("OAuth2 error bodies are read and secret-looking text is masked", () => {
    expect(parseOAuthError({ error: "invalid_grant", error_description: "bad password=hunter2" })).toEqual({
      error: "invalid_grant",
      description: "bad password=[redacted]",
    });
    expect(parseOAuthError("oops")).toEqual({});
  });
});

describe("postTokenForm", () => {
  test("§1.2: re-POSTs the same body to Location and reports the target of a 308", async () => {
    const calls: Call[] = [];
    const fetchImpl = scriptedFetch(
      {
        "https://a.test/token": () => redirect(308, "https://b.test/token"),
        "https://b.test/token": () => redirect(302, "/elsewhere"),
        "https://b.test/elsewhere": () => tokens(),
      },
      calls,
    );
    const form = passwordGrantForm(CREDENTIALS);
    const answer = await postTokenForm(
      "https://a.test/token",
      form,
      {},
      transport(fetchImpl),
      new AbortController().signal,
    );
    expect(answer.status).toBe(200);
    expect(answer.movedTo).toBe("https://b.test/token");
    expect(calls.map((call) => call.url)).toEqual([
      "https://a.test/token",
      "https://b.test/token",
      "https://b.test/elsewhere",
    ]);
    expect(new Set(calls.map((call) => call.body))).toEqual(new Set([form.toString()]));
  });

  test("stops after maxRedirects hops with a typed error", async () => {
    const fetchImpl = scriptedFetch({ "https://a.test/token": () => redirect(307, "https://a.test/token") }, []);
    const promise = postTokenForm(
      "https://a.test/token",
      new URLSearchParams(),
      {},
      transport(fetchImpl),
      new AbortController().signal,
    );
    await expect(promise).rejects.toMatchObject({ code: AUTH_ERROR_CODES.redirect, status: 307 });
  });

  test("refuses to follow a redirect from https to http, which would send the password in clear", async () => {
    const calls: Call[] = [];
    const fetchImpl = scriptedFetch({ "https://a.test/token": () => redirect(307, "http://a.test/token") }, calls);
    const promise = postTokenForm(
      "https://a.test/token",
      new URLSearchParams(),
      {},
      transport(fetchImpl),
      new AbortController().signal,
    );
    await expect(promise).rejects.toMatchObject({ code: AUTH_ERROR_CODES.redirect });
    expect(calls).toHaveLength(1);
  });

  test("a request that gets no answer within requestTimeoutMs fails as a timed-out transport error", async () => {
    const clock = new ManualClock();
    const hanging = ((_input: string, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      })) as typeof fetch;
    const promise = postTokenForm(
      "https://a.test/token",
      new URLSearchParams(),
      {},
      transport(hanging, clock),
      new AbortController().signal,
    );
    clock.advance(1_000);
    const error = await promise.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenTransportError);
    expect((error as TokenTransportError).timedOut).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("TokenManager over a scripted fetch", () => {
  test("§1.2: remembers the target of a 301 for the following requests", async () => {
    const calls: Call[] = [];
    let issued = 0;
    const fetchImpl = scriptedFetch(
      {
        "https://old.test/token": () => redirect(301, "https://new.test/token"),
        "https://new.test/token": () => tokens(`at-${++issued}`, 600),
      },
      calls,
    );
    const manager = new TokenManager({ ...CREDENTIALS, authUrl: "https://old.test/token", fetch: fetchImpl });
    await manager.getToken();
    const second = await manager.getToken({ minValidityMs: 3_600_000 });
    expect(second.accessToken).toBe("at-2");
    expect(manager.authUrl).toBe("https://new.test/token");
    expect(calls.map((call) => call.url)).toEqual([
      "https://old.test/token",
      "https://new.test/token",
      "https://new.test/token",
    ]);
    expect(new URLSearchParams(calls[2]!.body).get("refresh_token")).toBe("rt-at-1");
  });

  test("a 200 with a non-integer expires_in rejects with RCC_AUTH_INVALID_RESPONSE and is not retried", async () => {
    const calls: Call[] = [];
    const fetchImpl = scriptedFetch({ "https://a.test/token": () => tokens("at-1", "6e2") }, calls);
    const manager = new TokenManager({ ...CREDENTIALS, authUrl: "https://a.test/token", fetch: fetchImpl });
    await expect(manager.getToken()).rejects.toMatchObject({
      code: AUTH_ERROR_CODES.invalidResponse,
      retriable: false,
    });
    expect(calls).toHaveLength(1);
    expect(manager.stats).toEqual({ passwordGrants: 0, refreshGrants: 0, failures: 1 });
  });

  test("invalid options are refused without echoing the password", () => {
    expect(() => new TokenManager({ ...CREDENTIALS, authUrl: "ftp://a.test/token" })).toThrow(/authUrl/);
    expect(() => new TokenManager({ ...CREDENTIALS, authUrl: "https://a.test/token", refreshRatio: 2 })).toThrow(
      /refreshRatio/,
    );
    expect(() => new TokenManager({ ...CREDENTIALS, authUrl: "https://a.test/token", retry: { factor: 0 } })).toThrow(
      /retry/,
    );
    try {
      new TokenManager({ ...CREDENTIALS, authUrl: "nope" });
    } catch (error) {
      expect((error as Error).message).not.toContain(CREDENTIALS.password);
    }
  });
});
