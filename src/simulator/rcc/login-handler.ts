/**
 * Login requests (§2.4–2.6, checklist items 13–15; §4A.5): token validation, the RCC Login Refresh, silent
 * re-logins, and the rejections that end a connection. In the ADS profile, DACS user-name logins too, and
 * every accepted Login gets the ADS Login Refresh.
 */
import { MAX_MESSAGES_PER_SECOND_ELEMENT } from "../../protocol/messages.js";
import { buildAdsLoginRefresh, textElement, unknownUserText } from "./ads-login.js";
import { ConverterFailure, tokenTypeError, unexpectedValue } from "./converter-errors.js";
import { type JsonObject, readObject, readRequestKeyAndFlags } from "./message-keys.js";
import type { ServerSession } from "./session.js";

/** Login NameType values (§2.3, §4A.7): name → number. */
const LOGIN_NAME_TYPES: Readonly<Record<string, number>> = {
  Unspecified: 0,
  Name: 1,
  EmailAddress: 2,
  Token: 3,
  Cookie: 4,
  AuthnToken: 5,
};
const LOGIN_NAME_TYPE_BY_NUMBER: ReadonlyMap<number, string> = new Map(
  Object.entries(LOGIN_NAME_TYPES).map(([name, number]) => [number, name]),
);

/** The boolean keys of a Login request, their defaults and the order they are checked in (§2.4, §4A.1). */
const LOGIN_FLAGS = [
  ["Refresh", true],
  ["Streaming", true],
] as const;

/** Status texts for refused tokens (RCC's real texts are undocumented, §2.6 [INF]). */
const TOKEN_REJECTION_TEXT = {
  unknown: "Login denied: access token not recognised",
  expired: "Login denied: access token expired",
  revoked: "Login denied: access token revoked (session superseded or signed out)",
} as const;

/** The Login Refresh exactly as RCC sends it (§2.5): note `Private`, `Solicited:false` and the colon element. */
function buildLoginRefresh(
  streamId: number,
  user: string,
  maxMessagesPerSecond: number,
  hostName: string,
  via: string,
): object {
  return {
    Type: "Refresh",
    Domain: "Login",
    ID: streamId,
    Key: { Name: user, Elements: { [MAX_MESSAGES_PER_SECOND_ELEMENT]: maxMessagesPerSecond } },
    State: { Stream: "Open", Data: "Ok", Text: `Login accepted by host ${hostName} via ${via}` },
    Private: true,
    Solicited: false,
    ClearCache: false,
    DoNotCache: true,
  };
}

/**
 * A Login Status that closes the login stream, shaped like RCC's "System busy" (§2.6). The ADS shape has no
 * `Private` and names the user in `Key.Name` when there is one (§2.6, §4A.5).
 */
export function buildLoginStatus(
  streamId: number,
  code: string,
  text: string,
  shape: { ads?: boolean; userName?: string } = {},
): object {
  const status: Record<string, unknown> = { Type: "Status", Domain: "Login", ID: streamId };
  if (shape.userName !== undefined) status.Key = { Name: shape.userName };
  if (shape.ads !== true) status.Private = true;
  status.State = { Stream: "Closed", Data: "Suspect", Code: code, Text: text };
  return status;
}

function readLoginNameType(value: unknown, id: number): string | ConverterFailure {
  // NameType 1 is the default; on the Login domain it means a DACS user name (§4A.7).
  if (value === undefined) return "Name";
  if (typeof value === "string")
    return Object.hasOwn(LOGIN_NAME_TYPES, value) ? value : unexpectedValue(value, "NameType", id);
  if (typeof value === "number") return LOGIN_NAME_TYPE_BY_NUMBER.get(value) ?? unexpectedValue(value, "NameType", id);
  if (typeof value === "boolean" || value === null) return unexpectedValue(value, "NameType", id);
  return tokenTypeError("NameType", "PRIMITIVE", value, id);
}

/**
 * Handles `{"Domain":"Login", …}` requests: the first Login of a connection and re-logins on the open
 * login stream.
 */
