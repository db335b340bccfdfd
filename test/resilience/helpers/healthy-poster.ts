/**
 * A well-behaved contributor on its own connection (plain `ws`, logged in with a real token) that posts every
 * few milliseconds while other connections misbehave: the simulator must keep acknowledging it throughout.
 */
import type { RunningSimulator } from "../../../src/simulator/index.js";
import { type RawClient, loginRaw, post } from "../../helpers/raw-client.js";
import { waitFor } from "../../helpers/wait-for.js";

/** Posts to TRCCTEST01 every `intervalMs` and checks each post is acknowledged in time. */
export class HealthyPoster {
  readonly #client: RawClient;
  readonly #sentAt = new Map<number, number>();
  readonly #problems: string[] = [];
  #nextPostId = 1;
  #timer: NodeJS.Timeout | undefined;
  /** Posts acknowledged so far. */
  acked = 0;

  private constructor(client: RawClient) {
    this.#client = client;
    client.ws.on("message", () => this.#collect());
    void client.closed.then((info) => {
      if (this.#timer !== undefined) this.#problems.push(`the healthy connection was closed (${info.code})`);
    });
  }

  /** Logs in on listener 0 of `sim` and starts posting every `intervalMs`. */
  static async start(sim: RunningSimulator, intervalMs = 20): Promise<HealthyPoster> {
    const { client } = await loginRaw(sim.wsUrls[0]!, sim.authUrl, sim.accounts[0]!);
    const poster = new HealthyPoster(client);
    poster.#timer = setInterval(() => poster.#post(), intervalMs);
    return poster;
  }

  #post(): void {
    const postId = this.#nextPostId++;
    this.#sentAt.set(postId, Date.now());
    this.#client.send(post(postId, "TRCCTEST01", { BID: postId % 1000 }));
  }

  #collect(): void {
    for (const message of this.#client.messages.splice(0)) {
      if (message.Type === "Ping") this.#client.send({ Type: "Pong" });
      if (message.Type !== "Ack") continue;
      if (message.NakCode !== undefined)
        this.#problems.push(`post ${String(message.AckID)} Naked ${String(message.NakCode)}`);
      if (this.#sentAt.delete(message.AckID as number)) this.acked += 1;
    }
  }

  /**
   * Throws when a post older than `maxAckDelayMs` has no Ack, a post was Naked or the connection was lost.
   * @param maxAckDelayMs generous: fuzzing loads the same event loop. @default 3000
   */
  assertHealthy(maxAckDelayMs = 3000): void {
    const now = Date.now();
    for (const [postId, sentAt] of this.#sentAt) {
      if (now - sentAt > maxAckDelayMs) this.#problems.push(`post ${postId} unacknowledged after ${now - sentAt} ms`);
    }
    if (this.#problems.length > 0)
      throw new Error(`healthy connection disturbed: ${this.#problems.slice(0, 5).join("; ")}`);
  }

  /** Stops posting, waits for the outstanding Acks (up to `timeoutMs`), checks, and closes. */
  async stop(timeoutMs = 3000): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    // A timeout is not thrown here: the health check below reports the missing Acks with their detail.
    await waitFor(() => this.#sentAt.size === 0, timeoutMs, "the outstanding Acks", 10).catch(() => undefined);
    try {
      this.assertHealthy(0);
    } finally {
      await this.#client.close();
    }
  }
}
