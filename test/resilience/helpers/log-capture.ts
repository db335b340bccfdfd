/**
 * Captures log lines for the secret-hygiene test: a pino logger at trace level (the library's own
 * `createLogger`, with its redaction) writing into memory, plus any text added from child processes; and a
 * search for secrets in everything captured — whole, and by their first and last 12 characters, so a truncated
 * token in a log line is caught too.
 */
import { Writable } from "node:stream";
import { type Logger, createLogger } from "../../../src/util/logger.js";

/** Where a secret was found. */
export interface Leak {
  /** Which secret (its kind and first characters only, so the report itself leaks nothing whole). */
  secret: string;
  /** The line, with the secret masked. */
  line: string;
}

/** Collects lines and finds secrets in them. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: Logger;
  #pending = "";

  constructor() {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.add(chunk.toString("utf8"));
        callback();
      },
    });
    this.logger = createLogger({ level: "trace", destination: sink });
  }

  /** Adds text (complete or partial lines). */
  add(text: string): void {
    this.#pending += text;
    const parts = this.#pending.split("\n");
    this.#pending = parts.pop() ?? "";
    for (const part of parts) if (part.trim() !== "") this.lines.push(part);
  }

  /** Lines whose JSON `level` is `level` (pino numbers: 10 trace … 50 error). */
  atLevel(level: number): string[] {
    return this.lines.filter((line) => line.includes(`"level":${level}`));
  }

  /** Every captured line containing one of `secrets` (of at least 8 characters), or a 12-character end of one. */
  leaks(secrets: Iterable<{ kind: string; value: string }>): Leak[] {
    const leaks: Leak[] = [];
    const all = this.#pending === "" ? this.lines : [...this.lines, this.#pending];
    for (const { kind, value } of secrets) {
      if (value.length < 8) throw new Error(`a ${kind} shorter than 8 characters cannot be searched for reliably`);
      const needles = value.length >= 24 ? [value.slice(0, 12), value.slice(-12)] : [value];
      for (const line of all) {
        if (!needles.some((needle) => line.includes(needle))) continue;
        // The report shows where, with the secret itself masked.
        const masked = needles.reduce((text, needle) => text.replaceAll(needle, "[LEAKED]"), line);
        leaks.push({ secret: `${kind} ${value.slice(0, 4)}…`, line: masked });
      }
    }
    return leaks;
  }
}
