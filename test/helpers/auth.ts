/**
 * Test helpers for the simulated token endpoint (docs/protocol.md §1): one form POST with global fetch, and a
 * password grant returning the parsed tokens. Redirects are not followed, as official clients do (§1.2).
 */
import { type IncomingHttpHeaders, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { AuthService } from "../../src/simulator/auth/auth-service.js";
import { type SimulatorConfigInput, resolveConfig } from "../../src/simulator/config.js";
import { FaultRegistry } from "../../src/simulator/faults.js";
import { SimulatorState } from "../../src/simulator/state.js";
import type { SimulatorContext } from "../../src/simulator/types.js";
import { type Clock, systemClock } from "../../src/util/clock.js";
import { type Logger, silentLogger } from "../../src/util/logger.js";

/** What the endpoint answered. `body` is the parsed JSON, or the raw text when it is not JSON. */
export interface TokenHttpResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** Options of {@link requestToken}. */
export interface RequestTokenOptions {
  /** Sends `Authorization: Basic base64("<basicClientId>:<basicSecret>")`. */
  basicClientId?: string;
  /** Secret of the Basic credential. @default "" (the tutorial's Python sends an empty secret) */
  basicSecret?: string;
  /** Extra or overriding request headers. */
  headers?: Record<string, string>;
  /** HTTP method. @default "POST" */
  method?: string;
  /** Raw body instead of the encoded `form`. */
  rawBody?: string | Uint8Array;
}

/** POSTs `form` as `application/x-www-form-urlencoded` to the token endpoint. */
export async function requestToken(
  authUrl: string,
  form: Record<string, string>,
  options: RequestTokenOptions = {},
): Promise<TokenHttpResponse> {
  const headers: Record<string, string> = {
    Accept: "application/json",
    "Content-Type": "application/x-www-form-urlencoded",
  };
  if (options.basicClientId !== undefined) {
    const credential = `${options.basicClientId}:${options.basicSecret ?? ""}`;
    headers.Authorization = `Basic ${Buffer.from(credential, "utf8").toString("base64")}`;
  }
  Object.assign(headers, options.headers);
  const method = options.method ?? "POST";
  const body =
    method === "GET" || method === "HEAD" ? undefined : (options.rawBody ?? new URLSearchParams(form).toString());
  const response = await fetch(authUrl, { method, headers, body, redirect: "manual" });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text so the assertion shows what came back.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Tokens of a successful grant. */
export interface GrantedTokens {
  accessToken: string;
  refreshToken: string;
  /** As sent: a string of integer seconds (§1.5). */
  expiresIn: string;
  scope: string;
  tokenType: string;
}

/** An account as `startSimulator` lists it. */
export interface TestAccount {
  user: string;
  password: string;
  clientId: string;
}

/**
 * A password grant shaped like RTSDK's (client id in the body only), with `extra` fields added.
 * @throws Error with the status and body when the endpoint does not answer 200.
 */
export async function passwordGrant(
  authUrl: string,
  account: TestAccount,
  extra: Record<string, string> = {},
): Promise<GrantedTokens> {
  const response = await requestToken(authUrl, {
    grant_type: "password",
    username: account.user,
    password: account.password,
    client_id: account.clientId,
    takeExclusiveSignOnControl: "true",
    ...extra,
  });
  return toTokens(response);
}

/**
 * A refresh grant shaped like the official clients' (`refresh_token`, `username`, `client_id`).
 * @throws Error with the status and body when the endpoint does not answer 200.
 */
export async function refreshGrant(
  authUrl: string,
  account: TestAccount,
  refreshToken: string,
): Promise<GrantedTokens> {
  const response = await requestToken(authUrl, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    username: account.user,
    client_id: account.clientId,
  });
  return toTokens(response);
}

function toTokens(response: TokenHttpResponse): GrantedTokens {
  if (response.status !== 200) {
    throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  const body = response.body as Record<string, string>;
  return {
    accessToken: body.access_token!,
    refreshToken: body.refresh_token!,
    expiresIn: body.expires_in!,
    scope: body.scope!,
    tokenType: body.token_type!,
  };
}

/** A raw HTTP answer: status, headers and the undecoded body bytes. */
export interface RawHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request with node:http, for what fetch hides: the exact `Accept-Encoding` sent, the compressed
 * bytes received, or headers fetch would refuse to send.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawHttpResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: options.method ?? "POST", headers: options.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/** A token endpoint on its own HTTP server, exposing the {@link AuthService} (for `validateAccessToken`). */
export interface StandaloneAuth {
  authUrl: string;
  service: AuthService;
  context: SimulatorContext;
  close(): Promise<void>;
}

/**
 * Starts an {@link AuthService} alone on 127.0.0.1 with an ephemeral port, built the way `startSimulator`
 * builds it, for checks that need the service object itself (checklist item 9).
 */
export async function startStandaloneAuth(
  options: { config?: SimulatorConfigInput; clock?: Clock; log?: Logger } = {},
): Promise<StandaloneAuth> {
  const clock = options.clock ?? systemClock;
  const config = resolveConfig({ ...options.config, host: "127.0.0.1" });
  const context: SimulatorContext = {
    config,
    clock,
    faults: new FaultRegistry(clock),
    state: new SimulatorState(),
    log: options.log ?? silentLogger,
  };
  const service = new AuthService(context);
  const server = createServer((req, res) => service.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    authUrl: `http://127.0.0.1:${port}/auth/oauth2/v1/token`,
    service,
    context,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
