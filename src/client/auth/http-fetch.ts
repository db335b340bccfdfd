/**
 * The token manager's default HTTP client: the part of `fetch` it uses (a POST with headers and a string body,
 * never following redirects, aborted by a signal), on Node's own `http`/`https`. Node's built-in `fetch` costs
 * ~80 ms on its first call (it loads its bundled undici) and keeps a process alive ~200 ms after its last request
 * (V8 finishes compiling undici's WebAssembly HTTP parser in the background, and Node waits for that at exit),
 * which every short `rcc` command paid. Requests through a proxy or with custom TLS still use undici (see
 * contributor-auth.ts), whose `fetch` is passed in explicitly.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/** The subset of `Response` the token manager reads. */
interface MinimalResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/**
 * `fetch(url, { method, headers, body, signal })` over `node:http`/`node:https`; redirects are returned, not
 * followed (like `redirect: "manual"`), and TLS certificates are verified. Network failures reject with a
 * `TypeError("fetch failed")` whose `cause` is Node's error (its `code`, e.g. ECONNREFUSED or
 * DEPTH_ZERO_SELF_SIGNED_CERT), as `fetch` does; an abort rejects with the signal's reason.
 */
export const httpFetch = ((input: string | URL, init: RequestInit = {}): Promise<MinimalResponse> => {
  const url = new URL(String(input));
  const body = typeof init.body === "string" ? init.body : undefined;
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  const signal = init.signal ?? undefined;
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const send = url.protocol === "https:" ? httpsRequest : url.protocol === "http:" ? httpRequest : undefined;
    if (send === undefined) {
      reject(new TypeError("fetch failed", { cause: new Error(`unsupported protocol ${url.protocol}`) }));
      return;
    }
    const onAbort = (): void => {
      request.destroy();
      reject(signal?.reason as Error);
    };
    const request = send(url, { method: init.method ?? "GET", headers }, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", (error) => reject(new TypeError("fetch failed", { cause: error })));
      response.on("end", () => {
        signal?.removeEventListener("abort", onAbort);
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status: response.statusCode ?? 0,
          headers: {
            get: (name) => {
              const value = response.headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
            },
          },
          text: () => Promise.resolve(text),
        });
      });
    });
    request.on("error", (error) => {
      signal?.removeEventListener("abort", onAbort);
      if (signal?.aborted !== true) reject(new TypeError("fetch failed", { cause: error }));
    });
    signal?.addEventListener("abort", onAbort, { once: true });
    request.end(body);
  });
}) as unknown as typeof globalThis.fetch;
