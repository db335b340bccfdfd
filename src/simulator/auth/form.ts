/**
 * Strict parsing of the token request body (`application/x-www-form-urlencoded`, docs/protocol.md §1.2).
 * Stricter than `URLSearchParams`, which silently keeps broken percent escapes and replaces invalid UTF-8:
 * a body the real gateway could not read is answered 400 `invalid_request` (checklist item 1).
 */
import { invalidRequest } from "./oauth-error.js";

/** Form parameters by name; each appears at most once (RFC 6749 §3.2). */
export type FormParameters = ReadonlyMap<string, string>;

const FORM_MEDIA_TYPE = "application/x-www-form-urlencoded";
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Whether a `Content-Type` header names the form media type; parameters such as `charset` are allowed. */
export function isFormContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const mediaType = header.split(";", 1)[0]?.trim().toLowerCase();
  return mediaType === FORM_MEDIA_TYPE;
}

/**
 * Decodes a form body.
 * @throws OAuthError 400 `invalid_request` on invalid UTF-8, a broken percent escape, an empty name or a
 * repeated parameter.
 */
export function parseForm(body: Buffer): FormParameters {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw invalidRequest("Request body is not valid UTF-8.");
  }
  const parameters = new Map<string, string>();
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const name = decodeComponent(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? "" : decodeComponent(pair.slice(equals + 1));
    if (name === "") throw invalidRequest("Request body has a parameter without a name.");
    if (parameters.has(name)) throw invalidRequest(`Parameter '${safeName(name)}' is repeated.`);
    parameters.set(name, value);
  }
  return parameters;
}

function decodeComponent(raw: string): string {
  try {
    // decodeURIComponent throws on "%ZZ" and on escapes that are not UTF-8; "+" is a space in forms.
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    throw invalidRequest("Request body is not valid application/x-www-form-urlencoded data.");
  }
}

/** Parameter names are echoed in descriptions; keep them short and printable so nothing odd is reflected. */
function safeName(name: string): string {
  return /^[\w.-]{1,64}$/.test(name) ? name : "(unprintable)";
}

/**
 * A required parameter, or a 400 `invalid_request` naming it. An empty value counts as missing.
 * @throws OAuthError
 */
export function requireParameter(form: FormParameters, name: string): string {
  const value = form.get(name);
  if (value === undefined || value === "") throw invalidRequest(`Missing required parameter: ${name}.`);
  return value;
}

/**
 * `takeExclusiveSignOnControl`: case-insensitive because Python's `requests` encodes a bool as `True`;
 * absent means true, RTSDK's default (§1.3, §1.7).
 * @throws OAuthError 400 `invalid_request` for any other value.
 */
export function parseExclusiveSignOn(form: FormParameters): boolean {
  const raw = form.get("takeExclusiveSignOnControl");
  if (raw === undefined || raw === "") return true;
  const lowered = raw.trim().toLowerCase();
  if (lowered === "true") return true;
  if (lowered === "false") return false;
  throw invalidRequest("Parameter 'takeExclusiveSignOnControl' must be true or false.");
}
