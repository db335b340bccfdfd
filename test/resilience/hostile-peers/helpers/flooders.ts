/**
 * Peers that flood the simulator: a {@link Flooder} sends one frame again and again on a `ws` client as fast as
 * its socket takes it; {@link floodRaw} writes frames on a hand-made WebSocket ({@link upgradeByHand}) that the
 * test may have stopped reading. Frame builders make arrays of many tiny bad elements within `maxMessageBytes`.
 */
import { once } from "node:events";
import WebSocket from "ws";
import type { CloseInfo, RawClient } from "../../../helpers/raw-client.js";
import { type RawConnection, clientTextFrame } from "./raw-sockets.js";

/** A JSON array of `count` elements that are not messages (`1`: "JSON invalid container type."), 2 bytes each. */
export function badElementsFrame(count: number): string {
  return `[${new Array<string>(count).fill("1").join(",")}]`;
}

/** Bytes a flooder lets wait in its own socket before it waits for it to drain. */
const HIGH_WATER_BYTES = 256 * 1024;

/** Sends the same frame on a client again and again until stopped or closed. */
export class Flooder {
  readonly #client: RawClient;
  readonly #frame: string;
  #stopped = false;
  /** Frames sent so far. */
  sent = 0;
  /** Resolves when the loop has ended (stopped, or the connection closed). */
  readonly done: Promise<void>;

  private constructor(client: RawClient, frame: string) {
    this.#client = client;
    this.#frame = frame;
    this.done = this.#run();
  }

  /** Starts flooding `client` with `frame`. */
  static start(client: RawClient, frame: string): Flooder {
    return new Flooder(client, frame);
  }

  /** How the connection ended, once it has. */
  get closed(): Promise<CloseInfo> {
    return this.#client.closed;
  }

  /** Stops sending (the connection stays as it is). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.done;
  }

  async #run(): Promise<void> {
    const { ws } = this.#client;
    while (!this.#stopped && ws.readyState === WebSocket.OPEN) {
      if (ws.bufferedAmount < HIGH_WATER_BYTES) {
        ws.send(this.#frame);
        this.sent += 1;
        // Let the test's own I/O (the probe's Acks) run between frames.
        await new Promise((resolve) => setImmediate(resolve));
      } else {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    // Drop what the client itself still holds for the server: the server's answer is what counts.
    this.#client.messages.length = 0;
  }
}

/**
 * Writes `frame` as masked client frames on `connection` until `totalBytes` are written or the connection is
 * closed; waits for its socket to drain as needed. Resolves with the bytes written.
 */
export async function floodRaw(connection: RawConnection, frame: string, totalBytes: number): Promise<number> {
  const wire = clientTextFrame(frame);
  const { stream } = connection;
  const state = { closed: false };
  void connection.closed.then(() => {
    state.closed = true;
  });
  let written = 0;
  while (written < totalBytes && !state.closed && !stream.destroyed) {
    const more = stream.write(wire);
    written += wire.length;
    // `once` rejects on 'error' (the server's reset, which these floods provoke): that ends the flood too.
    if (!more) await Promise.race([once(stream, "drain").catch(() => undefined), connection.closed]);
  }
  return written;
}
