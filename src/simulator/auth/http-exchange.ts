/**
 * HTTP plumbing of the token endpoint: a size-limited body reader and a writer that gives every answer
 * the headers the real gateway sends (docs/protocol.md §1.1: `X-Tr-Requestid`, `X-Served-By`, gzip bodies
 * when accepted; checklist item 8).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { gzipSync } from "node:zlib";
import { OAuthError } from "./oauth-error.js";

/** Largest accepted request body, bytes; a token request is a few hundred bytes. */
const MAX_BODY_BYTES = 16 * 1024;

/** Raised when the client went away while its body was being read; there is nobody left to answer. */
export class RequestAbortedError extends Error {
  constructor() {
    super("request aborted while reading its body");
    this.name = "RequestAbortedError";
  }
}

/**
 * Reads the whole body.
 * @param limitBytes largest accepted body, bytes. @default MAX_BODY_BYTES (16 KiB)
 * @throws OAuthError 413 when the body is larger; RequestAbortedError when the client went away.
 */
export function readBody(req: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      // Stop buffering but keep draining, so the socket is not stalled before the 413 goes out.
      req.removeAllListeners("data");
      req.resume();
      reject(
        new OAuthError(413, "invalid_request", `Request body exceeds ${limitBytes} bytes.`, { Connection: "close" }),
      );
    };
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limitBytes) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) tooLarge();
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", () => reject(new RequestAbortedError()));
    // A close before the whole message arrived means the client went away (settling twice is a no-op).
    req.on("close", () => {
      if (!req.complete) reject(new RequestAbortedError());
    });
  });
}

/** Whether the client accepts a gzip body (`Accept-Encoding` lists gzip without `q=0`). */
function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers["accept-encoding"];
  if (header === undefined) return false;
  return header.split(",").some((entry) => {
    const [coding, ...parameters] = entry.split(";").map((part) => part.trim().toLowerCase());
    if (coding !== "gzip" && coding !== "x-gzip") return false;
    return !parameters.some((parameter) => /^q=0(\.0*)?$/.test(parameter));
  });
}

/** Absolute URL of the request itself, from its Host header (for `token-redirect`'s `Location`). */
export function selfUrl(req: IncomingMessage): string {
  const scheme = (req.socket as Partial<TLSSocket>).encrypted === true ? "https" : "http";
  const hostHeader = req.headers.host;
  const host =
    hostHeader !== undefined && /^[A-Za-z0-9.\-[\]:]+$/.test(hostHeader)
      ? hostHeader
      : `${formatAddress(req.socket.localAddress ?? "127.0.0.1")}:${req.socket.localPort ?? 80}`;
  return `${scheme}://${host}${req.url ?? "/"}`;
}

function formatAddress(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** One answer of the endpoint. */
export interface Answer {
  status: number;
  /** JSON body; none for redirects. */
  body?: object;
  headers?: Readonly<Record<string, string>>;
}

/**
 * Writes an answer with `Content-Type: application/json`, `Cache-Control: no-store` (RFC 6749 §5.1),
 * `X-Tr-Requestid` and `X-Served-By`, gzip-compressing the body when accepted. Does nothing if the response
 * can no longer be written.
 * @param servedBy value of `X-Served-By`.
 */
export function writeAnswer(req: IncomingMessage, res: ServerResponse, answer: Answer, servedBy: string): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  const headers: Record<string, string> = {
    "Cache-Control": "no-store",
    Pragma: "no-cache",
    "X-Tr-Requestid": randomUUID(),
    "X-Served-By": servedBy,
    ...answer.headers,
  };
  let payload = Buffer.alloc(0);
  if (answer.body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = Buffer.from(JSON.stringify(answer.body), "utf8");
    headers.Vary = "Accept-Encoding";
    if (acceptsGzip(req)) {
      payload = gzipSync(payload);
      headers["Content-Encoding"] = "gzip";
    }
  }
  headers["Content-Length"] = String(payload.length);
  res.writeHead(answer.status, headers);
  res.end(payload);
}
