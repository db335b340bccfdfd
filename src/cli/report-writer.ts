/**
 * The `--report FILE` of `rcc contribute`: one NDJSON record per input row, written with backpressure. A server's
 * text is kept whole; JSON escapes its line breaks (one record stays one line) and jsonLine its terminal controls,
 * so `cat`ing the report is harmless too.
 */
import type { WriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { CliError, EXIT } from "./exit-codes.js";
import { jsonLine } from "./terminal-text.js";
import { processSecrets } from "../internal.js";

/** Writes NDJSON records to a file; a no-op when no file is given. */
export class ReportWriter {
  readonly #stream: WriteStream | undefined;
  readonly #path: string;
  #failure: Error | undefined;
  /** Settles when the file has taken what was written (set while it is full). */
  #drained: Promise<void> | undefined;

  private constructor(stream: WriteStream | undefined, path: string) {
    this.#stream = stream;
    this.#path = path;
    stream?.on("error", (error) => (this.#failure = error));
  }

  /**
   * Creates (or truncates) the report file before anything is sent, so a bad path fails at once.
   * @param path the report file; undefined = no report.
   * @throws CliError (exit 1) when the file cannot be created.
   */
  static async create(path: string | undefined): Promise<ReportWriter> {
    if (path === undefined) return new ReportWriter(undefined, "");
    try {
      const handle = await open(path, "w");
      return new ReportWriter(handle.createWriteStream(), path);
    } catch (error) {
      throw new CliError(
        `cannot write the report '${path}' (${(error as NodeJS.ErrnoException).code ?? "error"})`,
        EXIT.usage,
      );
    }
  }

  /** Whether records are written (a report file is open): without one, callers need not build records. */
  get enabled(): boolean {
    return this.#stream !== undefined;
  }

  /**
   * Appends one record. Returns a promise only when the file cannot keep up: await it before writing more. A
   * promise per record, most of them settled already, was a large part of a bulk run's cost. Writers that find
   * the file full share one promise (one "drain" listener, however many outcomes settle meanwhile).
   */
  write(record: Record<string, unknown>): Promise<void> | undefined {
    const stream = this.#stream;
    if (!stream || this.#failure) return undefined;
    // A server's text may quote a secret of ours (a Nak echoing the token): masked as on stdout.
    if (stream.write(processSecrets.redact(`${jsonLine(record)}\n`)) && this.#drained === undefined) return undefined;
    this.#drained ??= new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("error", done);
        this.#drained = undefined;
        resolve();
      };
      stream.on("drain", done);
      stream.on("error", done);
    });
    return this.#drained;
  }

  /**
   * Flushes and closes the file.
   * @throws CliError (exit 1) when the report could not be written (e.g. the disk is full).
   */
  async close(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    if (!this.#failure) await new Promise<void>((resolve) => stream.end(() => resolve()));
    if (this.#failure) {
      const code = (this.#failure as NodeJS.ErrnoException).code ?? this.#failure.message;
      throw new CliError(`cannot write the report '${this.#path}' (${code})`, EXIT.usage);
    }
  }
}
