/**
 * A minimal server-sent events reader over node:http for the dashboard's stream tests: it records every event
 * (`event:` + `data:` parsed as JSON) and comment line, and `next` waits for the first not-yet-taken event of a
 * type matching a predicate ({@link MessageWaiter}). Every stream opened is closed by {@link closeAllSse} (call it in `afterEach`).
 */
import { type IncomingHttpHeaders, type IncomingMessage, type ClientRequest, request } from "node:http";
import { MessageWaiter } from "./message-waiter.js";

/** One received event. */
interface SseEvent {
  type: string;
  data: any;
  /** The event's `id:` line, if it had one. */
  id?: string;
}

/** An open stream. */
export interface SseStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every event received so far, in order. */
  events: SseEvent[];
  /** Every comment line received (heartbeats), without the leading colon. */
  comments: string[];
  /** The `retry:` value the server sent, if any. */
  retryMs?: number;
  /** The raw body (for refused requests, the error JSON). */
  readonly text: string;
  /** The first untaken event of `type` matching `predicate`, waiting up to `timeoutMs`. @default 2000 */
  next(type: string, predicate?: (data: any) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  close(): void;
}

const open = new Set<SseStream>();

/** Closes every stream still open. */
export function closeAllSse(): void {
  for (const stream of open) stream.close();
  open.clear();
}

/** Opens `url` and resolves once the response headers are in. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(url, { headers: { Accept: "text/event-stream", ...headers } });
    req.on("error", (error) => {
      if ((error as NodeJS.ErrnoException).code !== "ECONNRESET") reject(error);
    });
    req.on("response", (res: IncomingMessage) => resolve(wrap(req, res)));
    req.end();
  });
}

function wrap(req: ClientRequest, res: IncomingMessage): SseStream {
  const waiter = new MessageWaiter<SseEvent>();
  const events = waiter.items;
  let buffer = "";
  let text = "";
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const stream: SseStream = {
    status: res.statusCode ?? 0,
    headers: res.headers,
    events,
    comments: [],
    get text() {
      return text;
    },
    ended,
    next(type, predicate = () => true, timeoutMs = 2000) {
      return waiter.next(
        (event) => event.type === type && predicate(event.data),
        timeoutMs,
        () => `no '${type}' event within ${timeoutMs} ms; received: ${events.map((event) => event.type).join(", ")}`,
      );
    },
    close() {
      req.destroy();
      open.delete(stream);
    },
  };
  open.add(stream);
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    text += chunk;
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = "message";
      let id: string | undefined;
      const data: string[] = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith(":")) stream.comments.push(line.slice(1).trim());
        else if (line.startsWith("event: ")) type = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
        else if (line.startsWith("retry: ")) stream.retryMs = Number(line.slice(7));
        else if (line.startsWith("id: ")) id = line.slice(4);
      }
      if (data.length > 0)
        waiter.push({ type, data: JSON.parse(data.join("\n")), ...(id === undefined ? {} : { id }) });
    }
  });
  res.on("end", resolveEnded);
  res.on("close", resolveEnded);
  res.on("error", () => resolveEnded());
  return stream;
}
