/**
 * `POST /v1/contributions` (docs/gateway.md): one item, an array or NDJSON; `?wait=accepted|ack`,
 * `?timeout=`, `Idempotency-Key`. The items' checks, routing and storage are contributions.ts's; this file
 * parses the body, handles replays and waits, and turns the items' results into a status and a body.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { ITEM_ERRORS, type ItemResult, Unparsable, acceptItems } from "../contributions.js";
import { type ResultView, viewResult } from "../item-view.js";
import { FINAL_STATES, OutboxUnavailableError, RequestConflictError, type StoredItem } from "../outbox/outbox.js";
import type { AppContext } from "./app-context.js";
import { authenticate, sendError } from "./replies.js";

/** Idempotency-Key values accepted: 1–255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Registers the route on `app`. */
export function registerContributions(app: FastifyInstance, context: AppContext): void {
  /** Requests in progress by Idempotency-Key: a second one with the same key meanwhile is refused (409). */
  const requestsInProgress = new Set<string>();

  app.post("/v1/contributions", async (request, reply) => {
    const producer = authenticate(context.apiKeys, request, reply);
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
    } catch (error) {
      if (error instanceof RequestConflictError) {
        return await sendError(reply, 422, "idempotency-key-reused", error.message);
      }
      if (error instanceof OutboxUnavailableError) {
        context.log.warn({ err: error }, "items could not be stored");
        void reply.header("Retry-After", "1");
        return await sendError(
          reply,
          503,
          "unavailable",
          `${error.message}: try again (the same ids or Idempotency-Key)`,
        );
      }
      throw error;
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
    const stored = results.flatMap((result) => ("item" in result ? [result.item] : []));
    let current = new Map<string, StoredItem>();
    if (wait === "ack" && stored.length > 0) current = await waitForFinal(stored, timeoutMs);
    const items: ResultView[] = results.map((result) =>
      viewResult(result, "item" in result ? current.get(result.item.id) : undefined),
    );
    const accepted = stored.length;
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

  /**
   * Waits until every item is final or `timeoutMs` passed; the items that changed, as they are then. `items`
   * are as of this turn (just stored, or just read for a replay), so no outcome can have been missed.
   */
  async function waitForFinal(items: readonly StoredItem[], timeoutMs: number): Promise<Map<string, StoredItem>> {
    const pending = items.filter((item) => !FINAL_STATES.has(item.state)).map((item) => item.id);
    const waiting = context.waiters.waitFor(pending, timeoutMs); // registered now, before anything else runs
    // In cluster mode an item's leader can be another gateway, whose outcome may have reached this one's view
    // before the wait began (while the request's items were being published): told now, from the view.
    if (context.outbox.settlesElsewhere === true && pending.length > 0) {
      const final = context.outbox
        .getMany(pending)
        .filter((item) => item !== undefined && FINAL_STATES.has(item.state));
      if (final.length > 0) context.waiters.settled(final as StoredItem[]);
    }
    const current = await waiting;
    const late = pending.filter((id) => !current.has(id)); // still pending at the timeout: read their state now
    if (late.length > 0)
      for (const item of context.outbox.getMany(late)) if (item !== undefined) current.set(item.id, item);
    return current;
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
