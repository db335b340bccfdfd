/**
 * Token endpoint: injected failures, redirects, slow answers, short lifetimes, gzip bodies and the response
 * headers of the real gateway (docs/protocol.md §1.1, §1.2, §1.6; simulator checklist item 8).
 */
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, test } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { passwordGrant, rawRequest, requestToken } from "../helpers/auth.js";

const ALICE = { user: "GE-A-00000001-1-0001", password: "alice-Password-1", clientId: "GE-A-00000001-1-0001" };
const FORM_HEADERS = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(): Promise<RunningSimulator> {
  sim = await startSimulator({ accounts: [ALICE] });
  return sim;
}

function passwordBody(): string {
  return new URLSearchParams({
    grant_type: "password",
    username: ALICE.user,
    password: ALICE.password,
    client_id: ALICE.clientId,
  }).toString();
}

function passwordForm(): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(passwordBody()));
}

describe("injected token failures", () => {
  test("§4 item 8: token-errors answers 503 with OAuth2 JSON for `count` requests, then tokens again", async () => {
    const running = await start();
    running.faults.add({ type: "token-errors", count: 2 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const failed = await requestToken(running.authUrl, passwordForm());
      expect(failed.status).toBe(503);
      expect(failed.headers.get("content-type")).toBe("application/json");
      expect(failed.body).toEqual({ error: "temporarily_unavailable", error_description: expect.any(String) });
    }
    expect((await requestToken(running.authUrl, passwordForm())).status).toBe(200);
    expect(running.state.counters.tokenErrors).toBe(2);
    expect(running.state.counters.tokensIssued).toBe(1);
  });

  test("§4 item 8: token-errors with status 429 sends Retry-After: 1", async () => {
    const running = await start();
    running.faults.add({ type: "token-errors", status: 429, count: 1 });
    const failed = await requestToken(running.authUrl, passwordForm());
    expect(failed.status).toBe(429);
    expect(failed.headers.get("retry-after")).toBe("1");
    expect(failed.body.error).toBe("too_many_requests");
  });

  test.each([
    [403, "access_denied"],
    [404, "not_found"],
    [410, "gone"],
    [451, "unavailable_for_legal_reasons"],
    [500, "server_error"],
    [502, "temporarily_unavailable"],
  ])("§4 item 8: token-errors with status %i answers that status with error %s", async (status, error) => {
    const running = await start();
    running.faults.add({ type: "token-errors", status, count: 1 });
    const failed = await requestToken(running.authUrl, passwordForm());
    expect(failed.status).toBe(status);
    expect(failed.body).toEqual({ error, error_description: expect.any(String) });
  });

  test("§4 item 8: token-redirect answers 307 to the same absolute URL and a client that re-POSTs there succeeds", async () => {
    const running = await start();
    running.faults.add({ type: "token-redirect", count: 1 });
    const redirected = await requestToken(running.authUrl, passwordForm());
    expect(redirected.status).toBe(307);
    const location = redirected.headers.get("location");
    expect(location).toBe(running.authUrl);
    const followed = await requestToken(location!, passwordForm());
    expect(followed.status).toBe(200);
    expect(followed.body.token_type).toBe("Bearer");
  });

  test.each([301, 302, 308])(
    "§4 item 8: token-redirect with status %i answers that status with a Location",
    async (status) => {
      const running = await start();
      running.faults.add({ type: "token-redirect", status, count: 1 });
      const redirected = await requestToken(running.authUrl, passwordForm());
      expect(redirected.status).toBe(status);
      expect(redirected.headers.get("location")).toBe(running.authUrl);
    },
  );

  test("§4 item 8: token-delay holds the answer for the configured time", async () => {
    const running = await start();
    running.faults.add({ type: "token-delay", ms: 150, count: 1 });
    const startedAt = performance.now();
    const delayed = await requestToken(running.authUrl, passwordForm());
    expect(delayed.status).toBe(200);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
  });

  test("§4 item 8: token-expires-in issues the injected lifetime once, then the configured one", async () => {
    const running = await start();
    running.faults.add({ type: "token-expires-in", seconds: 30, count: 1 });
    const refused = await requestToken(running.authUrl, { ...passwordForm(), password: "wrong-password" });
    expect(refused.status).toBe(400);
    expect((await passwordGrant(running.authUrl, ALICE)).expiresIn).toBe("30");
    expect((await passwordGrant(running.authUrl, ALICE)).expiresIn).toBe("600");
  });
});

describe("gateway response headers and encoding", () => {
  test("§4 item 8: gzips the JSON body when the request accepts gzip, as the real gateway does", async () => {
    const { authUrl } = await start();
    const response = await rawRequest(authUrl, {
      headers: { ...FORM_HEADERS, "Accept-Encoding": "gzip, deflate" },
      body: passwordBody(),
    });
    expect(response.status).toBe(200);
    expect(response.headers["content-encoding"]).toBe("gzip");
    expect(response.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(gunzipSync(response.body).toString("utf8"));
    expect(body.expires_in).toBe("600");
  });

  test("§4 item 8: gzips error bodies too", async () => {
    const { authUrl } = await start();
    const response = await rawRequest(authUrl, {
      headers: { ...FORM_HEADERS, "Accept-Encoding": "gzip" },
      body: `grant_type=password&client_id=${ALICE.clientId}`,
    });
    expect(response.status).toBe(400);
    expect(response.headers["content-encoding"]).toBe("gzip");
    expect(JSON.parse(gunzipSync(response.body).toString("utf8")).error).toBe("invalid_request");
  });

  test.each([
    ["no Accept-Encoding", undefined],
    ["identity only", "identity"],
    ["gzip refused with q=0", "gzip;q=0, identity"],
  ])("§4 item 8: sends plain JSON when the request has %s", async (_case, acceptEncoding) => {
    const { authUrl } = await start();
    const headers: Record<string, string> = { ...FORM_HEADERS };
    if (acceptEncoding !== undefined) headers["Accept-Encoding"] = acceptEncoding;
    const response = await rawRequest(authUrl, { headers, body: passwordBody() });
    expect(response.status).toBe(200);
    expect(response.headers["content-encoding"]).toBeUndefined();
    expect(JSON.parse(response.body.toString("utf8")).token_type).toBe("Bearer");
  });

  test("§4 item 8: every answer carries a fresh X-Tr-Requestid uuid and X-Served-By", async () => {
    const { authUrl } = await start();
    const ok = await requestToken(authUrl, passwordForm());
    const refused = await requestToken(authUrl, {}, { method: "GET" });
    for (const response of [ok, refused]) {
      expect(response.headers.get("x-tr-requestid")).toMatch(UUID);
      expect(response.headers.get("x-served-by")).toMatch(/^region=sim; cid=\d+$/);
      expect(response.headers.get("cache-control")).toBe("no-store");
    }
    expect(ok.headers.get("x-tr-requestid")).not.toBe(refused.headers.get("x-tr-requestid"));
  });
});
