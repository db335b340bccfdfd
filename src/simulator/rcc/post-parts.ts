/**
 * Multi-part posts (docs/protocol.md §2.8 key table, §4A.6 rule 8): the parts of one post share `PostID`, carry
 * `"Complete":false` on all but the last, and number themselves with `PartNumber` 0, 1, 2… The contribution
 * system buffers them per (stream ID, PostID) and applies and Acks the post once, after its last part; a part out
 * of order or missing is a gap, Nak'd `InvalidContent`, and the post is discarded.
 *
 * Scope [INF]: rule 8 keys the buffer on the post's stream ID, whichever stream that is, so it covers off-stream
 * posts on the Login stream as well as on-stream posts; the keys are those of every Post (§2.8 table,
 * [DOC-SPEC]), which both profiles convert with the same converter (§0 [SDK]), so it holds in the RCC
 * profile too. RCC's own rules (nested Updates only, §2.8, item 22) then apply to the assembled post.
 *
 * Memory stays bounded: the fields of the parts are merged as they arrive (one value per field at most), and a
 * connection may hold at most {@link MULTIPART_LIMITS} open posts and buffered parts. The buffer lives with its
 * connection and is emptied when the Login stream closes and when the connection closes.
 */
import type { JsonObject } from "./message-keys.js";
import type { ConvertedPost } from "./converted-post.js";

/** Per-connection bounds of the multi-part buffer. */
export interface MultipartLimits {
  /** Multi-part posts that may be open (first part received, last not yet) at once on one connection. */
  readonly maxOpenPosts: number;
  /** Parts (all but the last of each post) that may be buffered at once on one connection, all posts together. */
  readonly maxBufferedParts: number;
}

/**
 * The simulator's bounds (not configurable: no documented server limit exists to imitate, [INF]).
 * @default { maxOpenPosts: 16, maxBufferedParts: 256 }
 */
export const MULTIPART_LIMITS: MultipartLimits = { maxOpenPosts: 16, maxBufferedParts: 256 };

/** A part the buffer refuses: Nak the post with this code and text. */
export class PartRejection {
  /**
   * @param code `InvalidContent` for a gap or an inconsistent part, `NoResources` for a full buffer.
   * @param text the Nak's `Text`.
   */
  constructor(
    readonly code: "InvalidContent" | "NoResources",
    readonly text: string,
  ) {}
}

/** A multi-part post between its first and its last part. */
interface OpenPost {
  /** Part 0, which gives the post its key, type, rights and `PostUserInfo`. */
  readonly first: ConvertedPost;
  /** Fields of the parts received so far, merged in part order. */
  readonly fields: JsonObject;
  nextPart: number;
  /** Whether any part so far asked for an Ack [INF]. */
  ack: boolean;
  /** Parts buffered for this post. */
  parts: number;
  contentProblem: string | undefined;
}

/** The multi-part buffer of one connection. */
export class MultipartBuffer {
  readonly #limits: MultipartLimits;
  readonly #open = new Map<string, OpenPost>();
  #parts = 0;

  /** @param limits the bounds. @default MULTIPART_LIMITS */
  constructor(limits: MultipartLimits = MULTIPART_LIMITS) {
    this.#limits = limits;
  }

  /** Multi-part posts currently open on the connection. */
  get openPosts(): number {
    return this.#open.size;
  }

  /** Parts currently buffered on the connection. */
  get bufferedParts(): number {
    return this.#parts;
  }

