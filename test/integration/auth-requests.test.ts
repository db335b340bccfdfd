/**
 * Token endpoint: request shape, content types, methods, malformed bodies and client identification
 * (docs/protocol.md §1.1, §1.2, §1.6; simulator checklist items 1 and 2), over real HTTP.
 */
import { once } from "node:events";
import { connect } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { rawRequest, requestToken } from "../helpers/auth.js";

const ALICE = { user: "GE-A-00000001-1-0001", password: "alice-Password-1", clientId: "GE-A-00000001-1-0001" };
const BOB = { user: "GE-A-00000002-1-0002", password: "bob-Password-2", clientId: "APPKEY-BOB" };

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(): Promise<RunningSimulator> {
  sim = await startSimulator({ accounts: [ALICE, BOB] });
  return sim;
}

/** The tutorial's password form (§1.3), with the Python bool encoding `True`. */
function tutorialForm(account = ALICE): Record<string, string> {
  return {
    grant_type: "password",
    username: account.user,
    password: account.password,
    client_id: account.clientId,
    takeExclusiveSignOnControl: "True",
  };
}

function expectOAuthError(response: { status: number; headers: Headers; body: any }, status: number, error: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(Object.keys(response.body).sort()).toEqual(["error", "error_description"]);
  expect(response.body.error).toBe(error);
  expect(typeof response.body.error_description).toBe("string");
  expect(response.body.error_description).not.toMatch(/\n\s+at /);
}

