/**
 * The child process of the outbox's kill -9 test (test/integration/gateway-outbox.test.ts):
 * `node --import tsx test/helpers/outbox-writer.ts <outbox file>` opens the outbox and writes until it is
 * killed — batches of 50 items, 8 batches in flight, so the group commit merges several into one transaction;
 * every other batch is then marked sent and acknowledged. Each line it prints reports a write whose promise
 * has resolved, so the parent can hold the file to it after the kill:
 *
 *   accepted <id>   accept() resolved: the item is stored
 *   sent <id>       markSent() resolved: the item is `sent` (or final), attempts 1
 *   acked <id>      settle() resolved: the item is `acked`, with its outcome record
 */
import { openSqliteOutbox } from "../../src/gateway/outbox/sqlite-outbox.js";

const BATCH_ITEMS = 50;
const BATCHES_IN_FLIGHT = 8;

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write("usage: node --import tsx test/helpers/outbox-writer.ts <outbox file>\n");
  process.exit(2);
}

const outbox = await openSqliteOutbox(path);
let nextItem = 0;
let nextBatch = 0;

function print(word: string, ids: readonly string[]): void {
  // Writes to a pipe are synchronous on Linux: a printed line is in the pipe before the next write starts.
  process.stdout.write(ids.map((id) => `${word} ${id}\n`).join(""));
}

function fail(error: unknown): void {
  process.stderr.write(`outbox-writer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}

async function writeBatch(): Promise<void> {
  const batch = nextBatch++;
  const items = Array.from({ length: BATCH_ITEMS }, () => {
    const n = nextItem++;
    return {
      id: `w-${n}`,
      account: n % 2 === 0 ? "even" : "odd",
      ric: `RIC${n % 7}.W`,
      fields: { BID: n, ASK: n + 0.5, SOURCE: "writer", BLANK: null },
    };
  });
  const ids = items.map((item) => item.id);
  const results = await outbox.accept(items, Date.now());
  if (results.some((result) => result.kind !== "stored")) throw new Error(`batch ${batch} was not stored as new`);
  print("accepted", ids);
  if (batch % 2 === 0) {
    await outbox.markSent(
      ids.map((id, index) => ({ id, postId: index + 1 })),
      Date.now(),
    );
    print("sent", ids);
    await outbox.settle(
      ids.map((id) => ({ id, state: "acked" as const })),
      Date.now(),
    );
    print("acked", ids);
  }
}

function keepWriting(): void {
  writeBatch().then(keepWriting, fail);
}

for (let index = 0; index < BATCHES_IN_FLIGHT; index++) keepWriting();
