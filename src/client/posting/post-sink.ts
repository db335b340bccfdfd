/** What the post pipeline needs from its surroundings: where posts go out (the session) and who hears Naks. */
import type { Clock } from "../../util/clock.js";
import type { Logger } from "../../util/logger.js";
import type { NakError } from "../post-errors.js";
import type { ProtocolWarnings } from "../connection/protocol-warnings.js";

/** Where posts go out: the session. */
export interface PostSink {
  /** Posts that may be sent now (rate budget, connection ready). */
  postCapacity(nowMs: number): number;
  /** Milliseconds until a post slot frees up in the rate window. */
  postWaitMs(nowMs: number): number;
  sendPosts(text: string, count: number): void;
  /** Sends a control message (an item Request) on the ready connection. */
  sendControl(message: object): void;
  /**
   * `count` posts sent earlier were settled at monotonic `nowMs` (an answer arrived, their Ack timed out or
   * their connection was lost): the Ack-clocked rate window counts them from now (rate-governor.ts).
   */
  postsSettled(nowMs: number, count: number): void;
}

/** Collaborators of a `PostPipeline`. */
export interface PipelineDeps {
  clock: Clock;
  log: Logger;
  sink: PostSink;
  onNak: (error: NakError) => void;
  /** Where malformed Acks are reported (logged once per kind and connection). @default a new one on `log` */
  warnings?: ProtocolWarnings;
}
