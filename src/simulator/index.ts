/**
 * The local RCC simulator: the RDP Auth Gateway token endpoint, one or more RCC WebSocket listeners, and the
 * admin API, all on 127.0.0.1 with ephemeral ports by default.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { systemClock, type Clock } from "../util/clock.js";
import { silentLogger, type Logger } from "../util/logger.js";
import { handleAdmin } from "./admin-api.js";
import { handleDashboard } from "./dashboard/dashboard-handler.js";
import { AuthService } from "./auth/auth-service.js";
import { resolveConfig, type SimulatorConfigInput } from "./config.js";
import { FaultRegistry } from "./faults.js";
import { guardSocket, hardenServer, requestTimeoutOptions, sendJson, sendRawHttpError } from "./http-util.js";
import { ConnectionSlots } from "./rcc/connection-slots.js";
import { RccServer } from "./rcc/rcc-server.js";
import { SubscriptionRegistry } from "./rcc/subscription-registry.js";
import { SimulatorState } from "./state.js";
import { generateSelfSigned, type TlsMaterial } from "./tls.js";
import type { SimulatorConfig, SimulatorContext } from "./types.js";

/** Options of {@link startSimulator}: the configuration keys of {@link SimulatorConfigInput} plus these. */
export interface SimulatorOptions extends SimulatorConfigInput {
  /** Port of the HTTP server holding the token endpoint and the admin API; 0 picks a free one. @default 0 */
  httpPort?: number;
  /** Number of RCC WebSocket listeners (endpoints for failover tests). Ignored when `wsPorts` is given. @default 1 */
  listeners?: number;
  /** Fixed ports of the WebSocket listeners, one per listener (0 = a free one). */
  wsPorts?: number[];
  /** Serve `https://` and `wss://`: `true` generates a self-signed pair for localhost. @default false */
  tls?: boolean | TlsMaterial;
  /** When set, the admin API requires `Authorization: Bearer <adminToken>`. @default undefined (open) */
  adminToken?: string;
  /** Time source. @default systemClock */
  clock?: Clock;
  /** Logger; nothing is logged by default. @default silentLogger */
  log?: Logger;
}

/** One WebSocket listener of a running simulator. */
export interface ListenerHandle {
  index: number;
  url: string;
  readonly listening: boolean;
  readonly connections: number;
}

/** A running simulator. */
export interface RunningSimulator {
  /** Token endpoint, e.g. `http://127.0.0.1:40001/auth/oauth2/v1/token`. */
  authUrl: string;
  /** WebSocket endpoints in listener order, e.g. `ws://127.0.0.1:40002/WebSocket`. */
  wsUrls: string[];
  /** Base URL of the admin API, e.g. `http://127.0.0.1:40001/admin`. */
  adminUrl: string;
  /** The live dashboard page, e.g. `http://127.0.0.1:40001/` (add `?token=<adminToken>` when one is set). */
  dashboardUrl: string;
  /** The configured accounts (user, password, clientId) — local test credentials. */
  accounts: { user: string; password: string; clientId: string }[];
  /** PEM certificate clients must trust when TLS is on. */
  certificate?: string;
  config: SimulatorConfig;
  /**
   * What `GET /admin/state` shows, live: connections, RICs, `counters`, `maxMessagesInWindow`, and
   * `loginsByUser` (sessions logged in per machine ID, now and at most at once).
   */
  state: SimulatorState;
  faults: FaultRegistry;
  listeners: ListenerHandle[];
  /** Stops one WebSocket listener: its connections are closed (1001) and new ones refused. */
  stopListener(index: number): Promise<void>;
  /** Starts a stopped listener again on the same port. */
  startListener(index: number): Promise<void>;
  /** Closes everything; resolves when every socket is gone. */
  close(): Promise<void>;
}

type AnyServer = Server;

