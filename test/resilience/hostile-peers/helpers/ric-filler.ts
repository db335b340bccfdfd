/**
 * Fills the simulator's last-value table from one logged-in raw connection as fast as the socket takes it: posts
 * packed many to a frame (§2.2), each with `Ack:true`, and waits for the Ack or Nak of every one.
 */
import type { RawClient, Received } from "../../../helpers/raw-client.js";
import { post } from "../../../helpers/raw-client.js";

/** Largest frame the fill sends, bytes: under the simulator's default `maxMessageBytes` (61,440). */
const FRAME_BUDGET_BYTES = 60_000;

/** Outcome of a fill: the Acks and the Naks by text. */
export interface FillResult {
  acked: number;
  naks: Received[];
}

let nextPostId = 1_000_000;

/** Posts `fields(ric)` to every RIC of `rics` on `client`'s login stream (ID 1) and waits for every answer. */
export async function fillRics(
  client: RawClient,
  rics: readonly string[],
  fields: (ric: string) => Record<string, unknown>,
  timeoutMs = 12_000,
): Promise<FillResult> {
  const pending = new Set<number>();
  const result: FillResult = { acked: 0, naks: [] };
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // Read, not spliced: the client's waiter keeps its own positions in `messages`.
  let seen = client.messages.length;
  const onMessage = (): void => {
    const messages = client.messages;
    for (; seen < messages.length; seen += 1) {
      const message = messages[seen]!;
      if (message.Type === "Ping") client.send({ Type: "Pong" });
      if (message.Type !== "Ack" || !pending.delete(message.AckID as number)) continue;
      if (message.NakCode === undefined) result.acked += 1;
      else result.naks.push(message);
    }
    if (pending.size === 0) done();
  };
  client.ws.on("message", onMessage);
  let frame: string[] = [];
  let bytes = 2;
  const flush = (): void => {
    if (frame.length > 0) client.send(`[${frame.join(",")}]`);
    frame = [];
    bytes = 2;
  };
  for (const ric of rics) {
    const postId = nextPostId++;
    pending.add(postId);
    const text = JSON.stringify(post(postId, ric, fields(ric)));
    if (bytes + text.length + 1 > FRAME_BUDGET_BYTES) flush();
    frame.push(text);
    bytes += text.length + 1;
  }
  flush();
  const timer = setTimeout(done, timeoutMs);
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    client.ws.off("message", onMessage);
  }
  if (pending.size > 0) throw new Error(`${pending.size} of ${rics.length} posts unanswered after ${timeoutMs} ms`);
  return result;
}
