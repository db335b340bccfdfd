/**
 * The ADS profile's Login (§4A.5): DACS user-name logins checked against the configured accounts, and the
 * ADS Login Refresh the off-the-shelf clients depend on (solicited, top-level `PingTimeout`, `Support*`).
 */
import type { SimulatorConfig } from "../types.js";
import type { JsonObject } from "./message-keys.js";

/** Reads an element that may be plain or typed (`{"Type":"AsciiString","Data":…}`, §4A.7). */
function elementValue(value: unknown): unknown {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && "Data" in value) {
    return value.Data;
  }
  return value;
}

/** A text element (ApplicationId, Position), or undefined when absent or blank. */
export function textElement(elements: JsonObject | undefined, name: string): string | undefined {
  const value = elementValue(elements?.[name]);
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

function uintElement(elements: JsonObject | undefined, name: string, fallback: number): number {
  const value = elementValue(elements?.[name]);
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : fallback;
}

/**
 * `PingTimeout` (seconds) advertised in the Refresh: how long the server waits for traffic before it cuts
 * the connection (§2.7): its ping interval times the pings it lets go unanswered.
 */
function pingTimeoutSec(config: SimulatorConfig): number {
  return Math.max(1, Math.round((config.pingIntervalMs * config.missedPingsBeforeDisconnect) / 1000));
}

/**
 * The ADS Login Refresh (§4A.5): `Solicited` omitted (= true, the ETA Consumer waits for a solicited
 * Refresh), `Elements` at the top level (`market_price_ping.py` reads `PingTimeout` unconditionally), and the
 * `Support*` elements that switch on batching, views and posting in RTSDK clients.
 */
export function buildAdsLoginRefresh(
  streamId: number,
  user: string,
  requestElements: JsonObject | undefined,
  config: SimulatorConfig,
): object {
  const elements: Record<string, string | number> = {
    AllowSuspectData: uintElement(requestElements, "AllowSuspectData", 1),
    ApplicationId: textElement(requestElements, "ApplicationId") ?? "256",
    ApplicationName: "ADS",
  };
  const position = textElement(requestElements, "Position");
  if (position !== undefined) elements.Position = position;
  Object.assign(elements, {
    ProvidePermissionExpressions: 1,
    ProvidePermissionProfile: 0,
    SingleOpen: uintElement(requestElements, "SingleOpen", 1),
    SupportBatchRequests: 7,
    SupportEnhancedSymbolList: 0,
    SupportOMMPost: 1,
    SupportOptimizedPauseResume: 0,
    SupportPauseResume: 0,
    SupportStandby: 0,
    SupportViewRequests: 1,
  });
  return {
    ID: streamId,
    Type: "Refresh",
    Domain: "Login",
    Key: { Name: user, Elements: elements },
    Elements: { MaxMsgSize: config.maxMessageBytes, PingTimeout: pingTimeoutSec(config) },
    State: { Stream: "Open", Data: "Ok", Text: `Login accepted by host ${config.hostName}.` },
  };
}

/** The refusal text of an unknown DACS user, as an ADS words it (§2.6). */
export function unknownUserText(user: string): string {
  return `${user}, unknown to system.`;
}
