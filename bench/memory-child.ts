/**
 * The memory benchmark's client process (run with `--expose-gc`):
 * `node --expose-gc --import tsx bench/memory-child.ts '<json {wsUrl, credentials, posts, mode}>'`.
 *
 * Connects a Contributor with the default in-flight and queue bounds, warms up, forces GC and takes the
 * baseline; then makes `posts` `contribute()` calls — all in one synchronous burst (`mode: "burst"`), or
 * keeping at most maxInFlight + maxQueued outstanding (`mode: "windowed"`) — samples RSS until every post
 * has settled, forces GC again and reports one JSON line on stdout. Exits when its stdin closes.
 */
import type { Ack } from "../src/client/posting/post-entry.js";
import { Contributor } from "../src/client/contributor.js";
import { BENCH_RIC, pump, tutorialFields } from "./workload.js";

interface Input {
  wsUrl: string;
  credentials: { authUrl: string; user: string; password: string; clientId: string };
  posts: number;
  mode: "burst" | "windowed";
}

const input = JSON.parse(process.argv[2] ?? "{}") as Input;
process.stdin.on("end", () => process.exit(2)).resume(); // the parent went away

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

async function settleGc(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const client = new Contributor({ ...input.credentials, urls: [input.wsUrl], drainTimeoutMs: 10_000 });
await client.connect();
const submit = (i: number): Promise<Ack> => client.contribute(BENCH_RIC, tutorialFields(i));
await pump(submit, { durationMs: 500, window: 11_000, recordLatencies: false }); // warm-up: JIT, socket buffers, pools
await settleGc();
const baseline = process.memoryUsage();

let peakRss = baseline.rss;
let peakHeap = baseline.heapUsed;
const sample = (): void => {
  const { rss, heapUsed } = process.memoryUsage();
  if (rss > peakRss) peakRss = rss;
  if (heapUsed > peakHeap) peakHeap = heapUsed;
};
const sampler = setInterval(sample, 20);
const start = performance.now();
let acked = 0;
let failed = 0;
if (input.mode === "burst") {
  let settled = 0;
  let done!: () => void;
  const allSettled = new Promise<void>((resolve) => (done = resolve));
  const onSettled = (): void => {
    settled += 1;
    if (settled === input.posts) done();
  };
  for (let i = 0; i < input.posts; i++) {
    submit(i).then(
      () => {
        acked += 1;
        onSettled();
      },
      () => {
        failed += 1;
        onSettled();
      },
    );
  }
  sample(); // right after the burst: every post is queued or waiting for room
  await Promise.race([allSettled, new Promise((resolve) => setTimeout(resolve, 300_000))]);
} else {
  // Outstanding posts bounded by the default maxInFlight (1,000) + maxQueued (10,000).
  const result = await pump(submit, {
    durationMs: Number.POSITIVE_INFINITY,
    window: 11_000,
    maxPosts: input.posts,
    recordLatencies: false,
  });
  acked = result.acked;
  failed = result.failed;
}
const elapsedMs = performance.now() - start;
sample();
clearInterval(sampler);
await settleGc();
const after = process.memoryUsage();
await client.close();
process.stdout.write(
  `${JSON.stringify({
    mode: input.mode,
    posts: input.posts,
    acked,
    failed,
    elapsedMs,
    baseline: { rss: baseline.rss, heapUsed: baseline.heapUsed },
    peak: { rss: peakRss, heapUsed: peakHeap },
    after: { rss: after.rss, heapUsed: after.heapUsed },
  })}\n`,
);
process.exit(0);
