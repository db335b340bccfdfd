/**
 * Opens the input of `rcc contribute`: a file (its size known, for the ETA) or stdin, in CSV or NDJSON chosen by
 * `--format`, else the file extension, else the first bytes.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { CliError, EXIT } from "./exit-codes.js";
import {
  formatFromName,
  type InputFormat,
  type InputRow,
  readCsvBatches,
  readNdjsonBatches,
  sniffFormat,
} from "./input.js";

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
 * Opens `file` (`-` = stdin).
 * @throws CliError (exit 1) when the file cannot be read.
 */
export async function openInput(file: string, format: InputFormat | undefined): Promise<InputSource> {
  let stream: Readable;
  let size: number | undefined;
  if (file === "-") {
    stream = process.stdin;
  } else {
    try {
      size = (await stat(file)).size;
    } catch (error) {
      throw new CliError(`cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? "error"})`, EXIT.usage);
    }
    stream = createReadStream(file);
  }
  let chosen = format ?? (file === "-" ? undefined : formatFromName(file));
  if (chosen === undefined) {
    const head = await peek(stream);
    // An empty input has ended already: a reader attached now would wait for an "end" that never comes again.
    if (head === undefined) return { batches: noRows(), stream, bytesRead: () => 0 };
    chosen = sniffFormat(head);
  }
  return {
    batches: chosen === "csv" ? readCsvBatches(stream) : readNdjsonBatches(stream),
    stream,
    ...(size === undefined ? {} : { size }),
    bytesRead: () => (stream as Readable & { bytesRead?: number }).bytesRead,
  };
}

async function* noRows(): AsyncGenerator<InputRow[]> {}

/**
 * The first bytes of `stream` as text, left in the stream (undefined when the stream is empty and has ended). The chunk is put back in the same callback that read
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
      done(Buffer.isBuffer(chunk) ? chunk.toString("utf8", 0, Math.min(chunk.length, 64)) : chunk.slice(0, 64));
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
