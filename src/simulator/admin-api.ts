/**
 * The simulator's admin HTTP API (documented in docs/simulator.md): state, recent contributions, recorded
 * messages and fault injection. Answers JSON only; bad requests get a 4xx with a precise `message`.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { FAULT_TYPES, type FaultSpec } from "./faults.js";
import { BodyTooLargeError, readBody, sendJson } from "./http-util.js";
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
      case "GET /admin/state":
        sendJson(res, 200, {
          ...context.state.snapshot(context.clock.now()),
          listeners: deps.listeners(),
          faults: context.faults.list(),
          maxMessagesPerSecond: context.config.maxMessagesPerSecond,
        });
        return;
      case "GET /admin/contributions": {
        const limit = parseLimit(url.searchParams.get("limit"));
        if (limit === undefined) {
          problem(res, 400, "bad_request", "'limit' must be a positive integer");
          return;
        }
        const posts = context.state.contributions(url.searchParams.get("ric") ?? undefined);
        sendJson(res, 200, { contributions: posts.slice(-limit) });
        return;
      }
      case "GET /admin/messages": {
        const limit = parseLimit(url.searchParams.get("limit"));
        if (limit === undefined) {
          problem(res, 400, "bad_request", "'limit' must be a positive integer");
          return;
        }
        const connection = url.searchParams.get("connection");
        const all = context.state.recordedMessages.toArray();
        const messages = connection === null ? all : all.filter((entry) => entry.connectionId === connection);
        sendJson(res, 200, { messages: messages.slice(-limit) });
        return;
      }
      case "GET /admin/faults":
        sendJson(res, 200, { faults: context.faults.list() });
        return;
      case "POST /admin/faults": {
        const spec = await readFault(req, res);
        if (spec === undefined) return;
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

function parseLimit(raw: string | null): number | undefined {
  if (raw === null) return 1000;
  const value = Number(raw);
  return Number.isInteger(value) && value > 0 ? value : undefined;
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