function listen(server: AnyServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: AnyServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Starts the simulator.
 * @throws when a port is taken or the options are invalid (the message names the key).
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const {
    httpPort = 0,
    listeners: listenerCount = 1,
    wsPorts,
    tls,
    adminToken,
    clock = systemClock,
    log = silentLogger,
    ...configInput
  } = options;
  const config = resolveConfig(configInput);
  const material = tls === true ? await generateSelfSigned() : tls === false || tls === undefined ? undefined : tls;
  const context: SimulatorContext = {
    config,
    clock,
    faults: new FaultRegistry(clock),
    state: new SimulatorState({ recentPosts: config.recentPostsLimit, recordedMessages: config.recordedMessagesLimit }),
    log,
  };
  const timeouts = requestTimeoutOptions(config.handshakeTimeoutMs);
  /** Every server of the simulator, hardened against hostile peers; `settle` hands a socket over to an upgrade. */
  const makeServer = (
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): { server: Server; settle: (socket: Duplex) => void } => {
    const server = material
      ? createHttpsServer({ cert: material.cert, key: material.key, ...timeouts }, handler)
      : createHttpServer(timeouts, handler);
    const { settle } = hardenServer(server, {
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      tls: material !== undefined,
    });
    return { server, settle };
  };
  const httpScheme = material ? "https" : "http";
  const wsScheme = material ? "wss" : "ws";
  const host = hostForUrl(config.host);

  const auth = new AuthService(context);
  const slots = new ConnectionSlots(config.maxConnections);
  // One registry for all listeners: a contribution on any of them reaches subscribers on all (§4A.6 rule 5).
  const subscriptions = new SubscriptionRegistry(config.rics, context.state);
  const ports = wsPorts ?? new Array<number>(listenerCount).fill(0);
  if (ports.length === 0) throw new Error("invalid simulator options: at least one WebSocket listener is needed");

  interface Listener {
    index: number;
    port: number;
    server: Server;
    rcc: RccServer;
    url: string;
  }
  const listenerList: Listener[] = [];

  const { server: mainServer, settle: settleMain } = makeServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path.startsWith("/auth/oauth2/v1/token")) {
      auth.handle(req, res);
    } else if (path === "/admin" || path.startsWith("/admin/")) {
      void handleAdmin({ context, adminToken, listeners: describeListeners }, req, res);
    } else if (path === "/" || path === "/dashboard" || path.startsWith("/dashboard/")) {
      handleDashboard({ context, adminToken, listeners: describeListeners }, req, res);
    } else {
      sendJson(res, 404, {
        error: "not_found",
        message: `nothing at ${path}; the token endpoint is /auth/oauth2/v1/token`,
      });
    }
  });
  mainServer.on("upgrade", (_req, socket: Duplex) => {
    settleMain(socket);
    sendRawHttpError(socket, 400, "WebSocket connections go to the RCC listeners at /WebSocket");
  });

  const createListener = (index: number): Server => {
    const { server, settle } = makeServer((_req, res) => {
      res.writeHead(426, { "Content-Type": "text/plain", Upgrade: "websocket", Connection: "Upgrade" });
      res.end("This is an RCC WebSocket endpoint: connect to /WebSocket with subprotocol tr_json2\n");
    });
    server.on("upgrade", (req, socket: Duplex, head: Buffer) => {
      settle(socket);
      guardSocket(socket);
      const listener = listenerList[index];
      if (listener) listener.rcc.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    return server;
  };

  function describeListeners(): { index: number; url: string; listening: boolean; connections: number }[] {
    return listenerList.map((listener) => ({
      index: listener.index,
      url: listener.url,
      listening: listener.server.listening,
      connections: listener.rcc.connectionCount,
    }));
  }

  const mainPort = await listen(mainServer, httpPort, config.host);
  try {
    for (const [index, port] of ports.entries()) {
      const server = createListener(index);
      const actual = await listen(server, port, config.host);
      listenerList.push({
        index,
        port: actual,
        server,
        rcc: new RccServer(context, auth, index, subscriptions, slots),
        url: `${wsScheme}://${host}:${actual}/WebSocket`,
      });
    }
  } catch (error) {
    await Promise.all([closeServer(mainServer), ...listenerList.map((listener) => closeServer(listener.server))]);
    throw error;
  }

  const base = `${httpScheme}://${host}:${mainPort}`;
  log.info({ authUrl: `${base}/auth/oauth2/v1/token`, wsUrls: listenerList.map((l) => l.url) }, "simulator started");

  const getListener = (index: number): Listener => {
    const listener = listenerList[index];
    if (!listener) throw new RangeError(`no listener ${index}; there are ${listenerList.length}`);
    return listener;
  };

  let closed: Promise<void> | undefined;
  const running: RunningSimulator = {
    authUrl: `${base}/auth/oauth2/v1/token`,
    wsUrls: listenerList.map((listener) => listener.url),
    adminUrl: `${base}/admin`,
    dashboardUrl: `${base}/`,
    accounts: config.accounts.map(({ user, password, clientId }) => ({ user, password, clientId })),
    ...(material ? { certificate: material.cert } : {}),
    config,
    state: context.state,
    faults: context.faults,
    listeners: listenerList.map((listener) => ({
      index: listener.index,
      url: listener.url,
      get listening() {
        return listener.server.listening;
      },
      get connections() {
        return listener.rcc.connectionCount;
      },
    })),
    async stopListener(index) {
      const listener = getListener(index);
      await Promise.all([listener.rcc.close(), closeServer(listener.server)]);
      log.info({ listener: index }, "listener stopped");
    },
    async startListener(index) {
      const listener = getListener(index);
      if (listener.server.listening) return;
      listener.server = createListener(index);
      listener.rcc = new RccServer(context, auth, index, subscriptions, slots);
      await listen(listener.server, listener.port, config.host);
      log.info({ listener: index }, "listener started");
    },
    close() {
      closed ??= (async () => {
        await Promise.all(listenerList.map((listener) => listener.rcc.close()));
        await Promise.all([closeServer(mainServer), ...listenerList.map((listener) => closeServer(listener.server))]);
        log.info("simulator stopped");
      })();
      return closed;
    },
  };
  return running;
}

export { DEMO_ACCOUNT, DEMO_RIC, type SimulatorConfigInput } from "./config.js";
export { FAULT_TYPES, type FaultSpec, type FaultType, type ActiveFault, type FaultRegistry } from "./faults.js";
export type { SimulatorState, StateSnapshot, ConnectionInfo, ReceivedPost, UserLogins } from "./state.js";
export type { TlsMaterial } from "./tls.js";
export type { SimulatorConfig, Account } from "./types.js";
