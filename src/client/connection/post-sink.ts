/**
 * Where the post pipeline's posts go out: the session implements this itself, delegating to its link and to
 * the one rate governor it owns, so the pipeline reaches the socket and the rate budget through one object.
 */

/** Where posts go out: the session. */
export interface PostSink {
  /** Posts that may be sent now (rate budget, connection ready). */
  postCapacity(nowMs: number): number;
  /** Milliseconds until a post slot frees up in the rate window. */
  postWaitMs(nowMs: number): number;
  /** Sends one frame of `count` posts on the ready connection. */
  sendPosts(text: string, count: number): void;
  /** Sends a control message (an item Request) on the ready connection. */
  sendControl(message: object): void;
  /**
   * `count` posts sent earlier were settled at monotonic `nowMs` (an answer arrived, their Ack timed out or
   * their connection was lost): the Ack-clocked rate window counts them from now (rate-governor.ts).
   */
  postsSettled(nowMs: number, count: number): void;
}
