/**
 * Untrusted TLS certificates are not transient failures (a design decision, docs/architecture.md): before the
 * first accepted Login, a certificate the client does not trust ends `connect()` at once with a typed
 * `CertificateError` — one token request, one WebSocket attempt, no backoff. Once a session was up, a
 * certificate refused on reconnect is logged and retried with backoff, since the server may be fixed.
 */
import { afterEach, describe, expect, test } from "vitest";
import { CERTIFICATE_ERROR_CODE, CertificateError } from "../../src/client/errors.js";
import type { ReconnectInfo } from "../../src/client/connection/session-events.js";
import { adsContributor, capturingLogger, cleanup, contributor, simulator, waitFor } from "./client-fixtures.js";

afterEach(cleanup);

/** The global fetch, counting the token requests made through it. */
function countingFetch(): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const counted = ((input: string | URL | Request, init?: RequestInit) => {
    calls += 1;
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: counted, calls: () => calls };
}

describe("untrusted certificates", () => {
  test("a contributor without the simulator's CA rejects connect() with a CertificateError after one token request", async () => {
    const sim = await simulator({ tls: true });
    const counter = countingFetch();
    // A generous retry budget: the certificate failure must not use it.
    const client = contributor(sim, { fetch: counter.fetch, retry: { initialDelayMs: 1, maxAttempts: 5 } });
    const error = await client.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CertificateError);
    expect(error).toMatchObject({
      code: CERTIFICATE_ERROR_CODE,
      certificateCode: "DEPTH_ZERO_SELF_SIGNED_CERT",
      retriable: false,
    });
    // The CLI recognises the failure from the code in the message and the TLS error kept as the cause.
    expect((error as Error).message).toContain(`the TLS certificate of ${new URL(sim.authUrl).origin} is not trusted`);
    expect((error as Error).message).toContain("DEPTH_ZERO_SELF_SIGNED_CERT");
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(counter.calls()).toBe(1);
    expect(client.stats().reconnects).toBe(0);
    expect(client.state).toBe("closed");
    expect(await client.closed()).toBe(error);
  });

  test("a user-name login to a self-signed WebSocket server fails after one attempt with the certificate's code", async () => {
    const sim = await simulator({ profile: "ads", tls: true });
    const client = adsContributor(sim);
    const states: string[] = [];
    client.on("state", (change) => states.push(change.to));
    const error = await client.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CertificateError);
    expect((error as CertificateError).message).toContain(`wss://${new URL(sim.wsUrls[0]!).host}`);
    expect(states).toEqual(["authenticating", "connecting", "closed"]);
    expect(sim.state.counters.logins).toBe(0);
  });

  test("after the session was up, an untrusted certificate on reconnect is logged and retried with backoff", async () => {
    const healthy = await simulator({ profile: "ads" });
    const untrusted = await simulator({ profile: "ads", tls: true });
    const lines: string[] = [];
    // Failover order: the healthy server first, then the one whose certificate is not trusted.
    const client = adsContributor(healthy, {
      urls: [healthy.wsUrls[0]!, untrusted.wsUrls[0]!],
      log: capturingLogger(lines),
    });
    const reconnects: ReconnectInfo[] = [];
    client.on("reconnecting", (info) => reconnects.push(info));
    await client.connect();
    healthy.faults.add({ type: "disconnect" });
    // The drop sends the session to the untrusted server; refused, it backs off and fails over back.
    await waitFor(
      () => reconnects.some((info) => info.cause instanceof CertificateError),
      5000,
      "a refused certificate",
    );
    await waitFor(() => client.state === "ready", 5000, "ready again");
    expect(healthy.state.counters.logins).toBe(2);
    expect(untrusted.state.counters.logins).toBe(0);
    const warning = lines.find((line) => line.includes("server certificate not trusted; retrying"));
    expect(warning).toContain('"level":"warn"');
    expect(warning).toContain("DEPTH_ZERO_SELF_SIGNED_CERT");
  });
});
