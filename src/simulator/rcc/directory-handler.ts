/**
 * The Source directory (§4A.4, ADS profile) and the Dictionary answer (§4A.8). The directory lists the
 * configured services (`config.services`, name → numeric id) with only the filter entries asked for; the
 * simulator has Info (1) and State (2) and never sends an entry ID above 6, which the ETA Consumer rejects.
 */
import { ConverterFailure, tokenTypeError, unexpectedValue } from "./converter-errors.js";
import { REALTIME_QOS } from "./item-messages.js";
import { type JsonObject, readRequestKeyAndFlags } from "./message-keys.js";
import type { ServerSession } from "./session.js";

/** Source filter bits (RTSDK `rsslRDM.h`). */
const FILTER_INFO = 0x1;
const FILTER_STATE = 0x2;
/** Absent or 0: every filter (§4A.4 [INF]). */
const ALL_FILTERS = 63;
/** The boolean keys of a directory Request, their defaults and the order they are checked in (§4A.1). */
const DIRECTORY_FLAGS = [
  ["Streaming", true],
  ["Refresh", true],
] as const;

/** Handles `{"Domain":"Source", …}` requests in the ADS profile. */
export function handleDirectoryRequest(session: ServerSession, message: JsonObject, id: number): void {
  const request = readRequestKeyAndFlags(message, id, DIRECTORY_FLAGS);
  if (request instanceof ConverterFailure) return session.replyError(request, message);
  const { key, flags } = request;
  const filter = readFilter(key?.Filter, id);
  if (filter instanceof ConverterFailure) return session.replyError(filter, message);
  const services = selectServices(session, key?.Service, key?.Name, id);
  if (services instanceof ConverterFailure) return session.replyError(services, message);

  const existing = session.streams.get(id);
  if ((existing !== undefined && existing.kind !== "directory") || id === session.loginStreamId) {
    session.streams.close(id);
    return session.replyMessage(
      directoryStatus(id, "ClosedRecover", "UsageError", "stream already in use with a different key"),
    );
  }
  if (services.length === 0) {
    return session.replyMessage(directoryStatus(id, "Closed", "SourceUnknown", "No such service in the directory"));
  }
  // A reissue with Refresh:false gets nothing (§4A.1 applies to every domain [DOC-SPEC]).
  if (existing !== undefined && !flags.Refresh && flags.Streaming) return;
  if (flags.Streaming) session.streams.open({ kind: "directory", id });
  else session.streams.close(id);
  const requestedFilter = typeof key?.Filter === "number" ? key.Filter : ALL_FILTERS;
  session.replyMessage({
    ID: id,
    Type: "Refresh",
    Domain: "Source",
    Key: { Filter: requestedFilter },
    State: {
      Stream: flags.Streaming ? "Open" : "NonStreaming",
      Data: "Ok",
      Text: "Source Directory Refresh Completed",
    },
    Map: {
      KeyType: "UInt",
      Entries: services.map(([name, serviceId]) => ({
        Action: "Add",
        Key: serviceId,
        FilterList: { Entries: filterEntries(name, filter) },
      })),
    },
  });
}

/** The §4A.8 answer to every Dictionary request: the simulator serves no dictionary. */
export function handleDictionaryRequest(session: ServerSession, _message: JsonObject, id: number): void {
  session.replyMessage({
    ID: id,
    Type: "Status",
    Domain: "Dictionary",
    State: { Stream: "Closed", Data: "Suspect", Code: "NotFound", Text: "Dictionary download not supported" },
  });
}

function readFilter(value: unknown, id: number): number | ConverterFailure {
  if (value === undefined) return ALL_FILTERS;
  // The converter reads Key.Filter only as an integer (§4A.4).
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) return unexpectedValue(value, "Filter", id);
    return value === 0 ? ALL_FILTERS : value;
  }
  return tokenTypeError("Filter", "PRIMITIVE", value, id);
}

/** The services to list, in id order; `Key.Service` (name or id) or `Key.Name` restrict them to one. */
function selectServices(
  session: ServerSession,
  service: unknown,
  name: unknown,
  id: number,
): [string, number][] | ConverterFailure {
  const all = [...session.resources.serviceIdsByName.entries()].sort((a, b) => a[1] - b[1]);
  if (typeof service === "string") {
    // As for items and posts, an unknown service name fails conversion (§4A.3).
    if (!session.resources.serviceIdsByName.has(service)) return unexpectedValue(service, "Service", id);
    return all.filter(([serviceName]) => serviceName === service);
  }
  if (typeof service === "number") return all.filter(([, serviceId]) => serviceId === service);
  if (service !== undefined) return tokenTypeError("Service", "PRIMITIVE", service, id);
  if (typeof name === "string") return all.filter(([serviceName]) => serviceName === name);
  if (name !== undefined) return tokenTypeError("Name", "STRING", name, id);
  return all;
}

/** Filter entries of one service: Info and State as far as `filter` asks for them (§4A.4). */
function filterEntries(name: string, filter: number): object[] {
  const entries: object[] = [];
  if (filter & FILTER_INFO) {
    entries.push({
      ID: 1,
      Action: "Set",
      Elements: {
        Name: name,
        Vendor: "rcc-sim",
        IsSource: 1,
        // MarketPrice only: no Dictionary domain (5) is served (§4A.8).
        Capabilities: { Type: "Array", Data: { Type: "UInt", Data: [6] } },
        DictionariesUsed: { Type: "Array", Data: { Type: "AsciiString", Data: ["RWFFld", "RWFEnum"] } },
        QoS: { Type: "Array", Data: { Type: "Qos", Data: [REALTIME_QOS] } },
        SupportsQoSRange: 0,
        SupportsOutOfBandSnapshots: 0,
        AcceptingConsumerStatus: 0,
      },
    });
  }
  if (filter & FILTER_STATE) {
    entries.push({ ID: 2, Action: "Set", Elements: { ServiceState: 1, AcceptingRequests: 1 } });
  }
  return entries;
}

function directoryStatus(id: number, stream: "Closed" | "ClosedRecover", code: string, text: string): object {
  return {
    ID: id,
    Type: "Status",
    Domain: "Source",
    State: { Stream: stream, Data: "Suspect", Code: code, Text: text },
  };
}
