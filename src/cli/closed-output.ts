/**
 * A reader that goes away early (`rcc demo --json | head -1`) closes the pipe under stdout, and the next write
 * fails with EPIPE, which Node reports as an 'error' event: unhandled, a crash with a stack trace. Unix tools
 * die silently of SIGPIPE instead (Node ignores that signal), so the CLI does it by hand: it stops the running
 * command as Ctrl+C does (Login Close included), says nothing, and exits 141 — what a shell reports for a writer
 * killed by SIGPIPE (128 + 13), as git's exit looks — at the latest {@link OUTPUT_CLOSED_GRACE_MS} later.
 * The same holds for stderr. Any other write failure (a full disk under `> file`) stops the command the same
 * way but is reported, on the other stream, and exits 1.
 */
import { EXIT } from "./exit-codes.js";

/**
 * Longest wait between the output closing and the exit, milliseconds: enough for the contributor to drain its
 * posts in flight (its `drainTimeoutMs`, 5 s by default) and send the Login Close, short enough that a pipeline
 * does not hang on a peer that never answers.
 */
export const OUTPUT_CLOSED_GRACE_MS = 6_000;

/** Stops one command's output when stdout closes. */
type OutputStop = () => void;

const stops = new Set<OutputStop>();
const guarded = new WeakSet<NodeJS.WritableStream>();
let closed = false;

/** Whether stdout or stderr failed (closed by its reader, or another write error): output is pointless now. */
export function isOutputClosed(): boolean {
  return closed;
}

/**
 * Registers how the running command stops early (as on Ctrl+C: stop reading, close the session). Called at
 * most once, when the output closes; at once (in a microtask) when it already has.
 * @returns a function that removes the registration (call it when the command ends).
 */
export function onOutputClosed(stop: OutputStop): () => void {
  if (closed) {
    queueMicrotask(stop);
    return () => undefined;
  }
  stops.add(stop);
  return () => {
    stops.delete(stop);
  };
}

/** Options of {@link guardOutput}; the defaults are the process's own streams and exit. */
export interface OutputGuardOptions {
  /** The streams to watch, by name. @default stdout and stderr of the process */
  streams?: Record<string, NodeJS.WritableStream>;
  /** Longest wait before exiting anyway, milliseconds. @default OUTPUT_CLOSED_GRACE_MS (6,000) */
  graceMs?: number;
}

/**
 * Watches stdout and stderr for write failures: the first one stops the command (see {@link onOutputClosed}),
 * fixes the exit code (141 for EPIPE, else 1) whatever the command sets afterwards, and bounds the time left.
 * Idempotent per stream.
 */
export function guardOutput(options: OutputGuardOptions = {}): void {
  const streams = options.streams ?? { stdout: process.stdout, stderr: process.stderr };
  const graceMs = options.graceMs ?? OUTPUT_CLOSED_GRACE_MS;
  for (const [name, stream] of Object.entries(streams)) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on("error", (error: NodeJS.ErrnoException) => outputFailed(name, error, streams, graceMs));
  }
}

function outputFailed(
  name: string,
  error: NodeJS.ErrnoException,
  streams: Record<string, NodeJS.WritableStream>,
  graceMs: number,
): void {
  if (closed) return;
  closed = true;
  const quiet = error.code === "EPIPE";
  if (!quiet) {
    const other = name === "stderr" ? undefined : streams.stderr;
    other?.write(`rcc: cannot write to ${name} (${error.code ?? error.message}); stopping\n`);
  }
  const exitCode = quiet ? EXIT.outputClosed : EXIT.usage;
  process.exitCode = exitCode;
  // The command may still set its own exit code while it winds down: the output failure wins.
  process.on("exit", () => {
    process.exitCode = exitCode;
  });
  // Unref'd: a command that winds down in time exits on its own, as soon as it is done.
  setTimeout(() => process.exit(exitCode), graceMs).unref();
  for (const stop of [...stops]) {
    stops.delete(stop);
    stop();
  }
}
