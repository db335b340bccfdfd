/**
 * Sends one fuzz frame to the simulator and collects exactly the answers to it: the frame is followed by a
 * sentinel frame, an item Request on a stream ID used nowhere else, and the server answers inbound frames in order
 * (one outbound frame per frame, or per slice of `messagesPerSlice` messages for a larger one: connection.ts),
 * so everything received before the answer on the sentinel's
 * ID (an Error before login, item 12; a Status for the unknown RIC after it, §4A.3) answers the fuzz frame. When the
 * fuzz frame ends the connection, the close is reported and the next probe opens a new one.
 */
import type { CloseInfo, RawClient, Received } from "../../helpers/raw-client.js";

/** Stream IDs of the sentinels: high in the int32 range, one per probe, so no fuzz frame answers on them. */
let nextSentinelId = 1_987_654_321;

/** What the server did with one frame. */
export interface ProbeResult {
  /** Every message element answered, in order. */
  answers: Received[];
  /** Set when the server closed the connection instead. */
  closed?: CloseInfo;
}

/**
 * The message elements of `frames`, without the server's own Pings: it sends them on its timer (§2.7, every
 * `pingIntervalMs`), never as an answer (a client Ping is answered with a Pong), so one may fall inside a probe.
 */
function elementsOf(frames: readonly string[]): Received[] {
  return frames.flatMap((frame) => {
    const parsed: unknown = JSON.parse(frame);
    const elements = (Array.isArray(parsed) ? parsed : [parsed]) as Received[];
    return elements.filter((element) => element.Type !== "Ping");
  });
}

/** Probes one connection at a time; `open` makes a new one (connected, and logged in if the caller wants). */
export class FrameProber {
  readonly #open: () => Promise<RawClient>;
  #client: RawClient | undefined;
  /** Connections the server closed during probing. */
  closes = 0;

  constructor(open: () => Promise<RawClient>) {
    this.#open = open;
  }

  /** Sends `frame` (a string as a text frame, bytes as a binary frame) and resolves with the server's answers. */
  async probe(frame: string | Uint8Array, timeoutMs = 5000): Promise<ProbeResult> {
    this.#client ??= await this.#open();
    const client = this.#client;
    const start = client.frames.length;
    const sentinelId = nextSentinelId++;
    const isSentinelReply = (frame: string): boolean =>
      frame.includes(`"ID":${sentinelId}`) && elementsOf([frame]).some((element) => element.ID === sentinelId);
    const result = new Promise<ProbeResult>((resolve, reject) => {
      const finish = (value: ProbeResult | Error): void => {
        clearTimeout(timer);
        client.ws.off("message", onMessage);
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      const onMessage = (): void => {
        const index = client.frames.findIndex((frame, position) => position >= start && isSentinelReply(frame));
        if (index >= 0) finish({ answers: elementsOf(client.frames.slice(start, index)) });
      };
      const timer = setTimeout(() => finish(new Error(`no answer to the sentinel within ${timeoutMs} ms`)), timeoutMs);
      client.ws.on("message", onMessage);
      void client.closed.then((closed) => {
        if (this.#client === client) {
          this.#client = undefined;
          this.closes += 1;
        }
        finish({ answers: elementsOf(client.frames.slice(start)), closed });
      });
    });
    if (typeof frame === "string") client.ws.send(frame);
    else client.ws.send(frame, { binary: true });
    client.ws.send(JSON.stringify({ ID: sentinelId, Key: { Name: "SENTINEL.PROBE" } }));
    return result;
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** Closes the current connection, if any. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.close();
  }
}
