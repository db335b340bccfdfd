/**
 * Logging of the `rcc` commands: pino JSON lines on stderr, or a short human format ("pretty") that honours
 * NO_COLOR. Secrets are redacted by the logger itself (src/util/logger.ts).
 */
import { Writable } from "node:stream";
import { createLogger, type Logger, silentLogger } from "../index.js";
import type { LogFormat } from "./settings.js";
import { safeLine } from "./terminal-text.js"; // log fields may hold server text: escaped, bounded

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const COLOURS: Record<number, string> = { 10: "90", 20: "36", 30: "32", 40: "33", 50: "31", 60: "35" };

/** Whether colour is allowed on a stream (https://no-color.org). */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === "") && env.TERM !== "dumb";
}

/** Formats one pino JSON line for people: `13:45:01 WARN  message key=value …`. */
function formatPretty(line: string, colour: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, name: _name, ...rest } = record;
  const levelNumber = typeof level === "number" ? level : 30;
  const label = (LEVELS[levelNumber] ?? "LOG").padEnd(5);
  const clock = typeof time === "number" ? new Date(time).toISOString().slice(11, 19) : "";
  const extras = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  const head = colour ? `\x1b[${COLOURS[levelNumber] ?? "0"}m${label}\x1b[0m` : label;
  return `${clock} ${head} ${safeLine(`${typeof msg === "string" ? msg : ""}${extras ? ` ${extras}` : ""}`, 4000)}`;
}

/** Creates the CLI's logger writing to `stream` (default stderr). */
export function createCliLogger(
  level: string,
  format: LogFormat,
  stream: NodeJS.WritableStream = process.stderr,
): Logger {
  // Nothing to write, nothing to load: pino (~10 ms of a one-shot command's start) stays unloaded.
  if (level === "silent") return silentLogger;
  if (format === "json") return createLogger({ level, destination: stream });
  const colour = useColour(stream as { isTTY?: boolean });
  let pending = "";
  const pretty = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString("utf8");
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        stream.write(`${formatPretty(pending.slice(0, newline), colour)}\n`);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
      }
      callback();
    },
  });
  return createLogger({ level, destination: pretty });
}
