/**
 * Opens the input of `rcc contribute`: a file (its size known, for the ETA) or stdin, in CSV, NDJSON or JSON
 * chosen by `--format`, else the file extension and the first bytes (which JSON shape: input.ts sniffFormat),
 * else the first bytes alone.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { CliError, EXIT } from "./exit-codes.js";
import { expandHome } from "./file-paths.js";
import {
  formatFromName,
  type InputFormat,
  type InputRow,
  readCsvBatches,
  readJsonBatches,
  readNdjsonBatches,
  sniffFormat,
} from "./input.js";

/** How {@link openInput} reads its input. */
export interface OpenInputOptions {
  /**
   * The format (`--format`). @default undefined: from the extension (`.csv`, `.ndjson`/`.jsonl`, `.json`) and the
   * first bytes, which also tell an NDJSON file from pretty-printed JSON objects
   */
  format?: InputFormat;
  /**
   * The one character between CSV cells (`--delimiter`); `\t` (backslash, t) or `tab` is a tab. Implies CSV
   * when neither `format` nor the extension says otherwise. @default undefined: `,`, `;` or tab, whichever the
   * header line has most of
   */
  delimiter?: string;
}

/**
 * An opened input: its rows, one array per chunk read, the underlying stream (destroy it to stop reading) and its
 * size when known.
 */
export interface InputSource {
  batches: AsyncGenerator<InputRow[]>;
  stream: Readable;
  /** Size in bytes; undefined for stdin. */
  size?: number;
  /** Bytes read so far, when the stream counts them (files do). */
  bytesRead(): number | undefined;
}

/**
 * Checks `--delimiter` and returns the character it stands for.
 * @throws CliError (exit 1) unless it is one character other than a quote or a line break.
 */
export function parseDelimiter(raw: string): string {
  const delimiter = raw === "\\t" || raw.toLowerCase() === "tab" ? "\t" : raw;
  // One UTF-16 unit: the CSV reader compares the delimiter with single units of the text.
  if (delimiter.length !== 1) {
    throw new CliError(
      `--delimiter must be one character (\\t or tab for a tab), got ${JSON.stringify(raw)}`,
      EXIT.usage,
    );
  }
  if (delimiter === '"') throw new CliError("--delimiter cannot be '\"': quotes enclose CSV cells", EXIT.usage);
  if (delimiter === "\n" || delimiter === "\r") {
    throw new CliError("--delimiter cannot be a line break: line breaks end CSV records", EXIT.usage);
  }
  return delimiter;
}

/**
 * Opens `file` (`-` = stdin; `~/…` is the home directory) and picks its reader (see {@link OpenInputOptions}).
 * @throws CliError (exit 1) when the file cannot be read, or on a bad `delimiter` or one given for JSON input.
 */
export async function openInput(file: string, options: OpenInputOptions = {}): Promise<InputSource> {
  const delimiter = options.delimiter === undefined ? undefined : parseDelimiter(options.delimiter);
  const path = file === "-" ? file : expandHome(file);
  const fromName = path === "-" ? undefined : formatFromName(path);
  if (delimiter !== undefined) {
    if (options.format !== undefined && options.format !== "csv") {
      throw new CliError(`--delimiter is for CSV input, not --format ${options.format}`, EXIT.usage);
    }
    if (options.format === undefined && fromName !== undefined && fromName !== "csv") {
      throw new CliError(
        `--delimiter is for CSV input, but '${file}' is ${fromName.toUpperCase()} by its extension; add --format csv to read it as CSV`,
        EXIT.usage,
      );
    }
  }
  let stream: Readable;
  let size: number | undefined;
  if (path === "-") {
    stream = process.stdin;
  } else {
    try {
      size = (await stat(path)).size;
    } catch (error) {
      throw new CliError(`cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? "error"})`, EXIT.usage);
    }
    stream = createReadStream(path);
  }
  // A delimiter means CSV unless the format was given (checked above); a JSON extension is refined by sniffing.
  let chosen = options.format ?? (fromName === "csv" || delimiter !== undefined ? "csv" : undefined);
  if (chosen === undefined) {
    const head = await peek(stream);
    // An empty input has ended already: a reader attached now would wait for an "end" that never comes again.
    if (head === undefined) return { batches: noRows(), stream, bytesRead: () => 0 };
    chosen = chosenFormat(fromName, sniffFormat(head));
  }
  return {
    batches: reader(chosen, stream, delimiter),
    stream,
    ...(size === undefined ? {} : { size }),
    bytesRead: () => (stream as Readable & { bytesRead?: number }).bytesRead,
  };
}

/**
 * The format of a file from its extension and its first bytes: a JSON extension (`.json`, `.ndjson`) keeps to
 * JSON whatever the bytes (the sniffer says which shape); `.csv` never reaches here; no extension, the bytes.
 */
function chosenFormat(fromName: InputFormat | undefined, sniffed: InputFormat): InputFormat {
  if (fromName === undefined) return sniffed;
  return sniffed === "csv" ? fromName : sniffed;
}

function reader(format: InputFormat, stream: Readable, delimiter: string | undefined): AsyncGenerator<InputRow[]> {
  if (format === "csv") return readCsvBatches(stream, delimiter);
  return format === "json" ? readJsonBatches(stream) : readNdjsonBatches(stream);
}

async function* noRows(): AsyncGenerator<InputRow[]> {}

/** How much of the first chunk the sniffer sees, bytes: enough for the first lines of any sane file. */
const PEEK_BYTES = 16_384;

/**
 * The first chunk of `stream` (at most PEEK_BYTES of it) as text, left in the stream (undefined when the stream
 * is empty and has ended). The chunk is put back in the same callback that read
 * it: once the event loop turns, a stream that was read to its end may already have emitted "end", and putting
 * data back after that is an error.
 */
function peek(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const done = (text: string | undefined) => {
      stream.off("readable", onReadable);
      stream.off("error", onError);
      stream.off("end", onEnd);
      resolve(text);
    };
    const onReadable = () => {
      const chunk = stream.read() as Buffer | string | null;
      if (chunk === null) return; // "readable" at the end: "end" follows
      stream.unshift(chunk);
      done(
        Buffer.isBuffer(chunk)
          ? chunk.toString("utf8", 0, Math.min(chunk.length, PEEK_BYTES))
          : chunk.slice(0, PEEK_BYTES),
      );
    };
    const onError = (error: Error) => {
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      reject(error);
    };
    const onEnd = () => done(undefined);
    stream.on("readable", onReadable);
    stream.once("error", onError);
    stream.once("end", onEnd);
  });
}
