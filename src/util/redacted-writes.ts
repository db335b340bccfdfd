/**
 * Masks the process's known secrets in everything written to a stream (the CLI's stdout and stderr): results,
 * `--json` lines, progress, the final error line, whoever writes them. Outputs are written a line (or a whole
 * record) per call, so a secret never straddles two writes.
 */
import { processSecrets, type SecretRegistry } from "./secret-registry.js";

const wrapped = new WeakSet<NodeJS.WritableStream>();

type WriteFunction = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;

/**
 * Wraps `stream.write` so that every string or byte chunk is redacted with `secrets` first. Idempotent per
 * stream; chunks with nothing to mask are passed on untouched.
 * @param secrets @default processSecrets
 */
export function redactWrites(stream: NodeJS.WritableStream, secrets: SecretRegistry = processSecrets): void {
  if (wrapped.has(stream)) return;
  wrapped.add(stream);
  const original = stream.write.bind(stream) as WriteFunction;
  const write: WriteFunction = (chunk, encoding, callback) => {
    if (typeof chunk === "string") return original(secrets.redact(chunk), encoding, callback);
    if (chunk instanceof Uint8Array) {
      const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("utf8");
      const clean = secrets.redact(text);
      if (clean !== text) return original(clean, typeof encoding === "function" ? encoding : "utf8", callback);
    }
    return original(chunk, encoding, callback);
  };
  (stream as unknown as { write: WriteFunction }).write = write;
}
