/**
 * `Idempotency-Key`s across gateways (docs/cluster.md, "Idempotent requests"): a request's key is claimed in a
 * KV bucket before any of its items is published, with the item ids the request will use and a hash of its
 * body. Of two gateways receiving the same key at once, one claims it and publishes; the other gets the
 * claim, and so the same ids. A claim left pending (its gateway died while publishing) is safe to finish by
 * whoever replays it: the items are published again under the claimed ids, which the inbound stream's
 * duplicate window drops where they arrived already.
 */
import { createHash } from "node:crypto";
import { isWrongLastSequence } from "./lease.js";

/** What a claim records. */
export interface RequestClaim {
  /** The producer's `Idempotency-Key`. */
  key: string;
  /** SHA-256 of the request body: a replay with another body is a conflict. */
  bodyHash: string;
  /** The ids of the request's items, in order; null for an item refused by the checks. */
  ids: readonly (string | null)[];
  /** Epoch milliseconds of the claim. */
  atMs: number;
  /** Whether every item was published (false while the claiming gateway publishes, or if it died doing so). */
  complete: boolean;
}

/** The part of a KV bucket the claims use; `@nats-io/kv`'s `KV` has it. */
export interface ClaimStore {
  create(key: string, data: string): Promise<number>;
  update(key: string, data: string, version: number): Promise<number>;
  get(key: string): Promise<{ revision: number; operation: "PUT" | "DEL" | "PURGE"; string(): string } | null>;
}

/** What {@link RequestClaims.claim} found. */
export type ClaimResult =
  | { kind: "claimed"; revision: number }
  | { kind: "replay"; claim: RequestClaim }
  | { kind: "conflict"; claim: RequestClaim };

/** The KV key of an `Idempotency-Key`: `req.` and the SHA-256 of it (any key becomes a valid, fixed-size one). */
export function claimKey(idempotencyKey: string): string {
  return `req.${createHash("sha256").update(idempotencyKey).digest("hex")}`;
}

/** The claims of one cluster. */
export class RequestClaims {
  readonly #store: ClaimStore;

  constructor(store: ClaimStore) {
    this.#store = store;
  }

  /**
   * Claims `claim.key` for this request, unless a request claimed it first.
   * @returns `claimed` (publish the items, then {@link complete}), `replay` (the first request's claim, same
   *   body: answer with its ids, after publishing its items again if it is not complete), or `conflict`
   *   (the key was used for another body).
   */
  async claim(claim: Omit<RequestClaim, "complete">): Promise<ClaimResult> {
    const record: RequestClaim = { ...claim, complete: false };
    try {
      return { kind: "claimed", revision: await this.#store.create(claimKey(claim.key), JSON.stringify(record)) };
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
    }
    const existing = await this.get(claim.key);
    if (existing === undefined) return this.claim(claim); // expired between the two calls: ours to take
    return existing.bodyHash === claim.bodyHash
      ? { kind: "replay", claim: existing }
      : { kind: "conflict", claim: existing };
  }

  /** Marks a claim complete once every item is published (on the revision the claim returned). */
  async complete(claim: Omit<RequestClaim, "complete">, revision: number): Promise<void> {
    await this.#store.update(claimKey(claim.key), JSON.stringify({ ...claim, complete: true }), revision);
  }

  /** The claim of `idempotencyKey`, or undefined (never used, or older than the bucket's age limit). */
  async get(idempotencyKey: string): Promise<RequestClaim | undefined> {
    const entry = await this.#store.get(claimKey(idempotencyKey));
    if (entry === null || entry.operation !== "PUT") return undefined;
    return JSON.parse(entry.string()) as RequestClaim;
  }
}
