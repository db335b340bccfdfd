/**
 * Property tests of the simulated RDP token endpoint (docs/protocol.md §1.6, checklist items 1–4):
 * malformed bodies, content types, Authorization headers, grant types, methods and paths always get an OAuth2
 * error answer — a 4xx with `Content-Type: application/json` and exactly `{"error","error_description"}` (RFC 6749
 * §5.2) — never HTML, a stack trace or a crash. (HTTP that Node's own parser rejects never reaches the endpoint.)
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";

let sim: RunningSimulator;
const escaped: string[] = [];
const onException = (error: Error): void => void escaped.push(error.message);

beforeAll(async () => {
  process.on("uncaughtException", onException);
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
  process.off("uncaughtException", onException);
  expect(escaped).toEqual([]);
});

const OAUTH_ERRORS = new Set([
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unsupported_grant_type",
  "access_denied",
  "not_found",
]);

async function expectOAuthError(response: Response, what: string): Promise<void> {
  expect(response.status, what).toBeGreaterThanOrEqual(400);
  expect(response.status, what).toBeLessThan(500);
  expect(response.headers.get("content-type"), what).toBe("application/json");
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort(), what).toEqual(["error", "error_description"]);
  expect(OAUTH_ERRORS.has(body.error as string), `${what}: ${JSON.stringify(body)}`).toBe(true);
  expect(typeof body.error_description).toBe("string");
}

const printable = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,60}$/);
const anyText = fc.string({ maxLength: 40 });
const grantType = fc.oneof(
  fc.constantFrom("password", "refresh_token", "client_credentials", "authorization_code", "", "PASSWORD"),
  anyText,
);
const contentType = fc.oneof(
  fc.constantFrom(
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
  ),
  printable,
);
const form = fc.record(
  {
    grant_type: grantType,
    username: anyText,
    password: anyText,
    refresh_token: anyText,
    client_id: anyText,
    takeExclusiveSignOnControl: fc.oneof(fc.constantFrom("true", "false", "True"), anyText),
    scope: anyText,
  },
  { requiredKeys: [] },
);

describe("token endpoint under malformed requests", () => {
  it("§1.6: random form fields and grant types get an OAuth2 error JSON", async () => {
    await fc.assert(
      fc.asyncProperty(form, fc.dictionary(anyText, anyText, { maxKeys: 3 }), async (fields, extra) => {
        const body = new URLSearchParams({ ...extra, ...fields }).toString();
        const response = await fetch(sim.authUrl, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body,
        });
        await expectOAuthError(response, body);
      }),
      { numRuns: 300 },
    );
  });

  it("§1.2 and item 1: random bodies under random content types get an OAuth2 error JSON", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(contentType, { nil: undefined }),
        fc.uint8Array({ maxLength: 2048 }),
        async (type, bytes) => {
          const headers: Record<string, string> = type === undefined ? {} : { "Content-Type": type };
          const response = await fetch(sim.authUrl, { method: "POST", headers, body: bytes });
          await expectOAuthError(response, `${String(type)} ${bytes.length} bytes`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("§1.2 and item 2: malformed Authorization and Accept-Encoding headers get an OAuth2 error JSON", async () => {
    const account = sim.accounts[0]!;
    const authorization = fc.oneof(
      printable,
      printable.map((text) => `Basic ${text}`),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => `Basic ${Buffer.from(bytes).toString("base64")}`),
      printable.map((text) => `Bearer ${text}`),
    );
    const encoding = fc.oneof(fc.constantFrom("gzip", "gzip;q=0", "br, gzip", "identity", "*"), printable);
    await fc.assert(
      fc.asyncProperty(authorization, encoding, async (header, acceptEncoding) => {
        // The account's user (with a wrong password), and the client id only in a broken Basic header (§1.2).
        const body = new URLSearchParams({
          grant_type: "password",
          username: account.user,
          password: `${account.password}x`,
        });
        const response = await fetch(sim.authUrl, {
          method: "POST",
          headers: {
            "Content-Type": "application/x-www-form-urlencoded",
            Authorization: header,
            "Accept-Encoding": acceptEncoding,
          },
          body: body.toString(),
        });
        await expectOAuthError(response, header);
      }),
      { numRuns: 200 },
    );
  });

  it("item 1: other methods, other paths under the endpoint and oversized bodies get an OAuth2 error JSON", async () => {
    const method = fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS");
    await fc.assert(
      fc.asyncProperty(method, async (verb) => {
        const response = await fetch(sim.authUrl, {
          method: verb,
          ...(verb === "GET" ? {} : { body: "grant_type=password" }),
        });
        expect(response.status).toBe(405);
        await expectOAuthError(response, verb);
      }),
      { numRuns: 10 },
    );
    await fc.assert(
      // No "." or ".." segment: URL resolution would take those out from under the endpoint.
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,29}$/), async (suffix) => {
        const response = await fetch(`${sim.authUrl}/${suffix}`, { method: "POST", body: "grant_type=password" });
        expect(response.status).toBe(404);
        await expectOAuthError(response, suffix);
      }),
      { numRuns: 30 },
    );
    const huge = await fetch(sim.authUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `grant_type=password&username=${"u".repeat(20_000)}`,
    });
    expect(huge.status).toBe(413);
    await expectOAuthError(huge, "20 KB body");
  });
});
