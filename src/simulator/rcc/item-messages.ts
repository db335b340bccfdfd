/**
 * Outbound MarketPrice messages of item streams (§4A.3): Refresh, Update and Status, in the key spelling
 * and order of RTSDK's converter (`Qos`, not `QOS`; `Domain` omitted for MarketPrice; defaults left out).
 * Updates are built as strings because the fan-out builds one per subscriber per contribution.
 */
import type { Fields } from "../../protocol/messages.js";
import type { FieldView, ServedItemStream } from "./stream-types.js";

/** The only QoS the simulator offers (also advertised in the directory, §4A.4). */
export const REALTIME_QOS = { Timeliness: "Realtime", Rate: "TickByTick" } as const;

/**
 * The image of an item that exists but has no contributed value yet. The ETA Consumer needs a non-empty
 * `Fields` object in every MarketPrice Refresh (§4A.3), so the empty record shows one blank field.
 */
const EMPTY_RECORD: Fields = { DSPLY_NAME: null };

/** A `State` object (§2.10). */
export interface ItemStreamState {
  Stream: "Open" | "NonStreaming" | "ClosedRecover" | "Closed";
  Data: "Ok" | "Suspect";
  Code?: string;
  Text: string;
}

/**
 * The fields a Refresh carries: the whole image, or exactly the view's fields with the missing ones blank
 * (§4A.1 "View").
 */
function refreshFields(image: Fields | undefined, view: FieldView | undefined): Fields {
  if (view !== undefined) {
    const fields: Fields = {};
    for (const name of view.names) fields[name] = image?.[name] ?? null;
    return fields;
  }
  if (image === undefined) return EMPTY_RECORD;
  for (const _name in image) return image;
  return EMPTY_RECORD;
}

/** Options of {@link itemRefresh}. */
export interface ItemRefreshOptions {
  /** `false` for a snapshot: State NonStreaming (§4A.1). */
  streaming: boolean;
  /** `false` for an unsolicited Refresh (a posted Refresh fanned out, §4A.6 rule 5). */
  solicited: boolean;
  /** `Text` of the State. */
  text: string;
  /** Pre-serialised `PostUserInfo` of the post that caused the Refresh. */
  postUserInfoJson?: string;
}

/** The Refresh of an item stream (§4A.3): `ClearCache` and `Complete` keep their default `true`. */
export function itemRefresh(
  stream: Pick<ServedItemStream, "id" | "keyJson" | "view" | "privateStream">,
  image: Fields | undefined,
  options: ItemRefreshOptions,
): string {
  const state: ItemStreamState = {
    Stream: options.streaming ? "Open" : "NonStreaming",
    Data: "Ok",
    Text: options.text,
  };
  let json = `{"ID":${stream.id},"Type":"Refresh","Key":${stream.keyJson},"State":${JSON.stringify(state)}`;
  json += `,"Qos":${JSON.stringify(REALTIME_QOS)}`;
  if (!options.solicited) json += ',"Solicited":false';
  if (stream.privateStream) json += ',"Private":true';
  if (options.postUserInfoJson !== undefined) json += `,"PostUserInfo":${options.postUserInfoJson}`;
  return `${json},"Fields":${JSON.stringify(refreshFields(image, stream.view))}}`;
}

/**
 * An Update for one subscriber (§4A.3, §4A.6 rule 5); `fieldsJson` is the already filtered and serialised
 * `Fields` object.
 */
export function itemUpdate(
  stream: ServedItemStream,
  updateType: string,
  fieldsJson: string,
  postUserInfoJson: string | undefined,
): string {
  let json = `{"ID":${stream.id},"Type":"Update","UpdateType":"${updateType}"`;
  if (stream.keyInUpdates) json += `,"Key":${stream.keyJson}`;
  if (postUserInfoJson !== undefined) json += `,"PostUserInfo":${postUserInfoJson}`;
  return `${json},"Fields":${fieldsJson}}`;
}

/**
 * A Status on an item stream (§4A.3). `keyJson` is omitted when undefined (a stream opened with
 * `KeyInUpdates:false`, or a request too broken to have a key).
 */
export function itemStatus(
  id: number,
  keyJson: string | undefined,
  state: ItemStreamState,
  privateStream = false,
): string {
  let json = `{"ID":${id},"Type":"Status"`;
  if (keyJson !== undefined) json += `,"Key":${keyJson}`;
  if (privateStream) json += ',"Private":true';
  return `${json},"State":${JSON.stringify(state)}}`;
}

/** `{"Service":…,"Name":…}` as the server echoes it. */
export function itemKeyJson(serviceName: string, ric: string): string {
  return JSON.stringify({ Service: serviceName, Name: ric });
}

/** The fields of `fields` inside `view`, or undefined when none is left (the Update is then not sent, §4A.1). */
export function viewFilter(fields: Fields, view: FieldView): Fields | undefined {
  let kept: Fields | undefined;
  for (const name in fields) {
    if (!view.set.has(name)) continue;
    kept ??= {};
    kept[name] = fields[name] ?? null;
  }
  return kept;
}