describe("token endpoint requests", () => {
  test("§4 item 1: accepts the Python tutorial's request (Basic header with empty secret, client_id in the body, takeExclusiveSignOnControl=True)", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, tutorialForm(), { basicClientId: ALICE.clientId, basicSecret: "" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(Object.keys(response.body).sort()).toEqual([
      "access_token",
      "expires_in",
      "refresh_token",
      "scope",
      "token_type",
    ]);
    expect(response.body.expires_in).toBe("600");
    expect(response.body.token_type).toBe("Bearer");
    expect(response.body.scope).toBe("");
  });

  test("§4 item 1: accepts RTSDK's request with the client id only in the body and no Authorization header", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, { ...tutorialForm(), takeExclusiveSignOnControl: "true" });
    expect(response.status).toBe(200);
    expect(response.body.access_token).toEqual(expect.any(String));
  });

  test("§4 item 1: accepts a charset parameter on the form content type", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, tutorialForm(), {
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" },
    });
    expect(response.status).toBe(200);
  });

  test.each([
    ["application/json", JSON.stringify({ grant_type: "password" })],
    ["text/plain", "grant_type=password"],
    ["multipart/form-data; boundary=x", "--x--"],
  ])("§4 item 1: refuses a %s body with 400 invalid_request", async (contentType, body) => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, {}, { headers: { "Content-Type": contentType }, rawBody: body });
    expectOAuthError(response, 400, "invalid_request");
    expect(response.body.error_description).toContain("application/x-www-form-urlencoded");
  });

  test("§4 item 1: refuses a body without any Content-Type with 400 invalid_request", async () => {
    const { authUrl } = await start();
    const response = await rawRequest(authUrl, { body: "grant_type=password", headers: {} });
    expect(response.status).toBe(400);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(response.body.toString("utf8")).error).toBe("invalid_request");
  });

  test.each(["GET", "PUT", "DELETE", "PATCH"])(
    "§4 item 1: answers %s with 405, Allow: POST and an OAuth2 JSON body",
    async (method) => {
      const { authUrl } = await start();
      const response = await requestToken(authUrl, tutorialForm(), { method });
      expectOAuthError(response, 405, "invalid_request");
      expect(response.headers.get("allow")).toBe("POST");
    },
  );

  test("§4 item 1: answers a path below the token endpoint with 404 JSON, not HTML", async () => {
    const { authUrl } = await start();
    const response = await requestToken(`${authUrl}/extra`, tutorialForm());
    expectOAuthError(response, 404, "not_found");
  });

  test("§4 item 1: refuses a body over 16 KiB with 413 JSON", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, {}, { rawBody: `grant_type=password&pad=${"x".repeat(17_000)}` });
    expectOAuthError(response, 413, "invalid_request");
  });

  test("§4 item 1: refuses a chunked body over 16 KiB (no Content-Length) with 413 JSON", async () => {
    const { authUrl } = await start();
    const response = await rawRequest(authUrl, {
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked" },
      body: `grant_type=password&pad=${"x".repeat(20_000)}`,
    });
    expect(response.status).toBe(413);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(response.body.toString("utf8")).error).toBe("invalid_request");
  });

  test("§4 item 1: survives a client that goes away in the middle of its body and keeps answering others", async () => {
    const running = await start();
    const { hostname, port, pathname } = new URL(running.authUrl);
    const socket = connect(Number(port), hostname);
    await once(socket, "connect");
    socket.write(
      `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\ngrant_type=pass",
    );
    socket.destroy();
    await once(socket, "close");
    const response = await requestToken(running.authUrl, tutorialForm());
    expect(response.status).toBe(200);
    expect(running.state.counters.tokensIssued).toBe(1);
  });

  test.each([
    ["a broken percent escape", "grant_type=password&username=%ZZ"],
    ["a percent escape that is not UTF-8", "grant_type=password&username=%C3"],
    ["a repeated parameter", "grant_type=password&grant_type=refresh_token"],
    ["a parameter without a name", "=value&grant_type=password"],
  ])("§4 item 1: refuses a body with %s with 400 invalid_request", async (_case, body) => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, {}, { rawBody: body });
    expectOAuthError(response, 400, "invalid_request");
  });

  test("§4 item 1: refuses a body that is not valid UTF-8 with 400 invalid_request", async () => {
    const { authUrl } = await start();
    const body = Buffer.concat([Buffer.from("grant_type=password&username="), Buffer.from([0xff, 0xfe])]);
    const response = await requestToken(authUrl, {}, { rawBody: body });
    expectOAuthError(response, 400, "invalid_request");
    expect(response.body.error_description).toContain("UTF-8");
  });

  test("§4 item 1: refuses an empty body with 400 invalid_request naming grant_type", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, {}, { rawBody: "" });
    expectOAuthError(response, 400, "invalid_request");
    expect(response.body.error_description).toContain("grant_type");
  });

  test.each(["client_credentials", "Password", "authorization_code"])(
    "§4 item 4: refuses grant_type=%s with 400 unsupported_grant_type",
    async (grantType) => {
      const { authUrl } = await start();
      const response = await requestToken(authUrl, { ...tutorialForm(), grant_type: grantType });
      expectOAuthError(response, 400, "unsupported_grant_type");
    },
  );
});

describe("client identification", () => {
  test("§4 item 2: accepts the client id from the Basic header alone", async () => {
    const { authUrl } = await start();
    const { client_id: _omitted, ...form } = tutorialForm();
    const response = await requestToken(authUrl, form, { basicClientId: ALICE.clientId });
    expect(response.status).toBe(200);
  });

  test("§4 item 2: accepts a Basic credential with a non-empty secret", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, tutorialForm(), {
      basicClientId: ALICE.clientId,
      basicSecret: "s3cret",
    });
    expect(response.status).toBe(200);
  });

  test("§4 item 2: refuses a Basic client id that differs from the body's with 401 invalid_client", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, tutorialForm(), { basicClientId: "SOMEONE-ELSE" });
    expectOAuthError(response, 401, "invalid_client");
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic /);
  });

  test("§4 item 2: refuses an unknown client id with 401 invalid_client", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, { ...tutorialForm(), client_id: "NOT-A-CLIENT" });
    expectOAuthError(response, 401, "invalid_client");
  });

  test("§4 item 2: refuses another user's client id with 401 invalid_client", async () => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, { ...tutorialForm(ALICE), client_id: BOB.clientId });
    expectOAuthError(response, 401, "invalid_client");
  });

  test("§4 item 2: refuses a request without any client id with 401 invalid_client", async () => {
    const { authUrl } = await start();
    const { client_id: _omitted, ...form } = tutorialForm();
    const response = await requestToken(authUrl, form);
    expectOAuthError(response, 401, "invalid_client");
  });

  test.each([
    ["not base64", "Basic !!!not-base64!!!"],
    ["no colon", `Basic ${Buffer.from("GE-A-00000001-1-0001").toString("base64")}`],
    ["an empty id", `Basic ${Buffer.from(":secret").toString("base64")}`],
    ["no credential", "Basic"],
    ["another scheme", "Bearer abc.def.ghi"],
  ])("§4 item 2: refuses a malformed Authorization header (%s) with 401 invalid_client", async (_case, header) => {
    const { authUrl } = await start();
    const response = await requestToken(authUrl, tutorialForm(), { headers: { Authorization: header } });
    expectOAuthError(response, 401, "invalid_client");
  });
});
