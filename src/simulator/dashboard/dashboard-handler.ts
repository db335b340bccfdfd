/**
 * HTTP side of the simulator's dashboard, on the main HTTP server next to the token endpoint and
 * the admin API: `GET /` is the page, `GET /dashboard/<file>` its static files, and `GET /dashboard/events`
 * the live server-sent event stream. With an admin token configured, the stream requires it (as
 * `Authorization: Bearer <token>` or `?token=<token>`, since EventSource cannot set headers); the page and
 * its files hold no data and stay open so the browser can load them.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../http-util.js";
import type { SimulatorContext } from "../types.js";
import { DashboardFeed, type DashboardFeedOptions } from "./dashboard-feed.js";
import type { ServerFacts } from "./feed-types.js";
import { SseClient, type SseClientOptions } from "./sse-client.js";
import { type Asset, SECURITY_HEADERS, loadAssets, sendAsset } from "./static-assets.js";

/** What the dashboard needs besides the shared context. */
export interface DashboardDependencies {
  context: SimulatorContext;
  /** When set, the event stream requires this token (the admin API's). @default undefined (open) */
  adminToken?: string;
  /** Describes the WebSocket listeners for the snapshot. @default no listeners listed */
  listeners?: () => { url: string }[];
  /** Feed timings; used when the first page of this simulator connects. @default DEFAULT_FEED_OPTIONS */
  feed?: Partial<DashboardFeedOptions>;
  /** Stream options (heartbeat interval, retry delay). @default heartbeat 15 s, retry 2 s */
  stream?: SseClientOptions;
}

/** Path prefix of the dashboard's files and stream. */
const DASHBOARD_PREFIX = "/dashboard";

const feeds = new WeakMap<SimulatorContext, DashboardFeed>();
let assets: Map<string, Asset> | undefined;

/** The feed of a simulator, created on first use; one per simulator, shared by all its pages. */
function dashboardFeed(deps: DashboardDependencies): DashboardFeed {
  let feed = feeds.get(deps.context);
  if (!feed) {
    const { context } = deps;
    const facts = (): ServerFacts => ({
      wsUrls: deps.listeners?.().map((listener) => listener.url) ?? [],
      maxMessagesPerSecond: context.config.maxMessagesPerSecond,
      knownRics: [...context.config.rics],
    });
    feed = new DashboardFeed(context, facts, deps.feed);
    feeds.set(context, feed);
  }
  return feed;
}

/** Whether the request carries the admin token, compared in constant time (hashes have equal lengths). */
function dashboardAuthorised(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization;
  const given = header?.startsWith("Bearer ") ? header.slice(7) : (url.searchParams.get("token") ?? "");
  const digest = (text: string): Buffer => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** Handles `/`, `/dashboard` and everything under `/dashboard/`. Never throws. */
export function handleDashboard(deps: DashboardDependencies, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://simulator");
  const path = url.pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendJson(
      res,
      405,
      { error: "method_not_allowed", message: `${req.method ?? ""} is not allowed on ${path}` },
      {
        Allow: "GET, HEAD",
      },
    );
    return;
  }
  if (path === DASHBOARD_PREFIX || path === `${DASHBOARD_PREFIX}/`) {
    // The page lives at "/" so that its relative links (dashboard/app.js, admin/faults) resolve.
    res.writeHead(308, { Location: `/${url.search}`, "Cache-Control": "no-store" });
    res.end();
    return;
  }
  if (path === `${DASHBOARD_PREFIX}/events`) {
    openStream(deps, req, res, url);
    return;
  }
  let files: Map<string, Asset>;
  try {
    assets ??= loadAssets();
    files = assets;
  } catch (error) {
    deps.context.log.error({ err: error }, "dashboard files missing");
    sendJson(res, 500, { error: "internal_error", message: (error as Error).message });
    return;
  }
  const name = path === "/" ? "index.html" : path.slice(DASHBOARD_PREFIX.length + 1);
  const asset = files.get(name);
  if (asset === undefined || (path !== "/" && !path.startsWith(`${DASHBOARD_PREFIX}/`))) {
    sendJson(res, 404, { error: "not_found", message: `nothing at ${path}; the dashboard is at /` });
    return;
  }
  sendAsset(req, res, asset);
}

function openStream(deps: DashboardDependencies, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (!dashboardAuthorised(req, url, deps.adminToken)) {
    sendJson(res, 401, {
      error: "unauthorized",
      message: "the dashboard stream requires the admin token: open the page as /?token=<admin token>",
    });
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    Connection: "keep-alive",
    // Tell buffering reverse proxies (nginx) to pass events through at once.
    "X-Accel-Buffering": "no",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  req.socket.setNoDelay(true);
  const client = new SseClient(res, deps.context.clock, deps.stream);
  const unsubscribe = dashboardFeed(deps).subscribe(client);
  res.on("close", () => {
    unsubscribe();
    client.close();
  });
}
