/**
 * The status page (docs/gateway.md): `GET /` and its two static files, `GET /status.json` (the snapshot of
 * status.ts) and `GET /status/events`, the same snapshot as server-sent events whenever it changes. None of it
 * needs an API key: a snapshot holds no price, key or password. The page runs under a Content-Security-Policy
 * that allows only the gateway's own files, and it writes every value from the server as text, so an id or RIC
 * a producer chose cannot become markup.
 *
 * One snapshot is taken for all the open streams (at most {@link MAX_STREAMS}): at once when an outcome is
 * recorded, but at most once a second; each second when it differs from the last one sent (a session state, a
 * rate, a backlog); and every {@link MAX_QUIET_MS} anyway. A stream whose socket is full skips snapshots until
 * it drains, then gets the latest: a slow page holds one frame in the gateway's memory, not a backlog.
 */
import { existsSync, readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { packageRoot } from "../../internal.js";
import type { GatewayStatus } from "../status.js";

/** What the status page reads. */
export interface StatusPageOptions {
  /** The snapshot (status.ts). */
  status: () => GatewayStatus;
  /** Subscribes to "new outcomes are durable"; returns the unsubscribe. */
  onOutcomes: (listener: () => void) => () => void;
  /** Whether the gateway is stopping: open streams end and new ones are refused. */
  closing: () => boolean;
}

/** Event streams open at once, at most; beyond it 503. */
const MAX_STREAMS = 32;
/** Snapshots are sent at most this often, milliseconds. */
const MIN_INTERVAL_MS = 1000;
/** A snapshot is sent at least this often, changed or not, milliseconds. */
const MAX_QUIET_MS = 5000;
/** A comment line this often keeps proxies from closing the stream, milliseconds. */
const KEEPALIVE_MS = 15_000;
/** How soon a page's EventSource reconnects after the stream drops, milliseconds. */
const RETRY_MS = 2000;

/** Only the gateway's own files: no inline script or style, no other origin, no framing. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/** Headers of the page, its files and its stream. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** The static routes: URL → file in public/ and its content type. */
const FILES: Readonly<Record<string, { file: string; contentType: string }>> = {
  "/": { file: "index.html", contentType: "text/html; charset=utf-8" },
  "/status/app.js": { file: "app.js", contentType: "text/javascript; charset=utf-8" },
  "/status/style.css": { file: "style.css", contentType: "text/css; charset=utf-8" },
};

/**
 * Folders that may hold the page's files, in search order. `tsc` does not copy them: scripts/bundle.mjs puts
 * them in dist/gateway/status/public; under tsx (and in the tests) they are read from src/. The build's copy
 * comes first when this module runs from dist/ (where it may sit in a bundled chunk), the sources' otherwise.
 */
function publicFolders(moduleUrl: string = import.meta.url): string[] {
  const root = packageRoot(moduleUrl);
  const compiled = join(root, "dist", "gateway", "status", "public");
  const sources = join(root, "src", "gateway", "status", "public");
  return fileURLToPath(moduleUrl).startsWith(join(root, "src") + sep) ? [sources, compiled] : [compiled, sources];
}

/**
 * Reads the page's files from the first folder holding them all.
 * @throws Error naming the folders searched when none does (a broken install).
 */
function loadFiles(): Map<string, Buffer> {
  const folders = publicFolders();
  const names = Object.values(FILES).map((entry) => entry.file);
  const folder = folders.find((candidate) => names.every((name) => existsSync(join(candidate, name))));
  if (folder === undefined) throw new Error(`the status page's files are missing; looked in ${folders.join(" and ")}`);
  return new Map(names.map((name) => [name, readFileSync(join(folder, name))]));
}

/** One open event stream. */
interface StatusStream {
  /** Writes a frame unless the socket is still full from the last one. */
  send(frame: string): void;
  end(): void;
}

/** A snapshot as one `status` event (JSON has no line breaks, so it fits one `data:` line). */
function statusFrame(status: GatewayStatus): string {
  return `event: status\ndata: ${JSON.stringify(status)}\n\n`;
}

/** What two snapshots are compared by: all but the moment they were taken. */
function contentOf(status: GatewayStatus): string {
  return JSON.stringify({ ...status, at: undefined });
}

/** The open streams and the one clock that feeds them all. */
class StatusStreams {
  readonly #options: StatusPageOptions;
  readonly #streams = new Set<StatusStream>();
  #ticker: NodeJS.Timeout | undefined;
  #throttle: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #lastSentMs = 0;
  #lastKeepaliveMs = 0;
  #lastContent = "";
  /** The latest frame sent, for a stream that drains after skipping it. */
  latestFrame = "";

  constructor(options: StatusPageOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Adds a stream; the first one starts the clock and the outcome subscription. */
  add(stream: StatusStream): void {
    this.#streams.add(stream);
    if (this.#ticker !== undefined) return;
    this.#lastKeepaliveMs = performance.now();
    this.#ticker = setInterval(() => this.#tick(), MIN_INTERVAL_MS).unref();
    this.#unsubscribe = this.#options.onOutcomes(() => this.#outcomes());
  }

  /** Removes a stream; the last one stops the clock. */
  delete(stream: StatusStream): void {
    this.#streams.delete(stream);
    if (this.#streams.size > 0) return;
    clearInterval(this.#ticker);
    clearTimeout(this.#throttle);
    this.#ticker = undefined;
    this.#throttle = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Ends every stream (the gateway is stopping). */
  endAll(): void {
    for (const stream of [...this.#streams]) stream.end();
  }

  /** A snapshot now, or undefined when none can be read (the outbox closed: the gateway is stopping). */
  snapshot(): GatewayStatus | undefined {
    try {
      return this.#options.status();
    } catch {
      return undefined;
    }
  }

  /** New outcomes: send them at once, unless a snapshot went out less than a second ago. */
  #outcomes(): void {
    if (this.#throttle !== undefined) return;
    const waitMs = this.#lastSentMs + MIN_INTERVAL_MS - performance.now();
    if (waitMs <= 0) {
      this.#broadcast();
      return;
    }
    this.#throttle = setTimeout(() => {
      this.#throttle = undefined;
      this.#broadcast();
    }, waitMs).unref();
  }

  #tick(): void {
    if (this.#options.closing()) {
      this.endAll();
      return;
    }
    const nowMs = performance.now();
    if (nowMs - this.#lastKeepaliveMs >= KEEPALIVE_MS) {
      this.#lastKeepaliveMs = nowMs;
      for (const stream of this.#streams) stream.send(": keepalive\n\n");
    }
    if (this.#throttle !== undefined || nowMs - this.#lastSentMs < MIN_INTERVAL_MS) return;
    const status = this.snapshot();
    if (status === undefined) return this.endAll();
    if (nowMs - this.#lastSentMs >= MAX_QUIET_MS || contentOf(status) !== this.#lastContent) this.#broadcast(status);
  }

  #broadcast(status = this.snapshot()): void {
    if (status === undefined) return this.endAll();
    this.#lastSentMs = performance.now();
    this.#lastContent = contentOf(status);
    this.latestFrame = statusFrame(status);
    for (const stream of this.#streams) stream.send(this.latestFrame);
  }
}

/** Serves one event stream until the client goes or the gateway stops. */
function openStream(streams: StatusStreams, raw: ServerResponse, onClose: (end: () => void) => void): void {
  raw.writeHead(200, {
    ...PAGE_HEADERS,
    "Content-Type": "text/event-stream; charset=utf-8",
    Connection: "keep-alive",
    // Buffering reverse proxies (nginx) pass the events on at once.
    "X-Accel-Buffering": "no",
  });
  let ended = false;
  let full = false;
  const send = (frame: string) => {
    if (ended || full) return; // a full socket skips snapshots: "drain" sends the latest
    full = !raw.write(frame);
  };
  const end = () => {
    if (ended) return;
    ended = true;
    streams.delete(stream);
    raw.end();
  };
  const stream: StatusStream = { send, end };
  raw.on("drain", () => {
    full = false;
    send(streams.latestFrame);
  });
  raw.on("error", end);
  raw.on("close", end);
  onClose(end);
  const status = streams.snapshot();
  if (status === undefined) return end();
  streams.add(stream);
  send(`retry: ${RETRY_MS}\n\n${statusFrame(status)}`);
}

/** Answers an error in the API's one shape. */
function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).header("Cache-Control", "no-store").send({ error: { code, message } });
}

/**
 * Registers the status page's routes on `app`: `GET /` (the page), `GET /status/app.js` and
 * `GET /status/style.css` (its files), `GET /status.json` (the snapshot) and `GET /status/events` (the snapshot
 * as server-sent `status` events). Closing `app` ends the open streams. The files are read on first request;
 * when they are missing the page answers 500 and the rest of the API is unaffected.
 * @param app the gateway's fastify app, not yet listening
 * @param options where the snapshot, the outcome notifications and the stopping flag come from
 */
export function registerStatusPage(app: FastifyInstance, options: StatusPageOptions): void {
  const streams = new StatusStreams(options);
  let files: Map<string, Buffer> | undefined;
  app.addHook("preClose", (done) => {
    streams.endAll(); // hijacked streams would keep the server open
    done();
  });

  for (const [url, { file, contentType }] of Object.entries(FILES)) {
    app.get(url, (_request, reply) => {
      try {
        files ??= loadFiles();
      } catch (error) {
        return sendError(reply, 500, "internal", (error as Error).message);
      }
      return reply.headers(PAGE_HEADERS).type(contentType).send(files.get(file));
    });
  }

  // Browsers ask for an icon by themselves; "none" keeps a 404 out of the page's console.
  app.get("/favicon.ico", (_request, reply) => reply.code(204).header("Cache-Control", "max-age=86400").send());

  app.get("/status.json", (_request, reply) => reply.header("Cache-Control", "no-store").send(options.status()));

  app.get("/status/events", (request, reply) => {
    if (options.closing()) return sendError(reply, 503, "shutting-down", "the gateway is stopping");
    if (streams.size >= MAX_STREAMS) {
      return sendError(reply, 503, "too-many-streams", `at most ${MAX_STREAMS} status streams are open at once`);
    }
    void reply.hijack();
    openStream(streams, reply.raw, (end) => request.raw.on("close", end));
    return reply;
  });
}
