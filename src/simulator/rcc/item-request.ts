/**
 * Reading a MarketPrice item Request (§4A.1, §4A.2, §4A.7) the way RTSDK's converter does: wrong JSON types
 * are converter Errors (§2.11); everything the converter accepts but the server cannot serve is decided later
 * and answered with a Status.
 */
import { ConverterFailure, missingKey, tokenTypeError, unexpectedValue } from "./converter-errors.js";
import type { FieldView } from "./stream-types.js";
import { isJsonObject, type JsonObject, readBoolean, readObject } from "./message-keys.js";
import type { ServerResources } from "./session.js";

/** NameType words the converter knows, item and Login tables together (§4A.7): all map to a number. */
const NAME_TYPES: Readonly<Record<string, number>> = {
  Unspecified: 0,
  Ric: 1,
  Name: 1,
  Contributor: 2,
  EmailAddress: 2,
  Token: 3,
  Cookie: 4,
  AuthnToken: 5,
};

/** An item Request as the server sees it after conversion. */
export interface ItemRequest {
  /** Requested names; more than one (or an array) is a batch (§4A.2). Empty when `Key.Name` is absent. */
  names: string[];
  batch: boolean;
  /** Service name to echo; for an unknown numeric id, its number as text. */
  serviceName: string;
  /** Set when `Key.Service` is a number the server does not know (answered `SourceUnknown`, §4A.3). */
  unknownServiceId: number | undefined;
  /** Whether `Key.NameType` is 1 (`Ric`/`Name`), the only one a MarketPrice item is found by. */
  ricNameType: boolean;
  streaming: boolean;
  refresh: boolean;
  pause: boolean;
  keyInUpdates: boolean;
  privateStream: boolean;
  /** The view; `"invalid"` when a `View` was given but names no known field (answered `InvalidView`). */
  view: FieldView | undefined | "invalid";
}

/** Converts a MarketPrice Request; @returns the request, or the converter failure to answer with an Error. */
export function parseItemRequest(
  resources: ServerResources,
  message: JsonObject,
  id: number,
): ItemRequest | ConverterFailure {
  // The converter requires Key on every Request (§4A.1).
  if (message.Key === undefined) return missingKey("Key");
  const key = readObject(message.Key, "Key", id);
  if (key instanceof ConverterFailure) return key;
  const names = readNames(key?.Name, id);
  if (names instanceof ConverterFailure) return names;
  const service = readService(resources, key?.Service, id);
  if (service instanceof ConverterFailure) return service;
  const nameType = readNameType(key?.NameType, id);
  if (nameType instanceof ConverterFailure) return nameType;
  const flags: Record<string, boolean> = {};
  for (const [flag, fallback] of FLAG_DEFAULTS) {
    const value = readBoolean(message[flag], flag, fallback, id);
    if (value instanceof ConverterFailure) return value;
    flags[flag] = value;
  }
  const priority = readPriority(message.Priority, id);
  if (priority instanceof ConverterFailure) return priority;
  for (const qosKey of ["Qos", "WorstQos"]) {
    // Accepted and ignored: the simulator offers one QoS (§4A.1).
    const qos = readObject(message[qosKey], qosKey, id);
    if (qos instanceof ConverterFailure) return qos;
  }
  const view = readView(resources, message.View, id);
  if (view instanceof ConverterFailure) return view;
  return {
    names: names.names,
    batch: names.batch,
    serviceName: service.name,
    unknownServiceId: service.unknownId,
    ricNameType: nameType === 1,
    streaming: flags.Streaming ?? true,
    refresh: flags.Refresh ?? true,
    pause: flags.Pause ?? false,
    keyInUpdates: flags.KeyInUpdates ?? true,
    privateStream: flags.Private ?? false,
    view,
  };
}

/** Boolean keys of a Request and their defaults (§4A.1). */
const FLAG_DEFAULTS: readonly (readonly [string, boolean])[] = [
  ["Streaming", true],
  ["Refresh", true],
  ["Pause", false],
  ["KeyInUpdates", true],
  ["ConfInfoInUpdates", false],
  ["Private", false],
  ["Qualified", false],
];

function readNames(value: unknown, id: number): { names: string[]; batch: boolean } | ConverterFailure {
  if (value === undefined) return { names: [], batch: false };
  if (typeof value === "string") return { names: [value], batch: false };
  if (!Array.isArray(value)) return tokenTypeError("Name", "STRING", value, id);
  const names: string[] = [];
  for (const entry of value) {
    if (typeof entry !== "string") return tokenTypeError("Name", "STRING", entry, id);
    names.push(entry);
  }
  return { names, batch: true };
}

/**
 * `Key.Service`: absent = the default service; a name must be known (else the converter's Error, §4A.3);
 * an unknown id is not a conversion problem, so it is answered with a Status later.
 */
function readService(
  resources: ServerResources,
  value: unknown,
  id: number,
): { name: string; unknownId: number | undefined } | ConverterFailure {
  if (value === undefined) return { name: resources.defaultService, unknownId: undefined };
  if (typeof value === "string") {
    return resources.serviceIdsByName.has(value)
      ? { name: value, unknownId: undefined }
      : unexpectedValue(value, "Service", id);
  }
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || value > 65_535) return unexpectedValue(value, "Service", id);
    const name = resources.serviceNamesById.get(value);
    return name === undefined ? { name: String(value), unknownId: value } : { name, unknownId: undefined };
  }
  return tokenTypeError("Service", "PRIMITIVE", value, id);
}

function readNameType(value: unknown, id: number): number | ConverterFailure {
  if (value === undefined) return 1;
  if (typeof value === "string") {
    return Object.hasOwn(NAME_TYPES, value) ? (NAME_TYPES[value] ?? 0) : unexpectedValue(value, "NameType", id);
  }
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 255) return value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return unexpectedValue(value, "NameType", id);
  }
  return tokenTypeError("NameType", "PRIMITIVE", value, id);
}

/** `Priority {Class, Count}`: both keys required when present; accepted and ignored (§4A.1). */
function readPriority(value: unknown, id: number): undefined | ConverterFailure {
  const priority = readObject(value, "Priority", id);
  if (priority === undefined || priority instanceof ConverterFailure) return priority;
  for (const key of ["Class", "Count"]) {
    const entry = priority[key];
    if (entry === undefined) return missingKey(key, "Priority");
    if (typeof entry !== "number") return tokenTypeError(key, "PRIMITIVE", entry, id);
  }
  return undefined;
}

/**
 * `View`: field names and FIDs, mixed (§4A.1). Like the ADS converter, unknown names and FIDs are dropped
 * silently; a view left empty is unusable.
 */
function readView(
  resources: ServerResources,
  value: unknown,
  id: number,
): FieldView | undefined | "invalid" | ConverterFailure {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return tokenTypeError("View", "ARRAY", value, id);
  const names: string[] = [];
  const set = new Set<string>();
  for (const entry of value) {
    let name: string | undefined;
    if (typeof entry === "string") name = resources.fields.has(entry) ? entry : undefined;
    else if (typeof entry === "number") name = resources.fieldNamesByFid.get(entry);
    else if (isJsonObject(entry) || Array.isArray(entry)) return tokenTypeError("View", "PRIMITIVE", entry, id);
    else return unexpectedValue(entry, "View", id);
    if (name === undefined || set.has(name)) continue;
    set.add(name);
    names.push(name);
  }
  return names.length === 0 ? "invalid" : { names, set };
}
