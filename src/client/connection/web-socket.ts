/**
 * Opening the WebSocket: subprotocol `tr_json2` (§2.1), TLS with verification on by default, an HTTP
 * CONNECT proxy from the options or the environment, and a connect timeout on the injected clock. Also the
 * default Login `Position` (§2.4).
 */
import { createRequire } from "node:module";
import { hostname, networkInterfaces } from "node:os";
import type { Agent } from "node:http";
import type { WebSocket } from "ws";
import { SUBPROTOCOL } from "../../protocol/messages.js";
import type { Clock } from "../../util/clock.js";
import type { TlsOptions } from "./session-options.js";
import { ConnectionLostError } from "../errors.js";

/** What {@link openWebSocket} needs. */
export interface OpenWebSocketOptions {
  clock: Clock;
  /** Handshake deadline, milliseconds. */
  connectTimeoutMs: number;
  /** Proxy URL, or `false`/undefined for none (resolve it with {@link proxyFor}). */
  proxyUrl: string | undefined;
  tls: TlsOptions;
  /** Largest inbound message accepted, bytes. @default 64 MiB */
  maxPayloadBytes?: number;
  /** Abandons the handshake (the socket is terminated at once): a closed session must not wait it out. */
  signal?: AbortSignal;
}

/**
 * Opens a WebSocket offering `tr_json2` and resolves once it is open.
 * @throws Error when the handshake fails, the server picks another subprotocol, or the deadline passes
 *   (the socket is terminated).
 */
export async function openWebSocket(url: string, options: OpenWebSocketOptions): Promise<WebSocket> {
  // Loaded only when a proxy is used: most connections have none, and the module costs ~50 ms of start-up.
  const agent =
    options.proxyUrl === undefined
      ? undefined
      : new (await import("https-proxy-agent")).HttpsProxyAgent(options.proxyUrl);
  return openWith(url, options, agent);
}

/**
 * The `ws` class, loaded on the first connection rather than when the package is imported: with pino (logger.ts)
 * it was ~40 ms of start-up that a program which only builds options or reads a token never needs
 * (docs/performance.md, "Start-up").
 */
let webSocketClass: typeof WebSocket | undefined;
function loadWebSocket(): typeof WebSocket {
  webSocketClass ??= createRequire(import.meta.url)("ws") as typeof WebSocket;
  return webSocketClass;
}

function openWith(url: string, options: OpenWebSocketOptions, agent: Agent | undefined): Promise<WebSocket> {
  const { clock, tls } = options;
  const ws = new (loadWebSocket())(url, SUBPROTOCOL, {
    perMessageDeflate: false, // RCC's use of compression is unknown; never require it (§2.1)
    maxPayload: options.maxPayloadBytes ?? 64 * 1024 * 1024,
    ...(agent === undefined ? {} : { agent }),
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    rejectUnauthorized: tls.rejectUnauthorized !== false,
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      ws.off("open", onOpen);
      ws.off("error", onError);
      ws.off("unexpected-response", onUnexpected);
      if (error === undefined) {
        resolve(ws);
        return;
      }
      ws.on("error", () => undefined); // terminate() may still report; nobody listens any more
      ws.terminate();
      reject(error);
    };
    const onOpen = (): void => {
      if (ws.protocol !== SUBPROTOCOL)
        finish(new Error(`server chose subprotocol "${ws.protocol}", not ${SUBPROTOCOL}`));
      else finish(undefined);
    };
    const onError = (error: Error): void => finish(error);
    const onUnexpected = (_request: unknown, response: { statusCode?: number }): void =>
      finish(new Error(`WebSocket upgrade refused with HTTP ${response.statusCode ?? "?"}`));
    const timer = clock.setTimeout(
      () => finish(new Error(`WebSocket handshake with ${url} timed out after ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
    const onAbort = (): void => finish(new Error(`WebSocket handshake with ${url} abandoned: the session closed`));
    if (options.signal?.aborted === true) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    ws.on("open", onOpen);
    ws.on("error", onError);
    ws.on("unexpected-response", onUnexpected);
  });
}

/** Why a WebSocket to `url` could not be opened, as the retriable error the session backs off with. */
export function connectFailure(url: string, error: unknown): ConnectionLostError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ConnectionLostError(`cannot connect to ${url}: ${reason}`, { cause: error });
}

/**
 * The proxy to use for `url`: the explicit option when a string; none when `false`; otherwise HTTPS_PROXY
 * (wss:, https:) or HTTP_PROXY (ws:, http:) from `env` (upper or lower case), unless the host is loopback
 * or matches NO_PROXY (comma-separated host suffixes, `*` for all).
 */
export function proxyFor(
  url: string,
  option: string | false | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (typeof option === "string") return option;
  if (option === false) return undefined;
  const { protocol, hostname: host } = new URL(url);
  const secure = protocol === "wss:" || protocol === "https:";
  const fromEnv = secure ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (fromEnv === undefined || fromEnv === "") return undefined;
  const bareHost = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bareHost === "localhost" || bareHost === "::1" || bareHost.startsWith("127.")) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? "")
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
  for (const entry of noProxy) {
    if (entry === "*") return undefined;
    const suffix = entry.startsWith("*.") ? entry.slice(1) : entry;
    const bare = suffix.replace(/^\./, "");
    if (bareHost === bare || bareHost.endsWith(`.${bare}`)) return undefined;
  }
  return fromEnv;
}

/** The default Login `Position`: the first non-internal IPv4 address and the host name, "ip/hostname" (§2.4). */
export function defaultPosition(): string {
  let address = "127.0.0.1";
  outer: for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      // Node 18.0–18.3 reported `family` as a number; accept both forms.
      const family: unknown = entry.family;
      if (!entry.internal && (family === "IPv4" || family === 4)) {
        address = entry.address;
        break outer;
      }
    }
  }
  return `${address}/${hostname()}`;
}
