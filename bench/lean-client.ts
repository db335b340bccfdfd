/**
 * A lean load-generating client for the fan-in benchmark: a raw `ws` socket, one Login with a shared
 * access token (the simulator accepts any valid unexpired token on any number of connections), a
 * precomputed post template (docs/protocol.md §2.8) sent one post per frame, Pongs for Pings (§2.7), and
 * send→Ack latency recorded into a shared array. A thousand of these fit in one process where a thousand
 * Contributors (each with its own token manager and timers) would not.
 */
import WebSocket from "ws";

/** Latencies shared by every lean client of a run. */
export class LatencyLog {
  values = new Float64Array(1 << 16);
  count = 0;
  naks = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  /** The recorded latencies, sorted ascending. */
  sorted(): number[] {
    return Array.from(this.values.subarray(0, this.count)).sort((a, b) => a - b);
  }
}

const POST_HEAD = '[{"Type":"Post","ID":1,"Ack":true,"PostID":';
const POST_TAIL = (ric: string): string =>
  `,"Key":{"Service":"DDS_TRCE","Name":${JSON.stringify(ric)}},"Message":{"Type":"Update","ID":0,"Fields":{"BID":451.55,"ASK":451.57,"PRIMACT_1":100}}}]`;

/** One logged-in raw connection. */
export class LeanClient {
  readonly #ws: WebSocket;
  readonly #log: LatencyLog;
  readonly #tail: string;
  readonly #sentAt = new Map<number, number>();
  #postId = 1;
  /** Monotonic ms at which this client posts next (driven by the fan-in scheduler). */
  nextAtMs = 0;

  private constructor(ws: WebSocket, log: LatencyLog, ric: string) {
    this.#ws = ws;
    this.#log = log;
    this.#tail = POST_TAIL(ric);
  }

  /** Connects and logs in; rejects if the Login is refused or takes longer than `timeoutMs`. */
  static connect(url: string, token: string, log: LatencyLog, ric: string, timeoutMs = 15_000): Promise<LeanClient> {
    const ws = new WebSocket(url, ["tr_json2"], { perMessageDeflate: false });
    const client = new LeanClient(ws, log, ric);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error("login timed out"));
      }, timeoutMs);
      ws.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      ws.on("message", (data: Buffer) => {
        const now = performance.now();
        for (const message of JSON.parse(data.toString("utf8")) as Record<string, unknown>[]) {
          if (message.Type === "Ack") client.#onAck(message, now);
          else if (message.Type === "Ping") ws.send('{"Type":"Pong"}');
          else if (message.Domain === "Login") {
            clearTimeout(timer);
            const state = message.State as { Stream?: string } | undefined;
            if (message.Type === "Refresh" && state?.Stream === "Open") resolve(client);
            else reject(new Error(`login refused: ${JSON.stringify(message.State)}`));
          }
        }
      });
      ws.on("open", () => {
        ws.send(
          JSON.stringify({
            ID: 1,
            Domain: "Login",
            Key: {
              NameType: "AuthnToken",
              Elements: { ApplicationId: "256", Position: "127.0.0.1/bench", AuthenticationToken: token },
            },
          }),
        );
      });
    });
  }

  /** Whether the socket is still open. */
  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Sends one post in its own frame. */
  post(nowMs: number): void {
    const postId = this.#postId++;
    this.#sentAt.set(postId, nowMs);
    this.#ws.send(`${POST_HEAD}${postId}${this.#tail}`);
  }

  /** Posts sent and not yet acknowledged. */
  get outstanding(): number {
    return this.#sentAt.size;
  }

  /** Closes the socket without ceremony (the benchmark is over). */
  terminate(): void {
    this.#ws.terminate();
  }

  #onAck(message: Record<string, unknown>, now: number): void {
    const id = Number(message.AckID);
    const sent = this.#sentAt.get(id);
    if (sent === undefined) return;
    this.#sentAt.delete(id);
    if (message.NakCode === undefined) this.#log.add(now - sent);
    else this.#log.naks += 1;
  }
}
