/**
 * Small helpers for the simulator's hand-written HTTP handlers (node:http, no framework on purpose), and the
 * guards every one of its servers gets against hostile peers (resets, malformed and half-open requests).
 */
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/** Sends a JSON body with a status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(text);
}

/** Error raised by {@link readBody} when the body is over the limit. */
export class BodyTooLargeError extends Error {}

/**
 * Reads a request body as UTF-8 text, up to `limitBytes`.
 * @throws BodyTooLargeError when the body is larger.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new BodyTooLargeError(`request body over ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Sockets already given an 'error' listener by {@link guardSocket}. */
const guardedSockets = new WeakSet<Duplex>();

function ignoreSocketError(): void {
  // A peer's reset or a write after its end: the socket closes by itself, nothing else to do.
}

/**
 * Gives a raw socket an 'error' listener. Node's HTTP server stops listening to a socket once it emits
 * 'upgrade' (and a refused upgrade is ended by hand), so a peer's TCP reset (ECONNRESET) on such a socket would
 * be an uncaught exception and end the process.
 */
export function guardSocket(socket: Duplex): void {
  if (guardedSockets.has(socket)) return;
  guardedSockets.add(socket);
  socket.on("error", ignoreSocketError);
}

/**
 * Answers a raw socket (a refused upgrade, a malformed request) with a plain-text HTTP error and closes it; a
 * peer that resets it meanwhile is ignored.
 */
export function sendRawHttpError(socket: Duplex, status: number, reason: string): void {
  guardSocket(socket);
  const body = `${reason}\n`;
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      "Connection: close\r\n" +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** What {@link hardenServer} needs. */
export interface HardeningOptions {
  /** Time a socket has to complete its request (TLS handshake, headers and body), milliseconds. */
  handshakeTimeoutMs: number;
  /** Whether the server is an https one (its sockets are ready once the TLS handshake is done). */
  tls: boolean;
}

/**
 * The options of `http.createServer` / `https.createServer` that bound how long a request may take to arrive:
 * `headersTimeout` and `requestTimeout` are enforced only when Node checks its connections, every
 * `connectionsCheckingInterval` (30 s by default), so that is shortened too; `handshakeTimeout` bounds TLS.
 */
export function requestTimeoutOptions(handshakeTimeoutMs: number): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
  handshakeTimeout: number;
} {
  return {
    headersTimeout: handshakeTimeoutMs,
    requestTimeout: handshakeTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(handshakeTimeoutMs / 4))),
    handshakeTimeout: handshakeTimeoutMs,
  };
}

/**
 * Makes an HTTP(S) server survive hostile peers: a malformed or reset request is answered 400 (408 on a
 * timeout, 431 for headers too large) or just dropped, never an exception; and a socket that has not delivered
 * a complete request line and headers within `handshakeTimeoutMs` of connecting is destroyed. Node's own
 * `headersTimeout` would do the latter only at its next periodic check, and not at all for a socket that
 * sends nothing: idle half-open sockets would pile up until file descriptors run out. Upgrade handlers must
 * call the returned `settle(socket)` once they take a socket over.
 */
export function hardenServer(server: Server, options: HardeningOptions): { settle: (socket: Duplex) => void } {
  const deadlines = new WeakMap<Duplex, NodeJS.Timeout>();
  const settle = (socket: Duplex): void => {
    const timer = deadlines.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    deadlines.delete(socket);
  };
  server.on(options.tls ? "secureConnection" : "connection", (socket: Duplex) => {
    guardSocket(socket);
    // Real time on purpose: a transport deadline, like Node's own timeouts, not simulated time.
    const timer = setTimeout(() => {
      deadlines.delete(socket);
      socket.destroy();
    }, options.handshakeTimeoutMs);
    timer.unref();
    deadlines.set(socket, timer);
    socket.once("close", () => settle(socket));
  });
  server.on("request", (req: IncomingMessage) => settle(req.socket));
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    guardSocket(socket);
    settle(socket);
    const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || pending?.headersSent === true) {
      socket.destroy();
      return;
    }
    const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    sendRawHttpError(socket, status, STATUS_CODES[status] ?? "Bad Request");
  });
  return { settle };
}