export function handleLoginRequest(session: ServerSession, message: JsonObject, id: number): void {
  const { context, tokens, listener } = session.resources;
  const { config, state } = context;
  const request = readRequestKeyAndFlags(message, id, LOGIN_FLAGS);
  if (request instanceof ConverterFailure) return session.replyError(request, message);
  const { key, flags } = request;
  const nameType = readLoginNameType(key?.NameType, id);
  if (nameType instanceof ConverterFailure) return session.replyError(nameType, message);
  const elements = readObject(key?.Elements, "Elements", id);
  if (elements instanceof ConverterFailure) return session.replyError(elements, message);

  const openStreamId = session.loginStreamId;
  if (openStreamId !== undefined && id !== openStreamId) {
    // A second login stream is refused on its own ID; the open session is untouched.
    session.replyMessage(buildLoginStatus(id, "AlreadyOpen", `A Login stream is already open on ID ${openStreamId}`));
    return;
  }
  const relogin = openStreamId !== undefined;
  const ads = session.resources.profile === "ads";
  const reject = (code: string, text: string, reason: string, userName?: string): void => {
    const { info } = session;
    // The user name of a user-name login, else the session's user (a re-login); never the refused token.
    const user = userName ?? info.user;
    state.recordLoginRefusal({
      atMs: context.clock.now(),
      connectionId: info.id,
      listener: info.listener,
      remoteAddress: info.remoteAddress,
      code,
      text,
      reason,
      relogin,
      ...(user === undefined ? {} : { user }),
    });
    session.log.info({ reason, relogin }, "login rejected");
    session.terminate(code, text, id, userName);
  };

  if (!flags.Streaming) {
    return reject("UsageError", "Login denied: the Login request must be streaming", "not-streaming");
  }
  // §4A.5: an ADS takes DACS user names (NameType 1, the default) as well as tokens.
  const userNameLogin = ads && nameType === "Name";
  if (nameType !== "AuthnToken" && !userNameLogin) {
    return reject(
      config.invalidTokenCode,
      ads
        ? "Login denied: NameType must be Name (a DACS user) or AuthnToken (an RDP access token)"
        : "Login denied: RCC accepts only NameType AuthnToken with an RDP access token",
      "name-type",
    );
  }
  const token = elements?.AuthenticationToken;
  if (!userNameLogin && (typeof token !== "string" || token === "")) {
    return reject(config.invalidTokenCode, "Login denied: no AuthenticationToken in Key.Elements", "no-token");
  }
  if (!relogin) {
    // Injected refusals act on new sessions only (item 17's at-login mode); re-logins are not affected.
    const fault = context.faults.match("reject-logins", { listener, connection: session.info.id });
    if (fault) return reject(fault.code ?? "NotEntitled", fault.text ?? "Login denied", "fault");
  }
  let user: string;
  let tokenExpiresAtMs: number | undefined;
  if (userNameLogin) {
    const name = key?.Name;
    if (typeof name !== "string" || name === "") {
      return reject("UserUnknownToPermSys", "Login denied: Key.Name (the DACS user name) is empty", "no-user");
    }
    if (session.resources.permissionsOf(name) === undefined) {
      return reject("UserUnknownToPermSys", unknownUserText(name), "unknown-user", name);
    }
    user = name;
  } else {
    const check = tokens.validateAccessToken(token as string, context.clock.now());
    if (!check.ok) return reject(config.invalidTokenCode, TOKEN_REJECTION_TEXT[check.reason], `token-${check.reason}`);
    user = check.info.user;
    tokenExpiresAtMs = check.info.expiresAtMs;
  }

  const position = textElement(elements, "Position");
  const applicationId = textElement(elements, "ApplicationId");
  const started = session.startSession({
    streamId: id,
    user,
    ...(tokenExpiresAtMs === undefined ? {} : { tokenExpiresAtMs }),
    ...(position === undefined ? {} : { position }),
    ...(applicationId === undefined ? {} : { applicationId }),
  });
  if (!started) return; // the connection is ending: neither counted nor answered
  state.counters.logins += 1;
  session.log.info({ user, position, applicationId, relogin, refresh: flags.Refresh, userNameLogin }, "login accepted");
  // A re-login with Refresh:false is answered with nothing (§2.4); a first Login always gets its Refresh.
  if (relogin && !flags.Refresh) return;
  session.replyMessage(
    ads
      ? buildAdsLoginRefresh(id, user, elements, config)
      : buildLoginRefresh(id, user, config.maxMessagesPerSecond, config.hostName, session.info.remoteAddress),
  );
}
