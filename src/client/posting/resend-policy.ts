/**
 * What happens to the posts in flight when their connection drops. With `resendInFlight:
 * false` each rejects with {@link ConnectionLostError} (outcome unknown). With `resendInFlight: true` (the
 * default) each is re-sent first on the next connection, in send order, with a new PostID — except what a
 * NEWER post to the same RIC, acknowledged before the drop, already overwrote at the server: re-sending that
 * would put an older value back over a newer one. So, per lost post P:
 *
 * - no newer acknowledged post to P's RIC carried any of P's fields: P is re-sent unchanged;
 * - newer acknowledged posts carried some of P's fields: P is re-sent with only the others, and its Ack
 *   then acknowledges that reduced post (the covered fields already hold newer values);
 * - they carried all of P's fields: P is not re-sent and rejects with {@link SupersededError}.
 *
 * The bookkeeping behind it is the {@link SupersessionLedger}, fed on every settlement (cheap while Acks
 * arrive in order) and only when re-sending is on.
 */
import type { Fields } from "../../protocol/messages.js";
import { type PostEntry, rejectPost } from "./post-entry.js";
import type { PipelineCounters } from "./pipeline-counters.js";
import { ConnectionLostError, SupersededError } from "../errors.js";
import type { PrepareContext } from "./post-entry.js";
import { type InFlightLookup, SupersessionLedger } from "./supersession-ledger.js";

/** What {@link ResendPolicy} needs. */
export interface ResendPolicyDeps {
  /** The posts in flight by PostID (the AckTracker), read to tell overtaken posts. */
  inFlight: InFlightLookup;
  /** The post format and frame cap, to re-size a post re-sent with fewer fields. */
  prepare: PrepareContext;
  counters: Pick<PipelineCounters, "resent" | "connectionLost" | "superseded">;
}

/** The pipeline's policy for posts in flight when a connection drops. */
export class ResendPolicy {
  /** Present only with `resendInFlight: true`: without re-sends nothing needs to be known. */
  readonly #ledger: SupersessionLedger | undefined;
  readonly #deps: ResendPolicyDeps;

  /** @param resendInFlight the pipeline option: re-send (true) or reject (false) posts lost in flight. */
  constructor(resendInFlight: boolean, deps: ResendPolicyDeps) {
    this.#deps = deps;
    this.#ledger = resendInFlight ? new SupersessionLedger(deps.inFlight) : undefined;
  }

  /**
   * A post left flight on the current connection (already taken from the in-flight posts); `acked`: by a
   * positive Ack. Hot path: called once per post.
   */
  settled(entry: PostEntry, acked: boolean): void {
    this.#ledger?.settled(entry, acked);
  }

  /** A new connection is ready, or the pipeline stopped: PostIDs start again. */
  reset(): void {
    this.#ledger?.reset();
  }

  /**
   * Decides the fate of the posts that were in flight on the connection that just dropped (oldest first):
   * rejects those that must not be re-sent and returns the others, in order, to be re-sent first.
   */
  takeLost(lost: readonly PostEntry[], cause: Error): PostEntry[] {
    const ledger = this.#ledger;
    const { counters } = this.#deps;
    if (ledger === undefined) {
      for (const entry of lost) {
        counters.connectionLost += 1;
        const message = `connection lost before the Ack of post ${entry.postId} to ${entry.ric}`;
        rejectPost(entry, new ConnectionLostError(message, { cause, post: entry }));
      }
      return [];
    }
    const resend: PostEntry[] = [];
    for (const entry of lost) {
      const covered = ledger.coveredFields(entry);
      if (covered === undefined || this.#withoutFields(entry, covered)) resend.push(entry);
      else {
        counters.superseded += 1;
        rejectPost(entry, new SupersededError(entry));
      }
    }
    ledger.reset();
    counters.resent += resend.length;
    return resend;
  }

  /**
   * Drops the `covered` fields from a post about to be re-sent. @returns false, changing nothing, when no
   * field would be left (the post is superseded).
   */
  #withoutFields(entry: PostEntry, covered: ReadonlySet<string>): boolean {
    const fields = JSON.parse(entry.fieldsJson) as Fields;
    const left: Fields = {};
    let count = 0;
    for (const [name, value] of Object.entries(fields)) {
      if (covered.has(name)) continue;
      left[name] = value;
      count += 1;
    }
    if (count === 0) return false;
    entry.fieldsJson = JSON.stringify(left);
    // Fewer fields: the post only shrinks, so it still fits in a frame (§2.2).
    const bytes = Buffer.byteLength(entry.ricJson) + Buffer.byteLength(entry.fieldsJson);
    entry.sizeWithoutPostId = this.#deps.prepare.format.sizeWithoutPostId(bytes);
    return true;
  }
}
