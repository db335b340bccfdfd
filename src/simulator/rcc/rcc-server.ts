/**
 * The simulated RCC WebSocket server of one listener (§2.1, checklist items 10, 17, 29, 31): checks the
 * upgrade, keeps the registry of live connections, and applies the one-shot faults (`system-busy`,
 * `disconnect`) to the connections they are scoped to.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { RCC_SERVICE, SUBPROTOCOLS, WEBSOCKET_PATH } from "../../protocol/messages.js";
import { type ActiveFault, matchesScope } from "../faults.js";
import { guardSocket, sendRawHttpError } from "../http-util.js";
import type { SimulatorContext, TokenValidator } from "../types.js";
import { RccConnection } from "./connection.js";
import { ConnectionSlots } from "./connection-slots.js";
import { buildFieldTable } from "../../protocol/field-table.js";
import { RicMatcher } from "./ric-matcher.js";
import type { ServerResources } from "./session.js";
import type { SubscriptionRegistry } from "./subscription-registry.js";

/** How long a teardown waits for peers to complete the close handshake before cutting them, ms. */
const SHUTDOWN_GRACE_MS = 1_000;

/** The RCC WebSocket endpoint of one listener. */
export class RccServer {
  readonly #resources: ServerResources;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<RccConnection>();
  readonly #slots: ConnectionSlots;
  #closing = false;
  readonly #onFault = (fault: ActiveFault): void => {
    if (fault.type !== "system-busy" && fault.type !== "disconnect") return;
    for (const connection of [...this.#connections]) {
      if (!matchesScope(fault, { listener: this.#resources.listener, connection: connection.info.id })) continue;
      if (fault.type === "system-busy") connection.systemBusy();
      else connection.drop();
    }
  };

  /**
   * @param context the simulator's configuration, clock, faults, state and logger.
   * @param tokens validates the access tokens presented in Logins (item 9).
   * @param listener this listener's index (0-based, `wsUrls` order), for fault scopes and state.
   * @param subscriptions the item streams and items of the whole simulator; every listener gets the same one.
   * @param slots the simulator-wide connection count (`maxConnections`); every listener gets the same one.
   *   @default a count of this listener's own, of `maxConnections`
   */
  constructor(
    context: SimulatorContext,
    tokens: TokenValidator,
    listener: number,
    subscriptions: SubscriptionRegistry,
    slots: ConnectionSlots = new ConnectionSlots(context.config.maxConnections),
  ) {
    const { config } = context;
    this.#slots = slots;
    const permissions = new Map(config.accounts.map((account) => [account.user, new RicMatcher(account.rics)]));
    const fields = buildFieldTable(config.fields);
    const services = Object.entries(config.services);
    this.#resources = {
      context,
      tokens,
      listener,
      fields,
      fieldNamesByFid: new Map([...fields].map(([name, definition]) => [definition.fid, name])),
      profile: config.profile,
      subscriptions,
      serviceIdsByName: new Map(services),
      serviceIds: new Set(Object.values(config.services)),
      serviceNamesById: new Map(services.map(([name, id]) => [id, name])),
      defaultService: services[0]?.[0] ?? RCC_SERVICE,
      permissionsOf: (user) => permissions.get(user),
    };
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Larger than the configured limit so the connection, not ws, enforces it and closes 1009 (item 30).
      maxPayload: config.maxMessageBytes * 2 + 65_536,
      handleProtocols: (protocols) => pickSubprotocol(protocols) ?? false,
    });
    context.faults.on("fault", this.#onFault);
  }

  /** Live connections on this listener. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Called from a node:http(s) server's `upgrade` event. Checks the path `/WebSocket` and the subprotocol
   * (`tr_json2` or `rssl.json.v2`, §2.1, item 10); refuses with HTTP 400 and a plain-text reason otherwise,
   * and with 503 while shutting down or when `maxConnections` are open.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    guardSocket(socket);
    if (this.#closing) return sendRawHttpError(socket, 503, "The server is shutting down.");
    const path = (req.url ?? "").split("?", 1)[0];
    if (path !== WEBSOCKET_PATH) {
      return sendRawHttpError(
        socket,
        400,
        `Unknown path '${path ?? ""}': the RCC WebSocket endpoint is ${WEBSOCKET_PATH}.`,
      );
    }
    const offered = parseProtocolHeader(req.headers["sec-websocket-protocol"]);
    if (pickSubprotocol(offered) === undefined) {
      return sendRawHttpError(
        socket,
        400,
        `Unsupported WebSocket subprotocol: offer ${SUBPROTOCOLS.join(" or ")} in Sec-WebSocket-Protocol (offered: ${
          offered.size === 0 ? "none" : [...offered].join(", ")
        }).`,
      );
    }
    if (!this.#slots.tryTake()) {
      this.#resources.context.log.info({ limit: this.#slots.limit }, "connection refused: too many connections");
      return sendRawHttpError(
        socket,
        503,
        `Too many connections: the server accepts at most ${this.#slots.limit} at once; try again later.`,
      );
    }
    // The slot is the socket's until it closes, whether ws completes the handshake or aborts it.
    socket.once("close", () => this.#slots.release());
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.#closing) {
        ws.terminate();
        return;
      }
      const remoteAddress = (req.socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
      const connection = new RccConnection(ws, this.#resources, remoteAddress);
      this.#connections.add(connection);
      void connection.closed.then(() => this.#connections.delete(connection));
    });
  }

  /** Server-initiated teardown: close 1001 to every connection, then terminate stragglers; resolves when all are gone. */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#resources.context.faults.off("fault", this.#onFault);
    }
    await Promise.all([...this.#connections].map((connection) => connection.shutdown(SHUTDOWN_GRACE_MS)));
    await new Promise<void>((resolve) => {
      this.#wss.close(() => {
        resolve();
      });
    });
  }
}

/** The subprotocol to answer with: `tr_json2` by preference, else its alias `rssl.json.v2` (§2.1). */
function pickSubprotocol(offered: ReadonlySet<string>): string | undefined {
  return SUBPROTOCOLS.find((protocol) => offered.has(protocol));
}

function parseProtocolHeader(header: string | undefined): Set<string> {
  if (header === undefined) return new Set();
  return new Set(
    header
      .split(",")
      .map((token) => token.trim())
      .filter((token) => token !== ""),
  );
}
