/**
 * Heap measurements after a full garbage collection, without needing `node --expose-gc`: V8's flag is set
 * at run time and `gc` is taken from a fresh context (works in vitest's forked workers too).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gcFunction: (() => void) | undefined;

function collector(): () => void {
  if (gcFunction === undefined) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  return gcFunction;
}

/** Runs full collections (and lets finalizers and pending I/O callbacks run in between); resolves when done. */
async function collectGarbage(rounds = 3): Promise<void> {
  const gc = collector();
  for (let round = 0; round < rounds; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** `process.memoryUsage().heapUsed` after a full collection, in MiB rounded to 0.1. */
export async function heapUsedAfterGcMb(): Promise<number> {
  await collectGarbage();
  return Math.round((process.memoryUsage().heapUsed / 1_048_576) * 10) / 10;
}
