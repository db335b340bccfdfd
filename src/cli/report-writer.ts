/**
 * The `--report FILE` of `rcc contribute`: one NDJSON record per input row. A server's text is kept whole; JSON
 * escapes its line breaks (one record stays one line) and jsonLine its terminal controls, so `cat`ing the report
 * is harmless too.
 *
 * A file is written as it goes: the records of one turn of the event loop (an Ack frame settles many posts in
 * one turn) are handed to the operating system together, whole lines in one `write`, before the next turn. So
 * a process killed outright (SIGKILL, a crash, a power cut aside) leaves only whole lines, and the rows missing
 * from the report are those not settled yet. `-` writes to stdout instead, with backpressure.
 */
import { writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { CliError, EXIT } from "./exit-codes.js";
import { jsonLine } from "./terminal-text.js";
import { processSecrets } from "../internal.js";

/** Buffered bytes (roughly, as UTF-16 units) after which records are written at once, not at the turn's end. */
const FLUSH_AT_CHARS = 256 * 1024;

/** Options of {@link ReportWriter.create}. */
export interface ReportOptions {
  /** Append to the file instead of truncating it (`--resume`). @default false */
  append?: boolean;
}

/** Writes NDJSON records to a file or stdout; a no-op when no report is asked for. */
export class ReportWriter {
  /** The open file (held, so its descriptor stays this file's); undefined for stdout or no report. */
  readonly #handle: FileHandle | undefined;
  /** The file's descriptor, written with writeSync; undefined for stdout or no report. */
  readonly #fd: number | undefined;
  /** stdout, for `--report -`. */
  readonly #stream: NodeJS.WritableStream | undefined;
  readonly #path: string;
  #failure: Error | undefined;
  #pending: string[] = [];
  #pendingChars = 0;
  #flushScheduled = false;
  #closed = false;
  /** Settles when stdout has taken what was written (set while it is full). */
  #drained: Promise<void> | undefined;

  private constructor(handle: FileHandle | undefined, stream: NodeJS.WritableStream | undefined, path: string) {
    this.#handle = handle;
    this.#fd = handle?.fd;
    this.#stream = stream;
    this.#path = path;
    stream?.on("error", (error: Error) => (this.#failure = error));
  }

  /**
   * Creates (or truncates, or with `append` opens for appending) the report before anything is sent, so a bad
   * path fails at once.
   * @param path the report file, `-` for stdout; undefined = no report.
   * @throws CliError (exit 1) when the file cannot be opened.
   */
  static async create(path: string | undefined, options: ReportOptions = {}): Promise<ReportWriter> {
    if (path === undefined) return new ReportWriter(undefined, undefined, "");
    if (path === "-") return new ReportWriter(undefined, process.stdout, "-");
    try {
      const handle = await open(path, options.append === true ? "a" : "w");
      return new ReportWriter(handle, undefined, path);
    } catch (error) {
      throw new CliError(
        `cannot write the report '${path}' (${(error as NodeJS.ErrnoException).code ?? "error"})`,
        EXIT.usage,
      );
    }
  }

  /** Whether records are written: without a report, callers need not build records. */
  get enabled(): boolean {
    return this.#fd !== undefined || this.#stream !== undefined;
  }

  /** Whether the report goes to stdout (`--report -`): the summary then goes to stderr. */
  get toStdout(): boolean {
    return this.#stream !== undefined;
  }

  /**
   * Appends one record. Returns a promise only for stdout when it cannot keep up: await it before writing more.
   * Writers that find stdout full share one promise (one "drain" listener).
   */
  write(record: Record<string, unknown>): Promise<void> | undefined {
    if (!this.enabled || this.#failure || this.#closed) return undefined;
    // A server's text may quote a secret of ours (a Nak echoing the token): masked as on stdout.
    const line = processSecrets.redact(`${jsonLine(record)}\n`);
    const stream = this.#stream;
    if (stream !== undefined) return this.#writeStream(stream, line);
    this.#pending.push(line);
    this.#pendingChars += line.length;
    if (this.#pendingChars >= FLUSH_AT_CHARS) this.flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return undefined;
  }

  /** Hands every buffered record to the operating system now (whole lines, one write). */
  flush(): void {
    this.#flushScheduled = false;
    const fd = this.#fd;
    if (fd === undefined || this.#closed || this.#pending.length === 0) return;
    const data = Buffer.from(this.#pending.join(""));
    this.#pending = [];
    this.#pendingChars = 0;
    if (this.#failure) return;
    try {
      for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset);
    } catch (error) {
      this.#failure = error as Error;
    }
  }

  #writeStream(stream: NodeJS.WritableStream, line: string): Promise<void> | undefined {
    if (stream.write(line) && this.#drained === undefined) return undefined;
    this.#drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
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
   * Writes what is buffered and closes the file (stdout stays open).
   * @throws CliError (exit 1) when the report could not be written (e.g. the disk is full).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#fd !== undefined) {
      this.flush();
      this.#closed = true;
      try {
        await this.#handle?.close();
      } catch (error) {
        this.#failure ??= error as Error;
      }
    } else {
      this.#closed = true;
      if (this.#drained !== undefined) await this.#drained;
    }
    if (this.#failure) {
      const code = (this.#failure as NodeJS.ErrnoException).code ?? this.#failure.message;
      throw new CliError(`cannot write the report '${this.#path}' (${code})`, EXIT.usage);
    }
  }
}
