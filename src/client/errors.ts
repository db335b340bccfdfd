/**
 * Error classes of the client library. Every error carries a stable `code` (callers branch on it, never on
 * message text), a `retriable` flag and, where there is one, a `cause` (STYLE habit 4).
 */

/** Base class of every error the library raises. */
export class RccError extends Error {
  /** Stable machine-readable code, e.g. "RCC_NAK". */
  readonly code: string;
  /** Whether repeating the same operation later may succeed. */
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}
