/**
 * The token manager's default HTTP client (src/client/http-fetch.ts) against real local servers: what the token
 * manager reads of a response, redirects returned rather than followed, aborts, and network and certificate
 * failures shaped like `fetch`'s (a "fetch failed" TypeError with Node's error as `cause`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { httpFetch } from "../../src/client/auth/http-fetch.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { closedPort } from "../helpers/cli.js";

const servers: Server[] = [];
const sims: RunningSimulator[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => handler(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/oauth2/v1/token`;
}

describe("httpFetch", () => {
  it("POSTs the form with its headers and returns the status, the headers and the body text", async () => {
    const seen: { method?: string; type?: string; length?: string; body?: string } = {};
    const url = await serve((req, res, body) => {
      Object.assign(seen, {
        method: req.method,
        type: req.headers["content-type"],
        length: req.headers["content-length"],
        body,
      });
      res.writeHead(200, { "content-type": "application/json", "x-two": ["a", "b"] }).end('{"ok":"é"}');
    });
    const response = await httpFetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=password&username=u%C3%A9",
    });
    expect(seen).toEqual({
      method: "POST",
      type: "application/x-www-form-urlencoded",
      length: "36",
      body: "grant_type=password&username=u%C3%A9",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("x-two")).toBe("a, b");
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toBe('{"ok":"é"}');
  });

  it("returns a redirect as it is (the token manager re-POSTs it itself, §1.2)", async () => {
    const url = await serve((_req, res) => res.writeHead(307, { location: "/elsewhere" }).end());
    const response = await httpFetch(url, { method: "POST", body: "x=1" });
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe("/elsewhere");
  });

  it("rejects with the signal's reason when aborted, before or during the request", async () => {
    const url = await serve(() => undefined); // never answers
    const before = new AbortController();
    before.abort(new Error("stop early"));
    await expect(httpFetch(url, { method: "POST", body: "", signal: before.signal })).rejects.toThrow("stop early");
    const during = new AbortController();
    const pending = httpFetch(url, { method: "POST", body: "", signal: during.signal });
    setTimeout(() => during.abort(new Error("timed out")), 20);
    await expect(pending).rejects.toThrow("timed out");
  });

  it("rejects like fetch on a refused connection: TypeError 'fetch failed', cause.code ECONNREFUSED", async () => {
    const port = await closedPort();
    const error = await httpFetch(`http://127.0.0.1:${port}/t`, { method: "POST", body: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("fetch failed");
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  it("verifies TLS certificates: a self-signed https endpoint fails with the verification code as cause", async () => {
    const sim = await startSimulator({ tls: true });
    sims.push(sim);
    const error = await httpFetch(sim.authUrl, { method: "POST", body: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });
});
