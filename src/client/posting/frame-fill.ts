/**
 * Filling one frame from the head of the queue (§2.2): as many posts as the budget (rate, in-flight room)
 * allows and the byte cap holds, each given the next PostID. Off-stream is the hot path of the default
 * mode: per post one size sum, one template render, no allocation beyond the string. On-stream (§4A.6)
 * adds one map look-up per post for the RIC's item stream.
 */
import { type PostEntry, rejectPost } from "./post-entry.js";
import { type FrameBuilder, type PostFormat, digitCount } from "./frame-builder.js";
import type { ItemStreams } from "./item-streams.js";
import type { PostQueue } from "./post-queue.js";

/**
 * Moves off-stream posts from the queue into `frame` and `batch`, PostIDs from `firstPostId` up (the caller
 * advances its counter by `batch.length`).
 */
export function fillOffStream(
  queue: PostQueue,
  frame: FrameBuilder,
  format: PostFormat,
  batch: PostEntry[],
  budget: number,
  firstPostId: number,
): void {
  let postId = firstPostId;
  for (let entry = queue.peek(); entry !== undefined && batch.length < budget; entry = queue.peek()) {
    const bytes = entry.sizeWithoutPostId + digitCount(postId);
    if (!frame.fits(bytes)) break;
    queue.shift();
    entry.postId = postId;
    frame.add(format.render(postId, entry.ricJson, entry.fieldsJson), bytes);
    batch.push(entry);
    postId += 1;
  }
}

/**
 * Like {@link fillOffStream}, for posts on item streams: stops at a post whose stream is still opening (so
 * FIFO order holds across RICs; the streams' `onChange` flushes again), opens a stream the post's RIC lacks,
 * and rejects, without a PostID, the posts whose stream was refused.
 * @returns how many posts were rejected.
 */
export function fillOnStream(
  queue: PostQueue,
  frame: FrameBuilder,
  streams: ItemStreams,
  batch: PostEntry[],
  budget: number,
  firstPostId: number,
): number {
  const format = streams.format;
  let postId = firstPostId;
  let refused = 0;
  for (let entry = queue.peek(); entry !== undefined && batch.length < budget; entry = queue.peek()) {
    const stream = streams.get(entry.ric) ?? streams.open(entry.ric);
    if (stream === undefined || stream.state === "opening") break;
    if (stream.error !== undefined) {
      queue.shift();
      rejectPost(entry, stream.error);
      refused += 1;
      continue;
    }
    const bytes = entry.sizeWithoutPostId + stream.sizeDelta + digitCount(postId);
    if (!frame.fits(bytes)) break;
    queue.shift();
    entry.postId = postId;
    frame.add(format.render(stream.head, postId, entry.fieldsJson), bytes);
    batch.push(entry);
    postId += 1;
  }
  return refused;
}
