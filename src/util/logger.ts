/**
 * The logging interface every component takes: a subset of pino's, so a pino logger can be passed as is.
 * Secrets are redacted at the source (see {@link REDACT_PATHS}), by {@link redactSecrets} on free text, and, on
 * every line a logger of {@link createLogger} writes, by the exact secrets the process knows (secret-registry.ts):
 * a peer's text that quotes a password or token is masked whatever field or message carries it.
 */
import { createRequire } from "node:module";
import type { pino as Pino } from "pino";
import { processSecrets, type SecretRegistry } from "./secret-registry.js";

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
const REDACT_PATHS = [
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
  /** Exact secrets masked in every line written. @default processSecrets (every secret of the process) */
  secrets?: SecretRegistry;
}

/** A pino logger writing JSON lines, with secrets redacted. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const secrets = options.secrets ?? processSecrets;
  // Loaded on the first call, not on import: with ws (web-socket.ts) it was ~40 ms of start-up that a
  // library user who passes their own logger (or none) never needs (docs/performance.md, "Start-up").
  const pino = (createRequire(import.meta.url)("pino") as { pino: typeof Pino }).pino;
  return pino(
    {
      level: options.level ?? "info",
      name: options.name,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: undefined,
      // The serialised line, whatever key or message holds the text: the one place nothing can bypass.
      hooks: { streamWrite: (line) => secrets.redact(line) },
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
