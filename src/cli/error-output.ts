/**
 * How a failed command says so: one `rcc: …` line on stderr — commander's own usage errors included, which it
 * would print as `error: …` — and, for a command run with `--json`, also one JSON error object,
 * `{"error":{"code","message","exitCode"}}`, for a script reading stdout. Light (no library import): usage errors
 * are printed before any command's work is loaded.
 */
import { jsonLine, safeLine } from "./terminal-text.js";

/**
 * A usage error as commander words it (`error: unknown option '--rci'\n(Did you mean --ric?)`) made one line of
 * ours: without its `error: `, the suggestion kept on the same line. An unknown option given as `--name=value`
 * is shown without its value: the value may be a secret whose flag was mistyped (`--pasword=…`), and argv is
 * never echoed.
 */
export function usageErrorMessage(text: string): string {
  return text
    .replace(/^error: /, "")
    .replace(/'(--[^\s'=]+)=[^']*'/g, "'$1=…'")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
}

/** The line on stderr for a failure: `rcc: ` and the message, made safe to print (terminal-text.ts). */
export function errorLine(message: string): string {
  return `rcc: ${safeLine(message)}\n`;
}

/** What a failure's JSON object holds. */
export interface ErrorReport {
  /** Stable code: a library error's (`RCC_AUTH_INVALID_CREDENTIALS`, …) or the CLI's (`RCC_CLI_USAGE`, …). */
  code: string;
  message: string;
  exitCode: number;
}

/**
 * The JSON line of a failure under `--json`: `{"error":{"code","message","exitCode"}}`. The message is whole (not
 * cut as on the terminal), JSON-escaped with the terminal's dangerous characters as `\uXXXX` (jsonLine).
 */
export function jsonErrorLine(report: ErrorReport): string {
  return `${jsonLine({ error: { code: report.code, message: report.message, exitCode: report.exitCode } })}\n`;
}
