/**
 * Client identification (docs/protocol.md §1.2, checklist item 2): the client id may arrive in the body
 * (`client_id`, RTSDK), in `Authorization: Basic base64("<id>:<secret>")` (the tutorial's Python, with an
 * empty secret), or in both, in which case they must agree.
 */
import type { FormParameters } from "./form.js";
import { invalidClient } from "./oauth-error.js";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The client id of a request.
 * @param authorization the raw `Authorization` header, if any. Never logged or echoed.
 * @throws OAuthError 401 `invalid_client` when the header is malformed or not Basic, when the two ids
 * differ, or when there is no client id at all (RFC 6749 §5.2).
 */
export function resolveClientId(form: FormParameters, authorization: string | undefined): string {
  const fromBody = form.get("client_id");
  const fromHeader = authorization === undefined ? undefined : parseBasicClientId(authorization);
  if (fromBody !== undefined && fromBody !== "" && fromHeader !== undefined && fromBody !== fromHeader) {
    throw invalidClient("client_id in the body does not match the Basic Authorization header.");
  }
  const clientId = fromBody !== undefined && fromBody !== "" ? fromBody : fromHeader;
  if (clientId === undefined) {
    throw invalidClient("Client authentication failed: send client_id in the body or a Basic Authorization header.");
  }
  return clientId;
}

/**
 * The id part of a Basic credential; the secret is ignored because simulated app keys have none.
 * @throws OAuthError 401 `invalid_client` when the header is not a well-formed Basic credential.
 */
function parseBasicClientId(authorization: string): string {
  const match = /^\s*basic\s+(\S+)\s*$/i.exec(authorization);
  const encoded = match?.[1];
  if (encoded === undefined || encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
    throw invalidClient("Malformed Authorization header: expected Basic base64(client_id:client_secret).");
  }
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const clientId = colon === -1 ? "" : decoded.slice(0, colon);
  if (clientId === "") {
    throw invalidClient("Malformed Authorization header: the Basic credential has no client id.");
  }
  return clientId;
}
