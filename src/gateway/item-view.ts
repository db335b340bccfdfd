/**
 * How an item and an item's result look to a producer in JSON (the API's and the outcome stream's one shape):
 * times as ISO 8601 strings, absent fields left out.
 */
import type { ItemResult } from "./contributions.js";
import type { StoredItem } from "./outbox/outbox.js";

/** An item as the API shows it. */
export interface ItemView {
  id: string;
  ric: string;
  state: StoredItem["state"];
  acceptedAt: string;
  sentAt?: string;
  settledAt?: string;
  postId?: number;
  attempts: number;
  nakCode?: string;
  text?: string;
  conflatedInto?: string;
}

/** The view of a stored item. */
export function viewItem(item: StoredItem): ItemView {
  const view: ItemView = {
    id: item.id,
    ric: item.ric,
    state: item.state,
    acceptedAt: new Date(item.acceptedAtMs).toISOString(),
    attempts: item.attempts,
  };
  if (item.sentAtMs !== undefined) view.sentAt = new Date(item.sentAtMs).toISOString();
  if (item.settledAtMs !== undefined) view.settledAt = new Date(item.settledAtMs).toISOString();
  if (item.postId !== undefined && item.postId > 0) view.postId = item.postId;
  if (item.nakCode !== undefined) view.nakCode = item.nakCode;
  if (item.text !== undefined) view.text = item.text;
  if (item.conflatedInto !== undefined) view.conflatedInto = item.conflatedInto;
  return view;
}

/** One entry of a POST answer's `items`: the item's view (with `replayed` for an earlier one), or its error. */
export type ResultView =
  | ({ index: number; replayed?: true } & ItemView)
  | { index: number; error: { code: string; message: string } };

/** The view of one item's result, with the item's current state in place of the stored one when given. */
export function viewResult(result: ItemResult, current?: StoredItem): ResultView {
  if ("error" in result) return { index: result.index, error: result.error };
  return {
    index: result.index,
    ...(result.replayed ? { replayed: true as const } : {}),
    ...viewItem(current ?? result.item),
  };
}
