/**
 * The gateway's HTTP API on fastify (docs/gateway.md, "HTTP API"): contributions in, their states and
 * outcomes out, health, readiness, metrics and the OpenAPI document. Every error has one JSON shape,
 * `{ "error": { "code", "message" } }`; a request's items each get their own result. Nothing a producer
 * sends is echoed into logs, and no key or password is ever logged.
 */
import { createHash } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger, SessionState } from "../../index.js";
import type { ApiKeys, Producer } from "../api-keys.js";
import { ITEM_ERRORS, type ItemResult, type RoutedAccount, Unparsable, acceptItems } from "../contributions.js";
import { type ResultView, viewItem, viewResult } from "../item-view.js";
import type { GatewayMetrics } from "../metrics.js";
import { FINAL_STATES, type Outbox, type StoredItem } from "../outbox/outbox.js";
import type { SettleWaiters } from "../settle-waiters.js";
import type { GatewayStatus } from "../status.js";
import { openApiDocument } from "./openapi.js";
import { streamOutcomes } from "./outcome-stream.js";
import { registerStatusPage } from "./status-page.js";

/** What the routes work with. */
export interface AppContext {
  log: Logger;
  apiKeys: ApiKeys;
  outbox: Outbox;
  accounts: readonly RoutedAccount[];
  waiters: SettleWaiters;
  metrics: GatewayMetrics;
  now: () => number;
  bodyLimitBytes: number;
  maxItemsPerRequest: number;
  maxWaitMs: number;
  tls?: { cert: string; key: string };
  closing: () => boolean;
  ready: () => boolean;
  readiness: () => { account: string; state: SessionState }[];
  wake: (account: string) => void;
  /** Items per second the account is settling now (its rate in use, else its limit). */
  drainRate: (account: string) => number;
  /** The status page's snapshot (status.ts). */
  status: () => GatewayStatus;
  /** Subscribes to "new outcomes are durable"; returns the unsubscribe. */
  onOutcomes: (listener: () => void) => () => void;
}

/** An error answer. */
function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

/** Open connections at most; beyond it new ones are refused until one closes. */
const MAX_CONNECTIONS = 4096;

