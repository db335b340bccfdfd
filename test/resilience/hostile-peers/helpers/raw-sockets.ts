/**
 * Raw TCP (and TLS) sockets for the hostile-peer tests: requests written by hand and cut at any point, TCP resets
 * (`resetAndDestroy` sends RST), WebSocket upgrades done by hand on a socket the test may then stop reading, and
 * masked client frames (RFC 6455 §5.3). Every socket opened here is tracked and destroyed by
 * {@link destroyAllRawSockets}.
 */
import { once } from "node:events";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { randomBytes } from "node:crypto";

const openSockets = new Set<Socket>();

/** Destroys every socket still open (for `afterEach`). */
export function destroyAllRawSockets(): void {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
}

/** A raw connection: `tcp` is the TCP socket (reset it to send RST), `stream` what to write the request to. */
export interface RawConnection {
  readonly tcp: Socket;
  /** The TLS socket over `tcp` for an https/wss URL, else `tcp` itself. */
  readonly stream: Socket;
  /** Resolves once the server has closed (or reset) the connection. */
  readonly closed: Promise<void>;
  /** Everything received so far, as text. */
  received(): string;
}

/**
 * Opens a TCP connection to the host and port of `url` (and TLS over it, certificate unchecked, for
 * `https:`/`wss:`); resolves once it is connected (and the TLS handshake is done).
 */
export async function openRaw(url: string): Promise<RawConnection> {
  const { hostname, port, protocol } = new URL(url);
  const tcp = connectTcp({ host: hostname, port: Number(port) });
  openSockets.add(tcp);
  // A peer reset seen by the test's own socket is expected: these tests cause them.
  tcp.on("error", () => {});
  const closed = new Promise<void>((resolve) => tcp.once("close", () => resolve()));
  void closed.then(() => openSockets.delete(tcp));
  await once(tcp, "connect");
  let stream = tcp;
  if (protocol === "https:" || protocol === "wss:") {
    stream = connectTls({ socket: tcp, rejectUnauthorized: false, servername: "localhost" });
    stream.on("error", () => {});
    await once(stream, "secureConnect");
  }
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
  });
  return { tcp, stream, closed, received: () => text };
}

/** Sends a TCP reset (RST) and forgets the socket. */
export function reset(connection: RawConnection): void {
  if (!connection.tcp.destroyed) connection.tcp.resetAndDestroy();
}

/** An HTTP/1.1 WebSocket upgrade request for `path`, offering `protocol` (no Sec-WebSocket-Protocol when null). */
export function upgradeRequest(path: string, protocol: string | null = "tr_json2"): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n` +
    (protocol === null ? "" : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
    "\r\n"
  );
}

/** Resolves once `connection` has received at least `minBytes` (or its head, with `"\r\n\r\n"`). */
export async function waitForData(
  connection: RawConnection,
  until: number | string,
  timeoutMs = 3_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const satisfied = (): boolean =>
    typeof until === "number" ? connection.received().length >= until : connection.received().includes(until);
  while (!satisfied()) {
    if (Date.now() > deadline) throw new Error(`no ${String(until)} within ${timeoutMs} ms: ${connection.received()}`);
    await Promise.race([once(connection.stream, "data").catch(() => undefined), connection.closed, sleep(50)]);
    if (connection.tcp.destroyed && !satisfied())
      throw new Error(`closed before ${String(until)}: ${connection.received()}`);
  }
  return connection.received();
}

/** The status code of the HTTP response received on `connection` (waits for its status line). */
export async function responseStatus(connection: RawConnection, timeoutMs = 3_000): Promise<number> {
  const head = await waitForData(connection, "\r\n", timeoutMs);
  const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
  if (!status) throw new Error(`not an HTTP response: ${head.slice(0, 200)}`);
  return Number(status[1]);
}

/**
 * Opens a WebSocket by hand on a raw socket (upgrade request, waits for the 101). The socket is then the
 * test's: it may write frames with {@link clientTextFrame} and stop reading (`stream.pause()`).
 */
export async function upgradeByHand(wsUrl: string, protocol = "tr_json2"): Promise<RawConnection> {
  const connection = await openRaw(wsUrl);
  connection.stream.write(upgradeRequest(new URL(wsUrl).pathname, protocol));
  const head = await waitForData(connection, "\r\n\r\n");
  if (!head.startsWith("HTTP/1.1 101")) throw new Error(`upgrade refused: ${head.slice(0, 200)}`);
  return connection;
}

/** A masked client text frame (RFC 6455 §5.2, §5.3) holding `text`. */
export function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x81;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65_536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  const masked = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) masked[index] = payload[index]! ^ mask[index & 3]!;
  return Buffer.concat([header, mask, masked]);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
