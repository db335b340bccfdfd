/**
 * A well-behaved contributor that measures what hostile peers cost it: it posts one post at a time to
 * TRCCTEST01 every `intervalMs` on its own logged-in connection and records each post's time to its Ack.
 */
import { type RawClient, loginRaw, post } from "../../../helpers/raw-client.js";
import type { TestAccount } from "../../../helpers/auth.js";

/** Posts on a timer and records post→Ack latencies, milliseconds. */
export class AckLatencyProbe {
  readonly #client: RawClient;
  readonly #sentAt = new Map<number, number>();
  readonly #latenciesMs: number[] = [];
  #nextPostId = 1;
  #naks = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(client: RawClient) {
    this.#client = client;
    client.ws.on("message", () => this.#collect());
  }

  /** Logs in on `wsUrl` as `account` and starts posting every `intervalMs`. */
  static async start(wsUrl: string, authUrl: string, account: TestAccount, intervalMs = 20): Promise<AckLatencyProbe> {
    const { client } = await loginRaw(wsUrl, authUrl, account);
    const probe = new AckLatencyProbe(client);
    probe.#timer = setInterval(() => probe.#post(), intervalMs);
    return probe;
  }

  /** Latencies recorded so far, and forgets them (so the next call measures a new phase). */
  take(): number[] {
    return this.#latenciesMs.splice(0);
  }

  /** Posts Naked so far (a healthy client's posts are all Acked). */
  get naks(): number {
    return this.#naks;
  }

  /** Posts sent and not yet answered, and the age of the oldest, milliseconds. */
  outstanding(): { count: number; oldestMs: number } {
    const now = performance.now();
    let oldest = now;
    for (const sentAt of this.#sentAt.values()) oldest = Math.min(oldest, sentAt);
    return { count: this.#sentAt.size, oldestMs: now - oldest };
  }

  /** Stops posting and closes the connection. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#client.close();
  }

  #post(): void {
    const postId = this.#nextPostId++;
    this.#sentAt.set(postId, performance.now());
    this.#client.send(post(postId, "TRCCTEST01", { BID: postId % 1000 }));
  }

  #collect(): void {
    const now = performance.now();
    for (const message of this.#client.messages.splice(0)) {
      if (message.Type === "Ping") this.#client.send({ Type: "Pong" });
      if (message.Type !== "Ack") continue;
      if (message.NakCode !== undefined) this.#naks += 1;
      const sentAt = this.#sentAt.get(message.AckID as number);
      if (sentAt === undefined) continue;
      this.#sentAt.delete(message.AckID as number);
      this.#latenciesMs.push(now - sentAt);
    }
  }
}

/** The median of `values` (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The `fraction` quantile of `values` (nearest rank; NaN for none). */
export function quantile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}