/** Idempotency-Key values accepted: 1–255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Builds the app (not yet listening). */
export async function buildApp(context: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: context.bodyLimitBytes,
    ...(context.tls === undefined ? {} : { https: { cert: context.tls.cert, key: context.tls.key } }),
    forceCloseConnections: "idle",
    return503OnClosing: true,
    // A peer that sends a body slowly, or never finishes its headers, cannot hold a connection for ever; the
    // longest legitimate request is a ?wait=ack of maxWaitMs.
    requestTimeout: context.maxWaitMs + 30_000,
    connectionTimeout: context.maxWaitMs + 60_000,
    keepAliveTimeout: 5_000,
  });
  app.server.maxConnections = MAX_CONNECTIONS;
  app.server.headersTimeout = 10_000;
  // Bodies arrive as text: the Idempotency-Key's body hash is of the bytes sent, and JSON errors are ours.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ["application/json", "application/x-ndjson"],
    { parseAs: "string" },
    (_request, body, done) => done(null, body),
  );
  const requestsInProgress = new Set<string>();
  const streams = new Set<() => void>();
  app.addHook("preClose", (done) => {
    for (const end of [...streams]) end(); // hijacked outcome streams would keep the server open
    done();
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) context.log.error({ err: error }, "request failed");
    const code =
      status === 413
        ? "body-too-large"
        : status === 415
          ? "unsupported-media-type"
          : status < 500
            ? "bad-request"
            : "internal";
    const message =
      status === 413
        ? `the body is over ${context.bodyLimitBytes} bytes`
        : status === 415
          ? "send application/json (an item or an array of items) or application/x-ndjson (one item per line)"
          : status < 500
            ? error.message
            : "internal error";
    return sendError(reply, status, code, message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, "not-found", `no route ${request.method} ${request.url.split("?")[0] ?? ""}`),
  );

  /** The producer of a request, or an answer already sent (401). */
  const authenticate = (request: FastifyRequest, reply: FastifyReply): Producer | undefined => {
    const producer = context.apiKeys.authenticate(request.headers.authorization);
    if (producer === undefined) {
      void reply.header("WWW-Authenticate", 'Bearer realm="rcc-gateway"');
      void sendError(reply, 401, "unauthorized", "send a valid API key as 'Authorization: Bearer <key>'");
    }
    return producer;
  };

  app.post("/v1/contributions", async (request, reply) => {
    const producer = authenticate(request, reply);
    if (producer === undefined) return reply;
    if (context.closing()) return sendError(reply, 503, "shutting-down", "the gateway is stopping: try again shortly");
    const query = request.query as Record<string, string | undefined>;
    const wait = query.wait ?? "accepted";
    if (wait !== "accepted" && wait !== "ack") {
      return sendError(reply, 400, "bad-request", `wait must be 'accepted' or 'ack', got ${JSON.stringify(wait)}`);
    }
    let timeoutMs = context.maxWaitMs;
    if (query.timeout !== undefined) {
      const asked = Number(query.timeout);
      if (!/^\d{1,9}$/.test(query.timeout) || asked > context.maxWaitMs) {
        return sendError(reply, 400, "bad-request", `timeout must be 0–${context.maxWaitMs} milliseconds`);
      }
      timeoutMs = asked;
    }
    const body = typeof request.body === "string" ? request.body : "";
    const ndjson = (request.headers["content-type"] ?? "").startsWith("application/x-ndjson");
    const inputs = ndjson ? parseNdjson(body) : parseJsonBody(body);
    if ("error" in inputs) return sendError(reply, 400, "bad-json", inputs.error);
    if (inputs.items.length === 0) return sendError(reply, 400, "bad-request", "the body holds no item");
    if (inputs.items.length > context.maxItemsPerRequest) {
      return sendError(reply, 413, "too-many-items", `at most ${context.maxItemsPerRequest} items per request`);
    }

    const keyHeader = request.headers["idempotency-key"];
    let idempotency: { key: string; bodyHash: string } | undefined;
    if (keyHeader !== undefined) {
      const key = Array.isArray(keyHeader) ? "" : keyHeader;
      if (!IDEMPOTENCY_KEY.test(key)) {
        return sendError(reply, 400, "bad-request", "Idempotency-Key must be 1–255 visible ASCII characters");
      }
      // Scoped to the producer: two producers' keys never collide.
      idempotency = {
        key: `${producer.name}\u0000${key}`,
        bodyHash: createHash("sha256").update(body).digest("base64url"),
      };
      const earlier = context.outbox.request(idempotency.key);
      if (earlier !== undefined) {
        if (earlier.bodyHash !== idempotency.bodyHash) {
          return sendError(reply, 422, "idempotency-key-reused", "this Idempotency-Key was used with another body");
        }
        void reply.header("Idempotent-Replayed", "true");
        return answerReplay(reply, earlier.ids, wait, timeoutMs);
      }
      if (requestsInProgress.has(idempotency.key)) {
        return sendError(reply, 409, "request-in-progress", "a request with this Idempotency-Key is in progress");
      }
      requestsInProgress.add(idempotency.key);
    }

    const started = process.hrtime.bigint();
    let results: ItemResult[];
    try {
      results = await acceptItems(
        inputs.items,
        producer,
        { outbox: context.outbox, accounts: context.accounts, now: context.now, wake: context.wake },
        idempotency,
      );
    } finally {
      if (idempotency !== undefined) requestsInProgress.delete(idempotency.key);
    }
    context.metrics.acceptTook(Number(process.hrtime.bigint() - started) / 1e9);
    const perAccount = new Map<string, number>();
    for (const result of results) {
      if ("item" in result && !result.replayed) {
        perAccount.set(result.item.account, (perAccount.get(result.item.account) ?? 0) + 1);
      }
    }
    for (const [account, count] of perAccount) context.metrics.accepted(account, count);
    return answer(reply, results, wait, timeoutMs);
  });

  /** The answer to a request's results: 202 (stored), 200 (all final, wait=ack) or the items' common error. */
  async function answer(
    reply: FastifyReply,
    results: readonly ItemResult[],
    wait: "accepted" | "ack",
    timeoutMs: number,
  ): Promise<FastifyReply> {
    const storedIds = results.flatMap((result) => ("item" in result ? [result.item.id] : []));
    let current = new Map<string, StoredItem>();
    if (wait === "ack" && storedIds.length > 0) current = await waitForFinal(storedIds, timeoutMs);
    const items: ResultView[] = results.map((result) =>
      viewResult(result, "item" in result ? current.get(result.item.id) : undefined),
    );
    const accepted = storedIds.length;
    const refused = results.length - accepted;
    if (accepted === 0) {
      const codes = new Set(results.map((result) => ("error" in result ? result.error.code : "invalid")));
      const only = codes.size === 1 ? [...codes][0] : undefined;
      const status = only === undefined ? 400 : ITEM_ERRORS[only];
      if (only === "outbox-full") void reply.header("Retry-After", String(retryAfterSeconds(results)));
      return reply.code(status).send({ accepted, refused, items });
    }
    if (results.some((result) => "error" in result && result.error.code === "outbox-full")) {
      void reply.header("Retry-After", String(retryAfterSeconds(results)));
    }
    const allFinal = wait === "ack" && items.every((view) => "error" in view || FINAL_STATES.has(view.state));
    return reply.code(allFinal ? 200 : 202).send({ accepted, refused, items });
  }

  /** A replayed request: the original ids with their current states (refused items are refused again). */
  async function answerReplay(
    reply: FastifyReply,
    ids: readonly (string | null)[],
    wait: "accepted" | "ack",
    timeoutMs: number,
  ): Promise<FastifyReply> {
    const found = context.outbox.getMany(ids.map((id) => id ?? ""));
    const results: ItemResult[] = ids.map((id, index) => {
      const item = id === null ? undefined : found[index];
      return item === undefined
        ? { index, error: { code: "invalid", message: "this item was refused when the request was first made" } }
        : { index, item, replayed: true };
    });
    return answer(reply, results, wait, timeoutMs);
  }

  /** Waits until every id is final or `timeoutMs` passed; the items as they are then. */
  async function waitForFinal(ids: readonly string[], timeoutMs: number): Promise<Map<string, StoredItem>> {
    const pending = context.outbox
      .getMany(ids)
      .filter((item): item is StoredItem => item !== undefined && !FINAL_STATES.has(item.state))
      .map((item) => item.id);
    await context.waiters.waitFor(pending, timeoutMs);
    const now = new Map<string, StoredItem>();
    for (const item of context.outbox.getMany(ids)) if (item !== undefined) now.set(item.id, item);
    return now;
  }

  /**
   * Seconds until the full accounts have room for the refused items, from each one's drain rate: the
   * longest of them, at least 1, at most 60.
   */
  function retryAfterSeconds(results: readonly ItemResult[]): number {
    const refused = new Map<string, number>();
    for (const result of results) {
      if (!("error" in result) || result.error.code !== "outbox-full" || result.error.account === undefined) continue;
      refused.set(result.error.account, (refused.get(result.error.account) ?? 0) + 1);
    }
    let seconds = 1;
    for (const [name, count] of refused) {
      const account = context.accounts.find((candidate) => candidate.name === name);
      if (account === undefined) continue;
      const excess = context.outbox.depth(name).items + count - account.maxPendingItems;
      seconds = Math.max(seconds, Math.ceil(Math.max(excess, count) / Math.max(1, context.drainRate(name))));
    }
    return Math.min(60, seconds);
  }

  app.get("/v1/contributions/:id", async (request, reply) => {
    const producer = authenticate(request, reply);
    if (producer === undefined) return reply;
    const { id } = request.params as { id: string };
    const item = context.outbox.get(id);
    // An item outside the key's scope is as unknown to it as one that does not exist.
    if (item === undefined || !producer.may(item.account, item.ric)) {
      return sendError(reply, 404, "not-found", `no contribution with id ${JSON.stringify(id)}`);
    }
    return reply.send(viewItem(item));
  });

  app.get("/v1/rics/:ric", async (request, reply) => {
    const producer = authenticate(request, reply);
    if (producer === undefined) return reply;
    const { ric } = request.params as { ric: string };
    const account = context.accounts.find((candidate) => candidate.rics.matches(ric));
    const values = context.outbox.lastValues(ric);
    if (account === undefined || !producer.may(account.name, ric) || Object.keys(values).length === 0) {
      return sendError(reply, 404, "not-found", `no acknowledged value of ${JSON.stringify(ric)}`);
    }
    const fields: Record<string, { value: unknown; id: string; ackedAt: string }> = {};
    for (const [name, last] of Object.entries(values)) {
      fields[name] = { value: last.value, id: last.id, ackedAt: new Date(last.ackedAtMs).toISOString() };
    }
    return reply.send({ ric, fields });
  });

  app.get("/v1/outcomes", async (request, reply) => {
    const producer = authenticate(request, reply);
    if (producer === undefined) return reply;
    const query = request.query as Record<string, string | undefined>;
    const after = query.after ?? (request.headers["last-event-id"] as string | undefined) ?? "0";
    if (!/^\d{1,15}$/.test(after)) {
      return sendError(reply, 400, "bad-request", "after must be a cursor (a whole number) from an earlier event");
    }
    return streamOutcomes(request, reply, { ...context, producer, after: Number(after), streams });
  });

  app.get("/healthz", () => ({ status: "ok" }));
  app.get("/readyz", (_request, reply) => {
    const accounts = context.readiness();
    const writable = context.outbox.writable;
    const ready = !context.closing() && writable && accounts.every((account) => account.state === "ready");
    return reply.code(ready ? 200 : 503).send({ ready, outbox: { path: context.outbox.path, writable }, accounts });
  });
  app.get("/metrics", async (_request, reply) =>
    reply.type("text/plain; version=0.0.4; charset=utf-8").send(await context.metrics.text()),
  );
  app.get("/openapi.json", () => openApiDocument());
  registerStatusPage(app, { status: context.status, onOutcomes: context.onOutcomes, closing: context.closing });
  return app;
}

/** A JSON body: one item or an array of items. */
function parseJsonBody(body: string): { items: unknown[] } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return { error: `the body is not JSON: ${(error as Error).message}` };
  }
  return { items: Array.isArray(parsed) ? parsed : [parsed] };
}

/** An NDJSON body: one item per line (blank lines skipped); a line that is not JSON is that item's error. */
function parseNdjson(body: string): { items: unknown[] } {
  const items: unknown[] = [];
  let line = 0;
  for (const text of body.split("\n")) {
    line += 1;
    if (text.trim() === "") continue;
    try {
      items.push(JSON.parse(text));
    } catch (error) {
      items.push(new Unparsable(`line ${line} is not JSON: ${(error as Error).message}`));
    }
  }
  return { items };
}
