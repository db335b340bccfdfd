/**
 * The simulator's admin HTTP API (documented in docs/simulator.md): state, recent contributions, recorded
 * messages and fault injection. Answers JSON only; bad requests get a 4xx with a precise `message`.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { FAULT_TYPES, type FaultSpec } from "./faults.js";
import { BodyTooLargeError, readBody, sendJson } from "./http-util.js";
import { MAX_PAGE_LIMIT, type PageInfo, type PageRequest, newestPage } from "./state.js";
import type { SimulatorContext } from "./types.js";

const faultSchema = z
  .object({
    type: z.enum(FAULT_TYPES),
    listener: z.number().int().min(0).optional(),
    connection: z.string().min(1).optional(),
    durationMs: z.number().int().positive().optional(),
    count: z.number().int().positive().optional(),
    ms: z.number().int().min(0).max(600_000).optional(),
    code: z.string().min(1).optional(),
    text: z.string().optional(),
    status: z.number().int().min(100).max(599).optional(),
    ric: z.string().min(1).optional(),
    seconds: z.number().int().positive().optional(),
  })
  .strict();

/** What the admin API needs besides the shared context. */
export interface AdminDependencies {
  context: SimulatorContext;
  /** Describes the listeners for `GET /admin/state`. */
  listeners: () => { index: number; url: string; listening: boolean; connections: number }[];
  /** When set, every admin request must carry `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
}

function authorised(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization ?? "";
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function problem(res: ServerResponse, status: number, error: string, message: string): void {
  sendJson(res, status, { error, message });
}

/** Handles a request under `/admin/`. Never throws. */
export async function handleAdmin(deps: AdminDependencies, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { context } = deps;
  const url = new URL(req.url ?? "/", "http://simulator");
  if (!authorised(req, deps.adminToken)) {
    problem(res, 401, "unauthorized", "the admin API requires 'Authorization: Bearer <admin token>'");
    return;
  }
  const route = `${req.method ?? "GET"} ${url.pathname.replace(/\/+$/, "")}`;
  try {
    switch (route) {
      case "GET /admin/state": {
        const page = readPage(url, res);
        if (page === undefined) return;
        const faults = newestPage(context.faults.list(), { offset: 0, limit: MAX_PAGE_LIMIT });
        sendJson(res, 200, {
          ...context.state.snapshot(context.clock.now(), page),
          listeners: deps.listeners(),
          faults: faults.items.reverse(),
          faultCount: faults.page.total,
          maxMessagesPerSecond: context.config.maxMessagesPerSecond,
        });
        return;
      }
      case "GET /admin/contributions": {
        const page = readPage(url, res);
        if (page === undefined) return;
        const posts = context.state.contributions(url.searchParams.get("ric") ?? undefined);
        const { items, info } = budgetedPage(posts, page);
        sendJson(res, 200, { contributions: items, page: info });
        return;
      }
      case "GET /admin/messages": {
        const page = readPage(url, res);
        if (page === undefined) return;
        const connection = url.searchParams.get("connection");
        const all = context.state.recordedMessages.toArray();
        const messages = connection === null ? all : all.filter((entry) => entry.connectionId === connection);
        const { items, info } = budgetedPage(messages, page);
        sendJson(res, 200, { messages: items, page: info });
        return;
      }
      case "GET /admin/faults": {
        const faults = newestPage(context.faults.list(), { offset: 0, limit: MAX_PAGE_LIMIT });
        sendJson(res, 200, { faults: faults.items.reverse(), faultCount: faults.page.total });
        return;
      }
      case "POST /admin/faults": {
        const spec = await readFault(req, res);
        if (spec === undefined) return;
        // Every post looks through the active faults: their number is bounded like the simulator's other state.
        if (context.faults.list().length >= MAX_PAGE_LIMIT) {
          problem(res, 409, "too_many_faults", `at most ${MAX_PAGE_LIMIT} faults may be active; clear some first`);
          return;
        }
        const fault = context.faults.add(spec);
        context.log.info({ fault: { ...fault } }, "fault injected");
        sendJson(res, 201, { fault });
        return;
      }
      case "DELETE /admin/faults": {
        const typeParam = url.searchParams.get("type");
        const type = typeParam === null ? undefined : z.enum(FAULT_TYPES).safeParse(typeParam);
        if (type !== undefined && !type.success) {
          problem(res, 400, "bad_request", `unknown fault type '${typeParam ?? ""}'; known: ${FAULT_TYPES.join(", ")}`);
          return;
        }
        sendJson(res, 200, { cleared: context.faults.clear(type?.data) });
        return;
      }
      default:
        if (["/admin/state", "/admin/contributions", "/admin/messages", "/admin/faults"].includes(url.pathname)) {
          problem(res, 405, "method_not_allowed", `${req.method ?? ""} is not allowed on ${url.pathname}`);
        } else {
          problem(res, 404, "not_found", `no admin route ${url.pathname}`);
        }
    }
  } catch (error) {
    context.log.error({ err: error }, "admin request failed");
    if (!res.headersSent) problem(res, 500, "internal_error", "the admin request failed; see the simulator log");
  }
}

/**
 * Most bytes of entries one list answer (`/admin/contributions`, `/admin/messages`) carries: recorded frames may
 * be up to `maxMessageBytes` each, and a page of them must stay one modest string. @default 4 MiB
 */
const MAX_LIST_ANSWER_BYTES = 4 * 1024 * 1024;

/** `?limit=` (positive, at most {@link MAX_PAGE_LIMIT}: larger asks are clamped) and `?offset=` (from the newest). */
function readPage(url: URL, res: ServerResponse): PageRequest | undefined {
  const limit = readCount(url.searchParams.get("limit"), MAX_PAGE_LIMIT, 1);
  const offset = readCount(url.searchParams.get("offset"), 0, 0);
  if (limit === undefined || offset === undefined) {
    problem(res, 400, "bad_request", "'limit' must be a positive integer and 'offset' a non-negative one");
    return undefined;
  }
  return { limit: Math.min(limit, MAX_PAGE_LIMIT), offset };
}

function readCount(raw: string | null, fallback: number, min: number): number | undefined {
  if (raw === null) return fallback;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= min ? value : undefined;
}

/**
 * The newest page of `entries` (oldest first), cut further so that its JSON stays within
 * {@link MAX_LIST_ANSWER_BYTES}; listed oldest first, as these answers always were.
 */
function budgetedPage<T>(entries: readonly T[], request: PageRequest): { items: T[]; info: PageInfo } {
  const { items, page } = newestPage(entries, request);
  let bytes = 0;
  let kept = 0;
  for (const item of items) {
    bytes += Buffer.byteLength(JSON.stringify(item)) + 1;
    if (bytes > MAX_LIST_ANSWER_BYTES && kept > 0) break;
    kept += 1;
  }
  const info: PageInfo = { ...page, returned: kept };
  if (kept < items.length || page.nextOffset !== undefined) info.nextOffset = page.offset + kept;
  return { items: items.slice(0, kept).reverse(), info };
}

async function readFault(req: IncomingMessage, res: ServerResponse): Promise<FaultSpec | undefined> {
  let text: string;
  try {
    text = await readBody(req, 16 * 1024);
  } catch (error) {
    if (error instanceof BodyTooLargeError) problem(res, 413, "payload_too_large", error.message);
    else problem(res, 400, "bad_request", "could not read the request body");
    return undefined;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problem(res, 400, "bad_request", 'the body must be a JSON object such as {"type":"system-busy"}');
    return undefined;
  }
  const parsed = faultSchema.safeParse(body);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
    problem(res, 400, "bad_request", `invalid fault: ${details.join("; ")}`);
    return undefined;
  }
  return parsed.data;
}
