/**
 * A tiny raw WebSocket client for simulator tests: plain `ws`, no library code in between, so tests see
 * exactly what the server sends (docs/protocol.md §2). Every received frame is split into its message
 * elements and logged; `next` waits for the first not-yet-taken element matching a predicate
 * ({@link MessageWaiter}).
 */
import { afterEach } from "vitest";
import WebSocket from "ws";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";
import { passwordGrant, type GrantedTokens, type TestAccount } from "./auth.js";
import { MessageWaiter } from "./message-waiter.js";

/** A received message element (servers send arrays; each element is one message). */
export type Received = Record<string, any>;

/** How a connection ended. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Error of a refused upgrade: the HTTP status and plain-text body the server answered with. */
export class UpgradeRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade refused with HTTP ${status}: ${body}`);
  }
}

/** A connected raw client. */
export interface RawClient {
  readonly ws: WebSocket;
  /** The subprotocol the server chose. */
  readonly protocol: string;
  /** Every message element received so far, in order. */
  readonly messages: Received[];
  /** Every raw text frame received so far, in order. */
  readonly frames: string[];
  /** Resolves when the socket closes, with the close code. */
  readonly closed: Promise<CloseInfo>;
  /** Sends an object/array as JSON, or a string as is. */
  send(message: unknown): void;
  /**
   * The first message not yet taken by an earlier `next` that matches `predicate`, waiting up to
   * `timeoutMs` for it. @default timeoutMs 2000
   */
  next(predicate?: (message: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** Rejects if a message matching `predicate` arrives (or has arrived, untaken) within `waitMs`. */
  none(predicate: (message: Received) => boolean, waitMs: number): Promise<void>;
  /** Closes (1000) and waits for the close to complete. */
  close(): Promise<CloseInfo>;
}

/** Options of {@link connectRaw}. */
export interface ConnectRawOptions {
  /** Subprotocols to offer. @default ["tr_json2"] */
  protocols?: string[];
}

const openClients = new Set<RawClient>();

/** Closes every raw client still open (for `afterEach`). */
export async function closeAllRawClients(): Promise<void> {
  const clients = [...openClients];
  openClients.clear();
  await Promise.all(
    clients.map((client) => {
      if (client.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
      // terminate: a server under test may not answer the close handshake (e.g. after a fault).
      client.ws.terminate();
      return client.closed;
    }),
  );
}

/**
 * Opens a WebSocket to `url`; the client is registered for {@link closeAllRawClients}.
 * @throws UpgradeRefusedError when the server answers the upgrade with an HTTP error.
 */
export function connectRaw(url: string, options: ConnectRawOptions = {}): Promise<RawClient> {
  const ws = new WebSocket(url, options.protocols ?? ["tr_json2"], { perMessageDeflate: false });
  const waiter = new MessageWaiter<Received>();
  const messages = waiter.items;
  const frames: string[] = [];
  const closed = new Promise<CloseInfo>((resolve) => {
    ws.on("close", (code, reason) => {
      resolve({ code, reason: reason.toString() });
      waiter.wake();
    });
  });
  ws.on("message", (data) => {
    const text = (data as Buffer).toString("utf8");
    frames.push(text);
    const parsed: unknown = JSON.parse(text);
    waiter.push(...((Array.isArray(parsed) ? parsed : [parsed]) as Received[]));
  });

  const client: RawClient = {
    ws,
    get protocol() {
      return ws.protocol;
    },
    messages,
    frames,
    closed,
    send(message) {
      ws.send(typeof message === "string" ? message : JSON.stringify(message));
    },
    next(predicate = () => true, timeoutMs = 2_000) {
      return waiter.next(
        predicate,
        timeoutMs,
        () => `no matching message within ${timeoutMs} ms; received: ${JSON.stringify(messages)}`,
      );
    },
    none(predicate, waitMs) {
      return new Promise((resolve, reject) => {
        setTimeout(() => {
          const index = waiter.findUntaken(predicate);
          if (index < 0) resolve();
          else reject(new Error(`unexpected message: ${JSON.stringify(messages[index])}`));
        }, waitMs);
      });
    },
    async close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
      return closed;
    },
  };

  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      openClients.add(client);
      void closed.then(() => openClients.delete(client));
      resolve(client);
    });
    ws.once("unexpected-response", (_request, response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        reject(new UpgradeRefusedError(response.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
      });
      response.on("error", reject);
    });
    ws.once("error", reject);
  });
}

/** The Login request of §2.4 for `token`. */
export function loginRequest(token: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ID: 1,
    Domain: "Login",
    Key: {
      NameType: "AuthnToken",
      Elements: { ApplicationId: "256", Position: "127.0.0.1/rcc-test", AuthenticationToken: token },
    },
    ...extra,
  };
}

/** A logged-in raw client and the tokens it used. */
export interface LoggedInClient {
  client: RawClient;
  tokens: GrantedTokens;
  /** The Login Refresh the server answered with. */
  refresh: Received;
}

/**
 * Gets a token over HTTP (password grant), connects to `wsUrl` and logs in.
 * @throws when the server does not answer the Login with a Refresh.
 */
export async function loginRaw(
  wsUrl: string,
  authUrl: string,
  account: TestAccount,
  options: ConnectRawOptions = {},
): Promise<LoggedInClient> {
  const tokens = await passwordGrant(authUrl, account);
  const client = await connectRaw(wsUrl, options);
  client.send(loginRequest(tokens.accessToken));
  const refresh = await client.next((message) => message.Domain === "Login");
  if (refresh.Type !== "Refresh") {
    await client.close();
    throw new Error(`login refused: ${JSON.stringify(refresh)}`);
  }
  return { client, tokens, refresh };
}

/** An off-stream post (§2.8) on stream 1 with `Ack:true`. */
export function post(
  postId: number,
  ric: string,
  fields: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    Type: "Post",
    ID: 1,
    Ack: true,
    PostID: postId,
    Key: { Service: "DDS_TRCE", Name: ric },
    Message: { Type: "Update", ID: 0, Fields: fields },
    ...extra,
  };
}

/**
 * Registers an `afterEach` that closes every raw client, then every simulator started through the returned
 * function. Call once at the top of a test file.
 */
export function useSimulators(): (options?: SimulatorOptions) => Promise<RunningSimulator> {
  const running: RunningSimulator[] = [];
  afterEach(async () => {
    await closeAllRawClients();
    await Promise.all(running.splice(0).map((simulator) => simulator.close()));
  });
  return async (options = {}) => {
    const simulator = await startSimulator(options);
    running.push(simulator);
    return simulator;
  };
}
