/**
 * Who watches which RIC, across every connection of every listener (§4A.1, §4A.6 rule 5), and which items
 * exist. The simulator creates one registry and gives it to all its listeners, so a contribution on any
 * connection reaches subscribers on all of them.
 *
 * Performance: the post hot path calls {@link SubscriptionRegistry.publishUpdate} for every accepted post;
 * with nobody subscribed to the RIC that is one Map lookup. With subscribers, the fields are serialised once
 * for all unfiltered streams, and once per stream with a view.
 */
import type { Fields } from "../../protocol/messages.js";
import type { SimulatorState } from "../state.js";
import { type ItemStreamState, itemRefresh, itemStatus, itemUpdate, viewFilter } from "./item-messages.js";
import type { ServedItemStream } from "./stream-types.js";
import { RicMatcher } from "./ric-matcher.js";

/** What a post adds to the messages it fans out. */
export interface FanOutExtras {
  /** Pre-serialised `PostUserInfo` of the post (§4A.6 rule 5), if it carried one. */
  postUserInfoJson?: string;
  /** `UpdateType` of the nested Update. @default "Unspecified" */
  updateType?: string;
}

/** The shared registry of item streams and items. */
export class SubscriptionRegistry {
  readonly #streams = new Map<string, Set<ServedItemStream>>();
  readonly #known: RicMatcher;
  /** Items created by a posted Refresh with the Create right (§4A.6 rule 6). */
  readonly #created = new Set<string>();
  readonly #state: SimulatorState;

  /**
   * @param knownRics `config.rics`: names and `*` patterns of the items that exist from the start.
   * @param state where the images live (`state.rics`, updated by every accepted post).
   */
  constructor(knownRics: readonly string[], state: SimulatorState) {
    this.#known = new RicMatcher(knownRics);
    this.#state = state;
  }

  /** Whether `ric` is an item: a configured RIC, or one created by a post. */
  exists(ric: string): boolean {
    return this.#created.has(ric) || this.#known.matches(ric);
  }

  /** Creates an item that matches no configured RIC (§4A.6 rule 6). */
  create(ric: string): void {
    if (!this.#known.matches(ric)) this.#created.add(ric);
  }

  /** The last contributed values of `ric`, or undefined when nothing was contributed. */
  image(ric: string): Fields | undefined {
    return this.#state.rics.get(ric)?.fields;
  }

  /** Starts fanning out to `stream` (called by the connection's stream table). */
  add(stream: ServedItemStream): void {
    const set = this.#streams.get(stream.ric);
    if (set === undefined) this.#streams.set(stream.ric, new Set([stream]));
    else set.add(stream);
  }

  /** Stops fanning out to `stream`. */
  remove(stream: ServedItemStream): void {
    const set = this.#streams.get(stream.ric);
    if (set === undefined) return;
    set.delete(stream);
    if (set.size === 0) this.#streams.delete(stream.ric);
  }

  /** Open streams on `ric`, across all connections. */
  subscriberCount(ric: string): number {
    return this.#streams.get(ric)?.size ?? 0;
  }

  /** Open item streams in total. */
  get streamCount(): number {
    let count = 0;
    for (const set of this.#streams.values()) count += set.size;
    return count;
  }

  /**
   * Fans an accepted Update out to every unpaused stream on `ric`, views applied; a stream whose view leaves
   * no field gets nothing (§4A.1).
   */
  publishUpdate(ric: string, fields: Fields, extras: FanOutExtras = {}): void {
    const set = this.#streams.get(ric);
    if (set === undefined) return;
    const updateType = extras.updateType ?? "Unspecified";
    let allFieldsJson: string | undefined;
    for (const stream of set) {
      if (stream.paused) continue;
      let fieldsJson: string;
      if (stream.view === undefined) {
        allFieldsJson ??= JSON.stringify(fields);
        fieldsJson = allFieldsJson;
      } else {
        const kept = viewFilter(fields, stream.view);
        if (kept === undefined) continue;
        fieldsJson = JSON.stringify(kept);
      }
      stream.subscriber.deliver(itemUpdate(stream, updateType, fieldsJson, extras.postUserInfoJson));
    }
  }

  /** Fans a posted Refresh out as an unsolicited Refresh of the new image (§4A.6 rules 3 and 5). */
  publishRefresh(ric: string, extras: FanOutExtras = {}): void {
    const set = this.#streams.get(ric);
    if (set === undefined) return;
    const image = this.image(ric);
    for (const stream of set) {
      if (stream.paused) continue;
      const options = { streaming: true, solicited: false, text: "All is well" };
      const refresh = itemRefresh(
        stream,
        image,
        extras.postUserInfoJson === undefined ? options : { ...options, postUserInfoJson: extras.postUserInfoJson },
      );
      stream.subscriber.deliver(refresh);
    }
  }

  /**
   * Deletes an item (a posted Status Closed with the Delete right, §4A.6 rule 3): its image goes, and every
   * stream on it receives `state` and is closed.
   */
  deleteItem(ric: string, state: ItemStreamState): void {
    this.#created.delete(ric);
    this.#state.rics.delete(ric);
    const set = this.#streams.get(ric);
    if (set === undefined) return;
    this.#streams.delete(ric);
    for (const stream of set) {
      stream.subscriber.deliver(
        itemStatus(stream.id, stream.keyInUpdates ? stream.keyJson : undefined, state, stream.privateStream),
      );
      stream.subscriber.forget(stream);
    }
  }
}
