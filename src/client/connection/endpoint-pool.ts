/**
 * The ordered list of RCC WebSocket URLs a connection fails over across. No RCC host list is documented;
 * RTO examples keep a hot-standby pair, so we accept an ordered list and rotate on failure (§3.6 [INF]).
 * The first URL is the preferred one: a connection that has been healthy for a while may {@link
 * EndpointPool.reset} back to it.
 */

/** Ordered WebSocket URLs in failover order. */
export class EndpointPool {
  readonly #urls: readonly string[];
  #index = 0;

  /**
   * @param urls `ws://` or `wss://` URLs, preferred first (duplicates are kept: they weigh a host).
   * @throws TypeError when the list is empty or a URL is not a valid ws:// or wss:// URL.
   */
  constructor(urls: readonly string[]) {
    if (urls.length === 0) throw new TypeError("EndpointPool needs at least one WebSocket URL");
    for (const url of urls) assertWebSocketUrl(url);
    this.#urls = Object.freeze([...urls]);
  }

  /** Number of URLs in the pool. */
  get size(): number {
    return this.#urls.length;
  }

  /** The URL to connect to now. */
  get current(): string {
    return this.#urls[this.#index] as string;
  }

  /** Index of {@link current} in the list (0 = preferred). */
  get index(): number {
    return this.#index;
  }

  /** All URLs, in failover order. */
  get urls(): readonly string[] {
    return this.#urls;
  }

  /** Moves to the next URL, wrapping around after the last; returns it. */
  advance(): string {
    this.#index = (this.#index + 1) % this.#urls.length;
    return this.current;
  }

  /** Goes back to the first (preferred) URL. */
  reset(): void {
    this.#index = 0;
  }
}

/**
 * Checks that `url` parses and uses the ws: or wss: scheme.
 * @throws TypeError otherwise; the message names the scheme and host of a URL that parses, and nothing of
 *   one that does not (it may carry a password in a user-info part that could not be told apart).
 */
function assertWebSocketUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`not a valid WebSocket URL (${url.length} characters that do not parse as a URL)`);
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new TypeError(`WebSocket URL must start with ws:// or wss://, got ${parsed.protocol}//${parsed.host}`);
  }
}

/**
 * The option check of one endpoint URL (`urls` of the session options).
 * @returns the problem, as {@link assertWebSocketUrl} words it, or undefined for a valid ws:// or wss:// URL.
 */
export function checkEndpointUrl(url: unknown): string | undefined {
  if (typeof url !== "string") return "must be a string";
  try {
    assertWebSocketUrl(url);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
