/**
 * Helpers for inbound WebSocket frames: size, text, and the redaction applied before a message is
 * recorded (checklist items 30 and 32).
 */
import type { RawData } from "ws";
import { isJsonObject } from "./message-keys.js";

/** Size of a received frame in bytes. */
export function frameByteLength(data: RawData): number {
  if (Buffer.isBuffer(data)) return data.length;
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

/** A received frame decoded as UTF-8 (ws has already rejected invalid UTF-8 in text frames). */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  return Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString("utf8");
}

/**
 * Masks the access token of a Login before it is recorded (item 32): recorded messages are served by the
 * admin API, and tokens are never echoed. Only Login-shaped messages are copied; posts pass through as is.
 */
export function redactForRecord(message: unknown): unknown {
  if (!isJsonObject(message) || !isJsonObject(message.Key)) return message;
  const elements = message.Key.Elements;
  if (!isJsonObject(elements) || elements.AuthenticationToken === undefined) return message;
  return { ...message, Key: { ...message.Key, Elements: { ...elements, AuthenticationToken: "[redacted]" } } };
}
