/**
 * Protocol errors of the server: values it should never send (an AckID that is not an integer, a NakCode
 * that is no code, an unusable `TRCE:MaxMessagesPerSecond` or `PingTimeout`). The client ignores or clamps them; this
 * records that it did. Each kind is logged once per connection and counted every time, so a server that
 * repeats one in every message cannot flood the logs.
 */
import { type Logger, redactSecrets } from "../../util/logger.js";

/** The kinds of server protocol error the client recognises. */
export type ProtocolErrorKind = "ack-id" | "nak-code" | "rate-limit" | "ping-timeout";

const DESCRIPTIONS: Readonly<Record<ProtocolErrorKind, string>> = {
  "ack-id": "an Ack or Nak whose AckID is not a non-negative integer was ignored (the post stays pending)",
  "nak-code": 'a Nak whose NakCode is no code (not a string or a positive integer) rejected its post as "Malformed"',
  "rate-limit": "an unusable or out-of-range TRCE:MaxMessagesPerSecond in the Login Refresh was ignored or clamped",
  "ping-timeout": "an unusable or out-of-range PingTimeout in the Login Refresh was ignored or clamped",
};

/** Longest rendering of an offending value in a log line, characters. */
const MAX_VALUE_CHARS = 80;

/** Renders an offending value for a log line: JSON, cut to {@link MAX_VALUE_CHARS}. */
function describeValue(value: unknown): string {
  let text: string;
  try {
    // A missing key is undefined, which JSON.stringify cannot write; parsed JSON holds nothing else of that kind.
    text = value === undefined ? "undefined" : JSON.stringify(value);
  } catch {
    text = "[unprintable]";
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/** Logs each kind of protocol error once per connection; counts them all. */
export class ProtocolWarnings {
  readonly #log: Logger;
  readonly #logged = new Set<ProtocolErrorKind>();
  /** Protocol errors seen, all connections. */
  count = 0;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Records one protocol error of `kind`; `value` (what the server sent) is logged cut short, never whole. */
  report(kind: ProtocolErrorKind, value: unknown, details: Record<string, unknown> = {}): void {
    this.count += 1;
    if (this.#logged.has(kind)) return;
    this.#logged.add(kind);
    this.#log.warn(
      { kind, value: redactSecrets(describeValue(value)), ...details },
      `server protocol error: ${DESCRIPTIONS[kind]}; more of this kind on this connection are counted, not logged`,
    );
  }

  /** A new connection: each kind is logged once again. */
  reset(): void {
    this.#logged.clear();
  }
}
