/**
 * Records every exception or rejection that escapes to the process while a test file runs: neither the
 * simulator nor the client may throw out of a socket or handler callback (an uncaught exception would end
 * `rcc simulate` or the user's process). Listening also keeps the test process alive, so the test can report
 * what escaped.
 */
import { afterAll, beforeAll } from "vitest";

/** Registers the process hooks for the file; the returned list holds one line per escaped error. */
export function watchEscapes(): string[] {
  const escaped: string[] = [];
  const onException = (error: Error): void => void escaped.push(`uncaughtException: ${error.message}`);
  const onRejection = (reason: unknown): void => void escaped.push(`unhandledRejection: ${String(reason)}`);
  beforeAll(() => {
    process.on("uncaughtException", onException);
    process.on("unhandledRejection", onRejection);
  });
  afterAll(() => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  });
  return escaped;
}
