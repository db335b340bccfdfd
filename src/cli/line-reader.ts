/**
 * Reads a stream's lines chunk by chunk for `rcc contribute` and hands each chunk's parsed rows over as one array.
 * Replaces readline plus a chain of async generators (one promise per line at every stage): here a chunk of input
 * (64 KiB for a file) costs one await, and its lines are split and parsed synchronously. Line breaks are those of
 * readline: `\n`, `\r\n` and a lone `\r`, a `\r\n` cut between two chunks counting once. Lines are numbered from 1.
 * A format that is not read line by line (JSON, json-records.ts) gets the same chunk loop through readChunkBatches.
 */
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** Turns numbered lines into items (rows, records), pushing them to the batch of the chunk being read. */
export interface LineParser<T> {
  /** Parses one line (without its line break); `line` is its 1-based number. */
  line(text: string, line: number, out: T[]): void;
  /** The input ended (or was destroyed): pushes what the lines held back still give. */
  end(out: T[]): void;
  /** True once nothing more can be read (e.g. a CSV header was refused): reading stops. */
  readonly done: boolean;
}

const LINE_FEED = 10;

/** Splits text arriving in pieces into lines, keeping the unfinished last line of each piece for the next. */
export class LineSplitter {
  /** The text after the last line break seen. */
  #carry = "";
  /** The last piece ended with `\r`: a `\n` starting the next piece belongs to that line break. */
  #afterReturn = false;
  #line = 0;

  /** Hands every line `text` completes to `parser`, stopping when the parser is done. */
  push<T>(text: string, parser: LineParser<T>, out: T[]): void {
    if (text === "") return; // keeps a pending `\r` waiting for the `\n` that may follow
    let start = 0;
    if (this.#afterReturn) {
      this.#afterReturn = false;
      if (text.charCodeAt(0) === LINE_FEED) start = 1;
    }
    let carry = this.#carry;
    // Each search covers new text only: the next `\n` and the next `\r` are searched again once passed.
    let feed = text.indexOf("\n", start);
    let ret = text.indexOf("\r", start);
    for (;;) {
      if (feed >= 0 && feed < start) feed = text.indexOf("\n", start);
      if (ret >= 0 && ret < start) ret = text.indexOf("\r", start);
      const end = feed < 0 ? ret : ret < 0 || feed < ret ? feed : ret;
      if (end < 0) break;
      const line = carry === "" ? text.slice(start, end) : carry + text.slice(start, end);
      carry = "";
      start = end + 1;
      if (end === ret) {
        if (start === text.length) this.#afterReturn = true;
        else if (text.charCodeAt(start) === LINE_FEED) start += 1;
      }
      this.#line += 1;
      parser.line(line, this.#line, out);
      if (parser.done) return;
    }
    this.#carry = start === text.length ? carry : carry + text.slice(start);
  }

  /** The input ended: its last line, when it has no line break, is a line too. */
  end<T>(parser: LineParser<T>, out: T[]): void {
    const rest = this.#carry;
    this.#carry = "";
    if (rest !== "" && !parser.done) {
      this.#line += 1;
      parser.line(rest, this.#line, out);
    }
  }
}

/** Ends quietly on a destroyed input (Ctrl+C): its stream iterator rejects with a premature close. */
function isPrematureClose(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ERR_STREAM_PREMATURE_CLOSE";
}

/**
 * Turns text arriving in pieces into items (rows, records) without splitting it into lines first: what a format
 * whose records may sit anywhere on a line (a JSON array on one line) reads with, through {@link readChunkBatches}.
 */
export interface ChunkParser<T> {
  /** Parses the next piece of the input (decoded text, any length), pushing the items it completes. */
  push(text: string, out: T[]): void;
  /**
   * The input ended. `complete` is false when it was destroyed (Ctrl+C): the text held back was cut, not ended,
   * and should give nothing.
   */
  end(out: T[], complete: boolean): void;
  /** True once nothing more can be read: reading stops. */
  readonly done: boolean;
}

/**
 * Reads `input` (bytes as UTF-8, or strings) and yields, per chunk, the items `parser` makes of it; chunks that
 * give nothing yield nothing. Ends when the input ends, when it is destroyed (the parser is then told the input
 * was cut) or when the parser is done. The input is never read whole; while the consumer works on a batch the
 * stream is not read, so its own backpressure holds. Leaving early pauses the input rather than destroying it
 * (as readline did).
 */
export async function* readChunkBatches<T>(input: Readable, parser: ChunkParser<T>): AsyncGenerator<T[]> {
  const decoder = new StringDecoder("utf8");
  let finished = false;
  let destroyed = false;
  try {
    try {
      for await (const chunk of input.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>) {
        const out: T[] = [];
        parser.push(typeof chunk === "string" ? chunk : decoder.write(chunk), out);
        if (out.length > 0) yield out;
        if (parser.done) return;
      }
    } catch (error) {
      if (!isPrematureClose(error)) throw error;
      destroyed = true;
    }
    const out: T[] = [];
    if (!destroyed) {
      const rest = decoder.end();
      if (rest !== "") parser.push(rest, out);
    }
    if (!parser.done) parser.end(out, !destroyed);
    finished = true;
    if (out.length > 0) yield out;
  } finally {
    if (!finished && !input.destroyed) input.pause();
  }
}

/** A {@link LineParser} as a {@link ChunkParser}: lines split by a {@link LineSplitter}. */
class LineChunks<T> implements ChunkParser<T> {
  readonly #splitter = new LineSplitter();
  readonly #parser: LineParser<T>;

  constructor(parser: LineParser<T>) {
    this.#parser = parser;
  }

  get done(): boolean {
    return this.#parser.done;
  }

  push(text: string, out: T[]): void {
    this.#splitter.push(text, this.#parser, out);
  }

  end(out: T[], complete: boolean): void {
    // A destroyed input's unfinished last line was cut, not ended: it is dropped.
    if (complete) this.#splitter.end(this.#parser, out);
    if (!this.#parser.done) this.#parser.end(out);
  }
}

/**
 * Reads `input` (bytes as UTF-8, or strings) and yields, per chunk, the items `parser` makes of its lines, as
 * {@link readChunkBatches} does (the unfinished last line of a destroyed input is dropped: it was cut, not ended).
 */
export function readLineBatches<T>(input: Readable, parser: LineParser<T>): AsyncGenerator<T[]> {
  return readChunkBatches(input, new LineChunks(parser));
}

/** Yields the items of `batches` one by one (the row-by-row readers are this over the batch readers). */
export async function* flatten<T>(batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch;
}
