/**
 * The gateway's HTTP API on fastify (docs/gateway.md, "HTTP API"): contributions in, their states and
 * outcomes out, health, readiness, metrics and the OpenAPI document. Every error has one JSON shape,
 * `{ "error": { "code", "message" } }`; a request's items each get their own result. Nothing a producer
 * sends is echoed into logs, and no key or password is ever logged.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { viewItem } from "../item-view.js";
import type { AppContext } from "./app-context.js";
import { openApiDocument } from "./openapi.js";
import { streamOutcomes } from "./outcome-stream.js";
import { registerContributions } from "./post-contributions.js";
import { authenticate, sendError } from "./replies.js";
import { registerStatusPage } from "./status-page.js";

/** Open connections at most; beyond it new ones are refused until one closes. */
const MAX_CONNECTIONS = 4096;

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

  registerContributions(app, context);

  app.get("/v1/contributions/:id", async (request, reply) => {
    const producer = authenticate(context.apiKeys, request, reply);
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
    const producer = authenticate(context.apiKeys, request, reply);
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
    const producer = authenticate(context.apiKeys, request, reply);
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
    const healthy = context.healthy?.() ?? true;
    const ready = !context.closing() && writable && healthy && accountsReady(accounts);
    const body = { ready, outbox: { path: context.outbox.path, writable }, accounts };
    return reply
      .code(ready ? 200 : 503)
      .send(context.cluster === undefined ? body : { ...body, cluster: context.cluster() });
  });
  app.get("/metrics", async (_request, reply) =>
    reply.type("text/plain; version=0.0.4; charset=utf-8").send(await context.metrics.text()),
  );
  app.get("/openapi.json", () => openApiDocument());
  registerStatusPage(app, { status: context.status, onOutcomes: context.onOutcomes, closing: context.closing });
  return app;
}

/**
 * Whether the accounts a gateway must serve are logged in: every account, or in cluster mode (`leader` given)
 * those this gateway leads.
 */
export function accountsReady(accounts: readonly { state: string; leader?: boolean }[]): boolean {
  return accounts.every((account) => account.leader === false || account.state === "ready");
}
