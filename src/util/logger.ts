/**
 * The logging interface every component takes: a subset of pino's, so a pino logger can be passed as is.
 * Secrets are redacted at the source (see {@link REDACT_PATHS}) and, as a second line of defence, by
 * {@link redactSecrets} on free text.
 */
import { pino } from "pino";

/** A log method: `(object, message?)` or `(message)`. */
export interface LogFn {
  (object: object, message?: string): void;
  (message: string): void;
}

/** Minimal structured logger (pino-compatible). */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => undefined;

/** A logger that discards everything. */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

/** Object paths that pino replaces with "[redacted]". */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "newPassword",
  "client_secret",
  "*.client_secret",
  "access_token",
  "*.access_token",
  "refresh_token",
  "*.refresh_token",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "AuthenticationToken",
  "*.AuthenticationToken",
  "*.*.AuthenticationToken",
  "*.*.*.AuthenticationToken",
];

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** pino level name. @default "info" */
  level?: string;
  /** Where lines go. @default process.stderr */
  destination?: NodeJS.WritableStream;
  /** Component name added to every line. */
  name?: string;
}

/** A pino logger writing JSON lines, with secrets redacted. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      name: options.name,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: undefined,
    },
    options.destination ?? process.stderr,
  );
}

const SECRET_PATTERNS: RegExp[] = [
  /("?(?:password|newPassword|client_secret|access_token|refresh_token|AuthenticationToken|token)"?\s*[:=]\s*"?)([^"&,\s}]+)/gi,
  /(authorization:\s*(?:basic|bearer)\s+)(\S+)/gi,
];

/**
 * Masks secret-looking values in free text (a raw frame or form body about to be logged or echoed).
 * Used where a structured redact path cannot reach, e.g. the verbatim `Debug.Message` of a login.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, "$1[redacted]");
  return out;
}
