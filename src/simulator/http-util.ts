/** Small helpers for the simulator's hand-written HTTP handlers (node:http, no framework on purpose). */
import type { IncomingMessage, ServerResponse } from "node:http";

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
