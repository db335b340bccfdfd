/**
 * wire (benchmark 10 in docs/performance.md): the wire's limit as an anchor. A bare `ws` client pipelines
 * pre-serialised posts (the tutorial's fields, only the PostID changing) to a bare ack-only `ws` server in its own
 * process (bench/ack-server.mjs), unbatched (one post per frame) and batched (frames of up to 61,440 bytes), 1,000
 * posts in flight; then the Contributor against the same server with the same bounds. Ours is reported as a
 * fraction of the bare client's posts/s (goal ≥ 0.8 batched), with both clients' CPU per acked post.
 */
import WebSocket from "ws";
import { Contributor } from "../src/index.js";
import { buildPost } from "../src/protocol/messages.js";
import { spawnTracked, type TrackedChild } from "./children.js";
import { type Bench, type BenchResult, round } from "./result.js";
import { BENCH_RIC, pump, tutorialFields } from "./workload.js";

/** Posts in flight for both clients (the Contributor's default `maxInFlight`). */
const IN_FLIGHT = 1_000;
/** The largest frame (the Contributor's default `maxFrameBytes`). */
const MAX_FRAME_BYTES = 61_440;

interface WireRun {
  postsPerSecond: number;
  cpuUsPerPost: number;
  acked: number;
}

async function startAckServer(): Promise<{ child: TrackedChild; url: string }> {
  const child = spawnTracked(["bench/ack-server.mjs"]);
  const line = await child.nextLine(10_000, "the ack-only server's url");
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

/** The post as the Contributor writes it, split around its PostID so a bare client only concatenates. */
function postTemplate(streamId: number): { head: string; tail: string } {
  const text = JSON.stringify(buildPost({ ric: BENCH_RIC, fields: tutorialFields(0), postId: 999_999_999 }));
  const marker = '"PostID":999999999';
  const at = text.indexOf(marker);
  if (at < 0) throw new Error("the post template has no PostID");
  const head = `${text.slice(0, at).replace(/"ID":\d+/, `"ID":${streamId}`)}"PostID":`;
  return { head, tail: text.slice(at + marker.length) };
}

/** The bare client: one socket, a user-name Login, then posts pipelined `IN_FLIGHT` deep for `durationMs`. */
async function bareClient(url: string, batched: boolean, durationMs: number): Promise<WireRun> {
  const socket = new WebSocket(url, "tr_json2");
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const refreshed = new Promise<void>((resolve) => socket.once("message", () => resolve()));
  socket.send(JSON.stringify({ ID: 1, Domain: "Login", Key: { Name: "bench", Elements: { ApplicationId: "256" } } }));
  await refreshed;
  const { head, tail } = postTemplate(1);
  const postsPerFrame = batched ? Math.floor(MAX_FRAME_BYTES / (head.length + tail.length + 12)) : 1;
  let nextId = 1;
  let acked = 0;
  let outstanding = 0;
  let sending = true;
  const send = (): void => {
    while (sending && outstanding < IN_FLIGHT) {
      const count = Math.min(postsPerFrame, IN_FLIGHT - outstanding);
      let frame = "[";
      for (let index = 0; index < count; index++) frame += `${index === 0 ? "" : ","}${head}${nextId++}${tail}`;
      socket.send(`${frame}]`);
      outstanding += count;
    }
  };
  const done = new Promise<void>((resolve) => {
    socket.on("message", (data: Buffer) => {
      const text = data.toString("utf8");
      let count = 0;
      for (let at = text.indexOf('"AckID"'); at >= 0; at = text.indexOf('"AckID"', at + 7)) count += 1;
      acked += count;
      outstanding -= count;
      if (sending) send();
      else if (outstanding === 0) resolve();
    });
  });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  send();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  sending = false;
  await done;
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  socket.close();
  return { postsPerSecond: acked / (elapsedMs / 1000), cpuUsPerPost: (cpu.user + cpu.system) / acked, acked };
}

/** The Contributor on the same server, with the same bounds (one post per frame when not batched). */
async function contributorClient(url: string, batched: boolean, durationMs: number): Promise<WireRun> {
  const { head, tail } = postTemplate(1);
  const client = new Contributor({
    auth: { userName: "bench" },
    urls: [url],
    maxInFlight: IN_FLIGHT,
    // One post per frame: room for one post and its brackets, not two (the pipeline's smallest is 256).
    maxFrameBytes: batched ? MAX_FRAME_BYTES : Math.max(256, head.length + tail.length + 24),
  });
  await client.connect();
  try {
    const submit = (i: number) => client.contribute(BENCH_RIC, tutorialFields(i));
    const window = IN_FLIGHT + 10_000;
    await pump(submit, { durationMs: Math.min(500, durationMs / 4), window, recordLatencies: false }); // warm-up
    const result = await pump(submit, { durationMs, window, recordLatencies: false });
    return {
      postsPerSecond: result.acked / (result.elapsedMs / 1000),
      cpuUsPerPost: result.cpuUs / Math.max(1, result.acked),
      acked: result.acked,
    };
  } finally {
    await client.close();
  }
}

export const wire: Bench = async ({ quick }) => {
  const durationMs = quick ? 1_500 : 6_000;
  const { child, url } = await startAckServer();
  try {
    const results: BenchResult[] = [];
    for (const batched of [true, false]) {
      const mode = batched ? "batched" : "unbatched";
      await bareClient(url, batched, Math.min(500, durationMs / 4)); // warm-up of the server and the bare client
      const bare = await bareClient(url, batched, durationMs);
      const ours = await contributorClient(url, batched, durationMs);
      const params = { inFlight: IN_FLIGHT, durationMs, maxFrameBytes: batched ? MAX_FRAME_BYTES : "one post" };
      results.push(
        {
          bench: "wire",
          metric: `bare_ws_posts_per_s_${mode}`,
          value: round(bare.postsPerSecond),
          unit: "posts/s",
          params: { ...params, acked: bare.acked, cpuUsPerPost: round(bare.cpuUsPerPost, 3) },
        },
        {
          bench: "wire",
          metric: `contributor_posts_per_s_${mode}`,
          value: round(ours.postsPerSecond),
          unit: "posts/s",
          params: { ...params, acked: ours.acked, cpuUsPerPost: round(ours.cpuUsPerPost, 3) },
        },
        {
          bench: "wire",
          metric: `contributor_fraction_of_bare_${mode}`,
          value: round(ours.postsPerSecond / bare.postsPerSecond, 3),
          unit: "ratio",
          params: { bareCpuUsPerPost: round(bare.cpuUsPerPost, 3), ourCpuUsPerPost: round(ours.cpuUsPerPost, 3) },
          ...(batched ? { goal: { op: ">=" as const, value: 0.8 } } : {}),
        },
      );
    }
    return results;
  } finally {
    await child.stop();
  }
};