  /**
   * Takes one converted post.
   * @returns the post to process now (a single-part post as is, or a multi-part post assembled from all its
   *   parts after the last one); undefined when the part was buffered; a {@link PartRejection} to Nak (the
   *   post's buffer, if any, is then gone, and `post.ack` says whether any of its parts asked for an Ack).
   */
  accept(post: ConvertedPost): ConvertedPost | PartRejection | undefined {
    // The hot path: a single-part post while nothing is open costs two comparisons.
    if (post.complete && post.partNumber === undefined && this.#open.size === 0) return post;
    const { id, postId } = post;
    const part = post.partNumber;
    if (postId === undefined) {
      if (post.complete && (part ?? 0) === 0) return post;
      return new PartRejection(
        "InvalidContent",
        `Part ${part ?? 0} of a multi-part post on stream ${id} has no PostID`,
      );
    }
    const key = `${id}/${postId}`;
    const open = this.#open.get(key);
    if (open === undefined) return this.#begin(post, key, part ?? 0);
    post.ack ||= open.ack;
    const label = `Multi-part post ${postId} on stream ${id}`;
    if (part !== open.nextPart) {
      this.#discard(key, open);
      const received = part === undefined ? "a part without PartNumber" : `PartNumber ${part}`;
      return new PartRejection(
        "InvalidContent",
        `${label}: expected PartNumber ${open.nextPart}, received ${received}; the post is discarded`,
      );
    }
    const mismatch = inconsistency(open.first, post);
    if (mismatch !== undefined) {
      this.#discard(key, open);
      return new PartRejection("InvalidContent", `${label}: part ${part} ${mismatch}; the post is discarded`);
    }
    if (!post.complete && this.#parts >= this.#limits.maxBufferedParts) {
      this.#discard(key, open);
      return new PartRejection("NoResources", `${label}: ${this.#partsFull()}; the post is discarded`);
    }
    if (post.fields !== undefined) Object.assign(open.fields, post.fields);
    open.contentProblem ??= post.contentProblem;
    open.ack = post.ack;
    open.nextPart += 1;
    if (!post.complete) {
      open.parts += 1;
      this.#parts += 1;
      return undefined;
    }
    this.#discard(key, open);
    return {
      ...open.first,
      ack: open.ack,
      complete: true,
      partNumber: part,
      // The Ack answers the last part, so it echoes that part's SeqNumber when it has one (§4A.6 rule 4).
      seqNumber: post.seqNumber ?? open.first.seqNumber,
      fields: open.fields,
      contentProblem: open.contentProblem,
    };
  }

  /**
   * Drops the open post of `post`'s stream and PostID, if any (the post was Nak'd for another reason).
   * @returns whether an earlier part of that post asked for an Ack.
   */
  discard(post: ConvertedPost): boolean {
    if (this.#open.size === 0 || post.postId === undefined) return false;
    const key = `${post.id}/${post.postId}`;
    const open = this.#open.get(key);
    if (open === undefined) return false;
    this.#discard(key, open);
    return open.ack;
  }

  /** Drops every open post (Login stream closed, connection closed). */
  clear(): void {
    this.#open.clear();
    this.#parts = 0;
  }

  /** The first part of a post (or a part that claims to be the first of a post that is not open). */
  #begin(post: ConvertedPost, key: string, part: number): ConvertedPost | PartRejection | undefined {
    const label = `Multi-part post ${post.postId} on stream ${post.id}`;
    if (part !== 0) {
      return new PartRejection(
        "InvalidContent",
        `${label}: expected PartNumber 0, received PartNumber ${part} (parts missing or out of order)`,
      );
    }
    if (post.complete) return post;
    if (this.#open.size >= this.#limits.maxOpenPosts) {
      return new PartRejection(
        "NoResources",
        `${label}: too many open multi-part posts on this connection (at most ${this.#limits.maxOpenPosts})`,
      );
    }
    if (this.#parts >= this.#limits.maxBufferedParts)
      return new PartRejection("NoResources", `${label}: ${this.#partsFull()}`);
    this.#open.set(key, {
      first: post,
      fields: { ...post.fields },
      nextPart: 1,
      ack: post.ack,
      parts: 1,
      contentProblem: post.contentProblem,
    });
    this.#parts += 1;
    return undefined;
  }

  #discard(key: string, open: OpenPost): void {
    this.#open.delete(key);
    this.#parts -= open.parts;
  }

  #partsFull(): string {
    return `too many buffered parts of multi-part posts on this connection (at most ${this.#limits.maxBufferedParts})`;
  }
}

/** Why a later part does not belong with the first one, or undefined when it does. */
function inconsistency(first: ConvertedPost, part: ConvertedPost): string | undefined {
  if (part.domain !== first.domain) return `has Domain ${String(part.domain)}, part 0 has ${String(first.domain)}`;
  const kind = (post: ConvertedPost): string => (post.payloadOnly ? "payload-only" : (post.nestedType ?? "empty"));
  if (kind(part) !== kind(first)) return `is ${kind(part)}, part 0 is ${kind(first)}`;
  // Later parts may leave Key out; one that names another item does not belong to this post.
  if (part.ric !== undefined && first.ric !== undefined && part.ric !== first.ric) {
    return `names ${part.ric}, part 0 names ${first.ric}`;
  }
  return undefined;
}
