/**
 * How the contributor logs in: with tokens from a caller-supplied {@link AuthProvider} or from a {@link
 * TokenManager} built from the token-manager fields (RCC, §2.4), or with a DACS user name and no token at
 * all (RCC through an on-site ADS, §4A.5). A built manager shares the session's proxy and TLS settings
 * through an undici dispatcher (token requests go over HTTPS to the RDP gateway, §1.1).
 */
import type { Dispatcher } from "undici";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { AuthProvider } from "./auth/auth-provider.js";
import { InvalidOptionsError } from "./errors.js";
import type { TlsOptions } from "./connection/session-options.js";
import { proxyFor } from "./connection/web-socket.js";
import type { SessionLogin } from "./connection/login-tokens.js";
import { TokenManager, type TokenManagerOptions } from "./auth/token-manager.js";
import { undici } from "./auth/undici-lazy.js";

/** The token-manager fields a contributor accepts instead of `auth` (clock, random and log are shared). */
export type TokenManagerFields = Omit<TokenManagerOptions, "clock" | "random" | "log">;

/** A DACS user-name login, as an on-site ADS takes it in place of a token (§4A.5). */
export interface UserNameLogin {
  /** The DACS user, sent as the Login's `Key.Name` (NameType 1, the default, left out). Not a secret. */
  userName: string;
}

/**
 * Exactly one way to log in: `auth` as an {@link AuthProvider} (tokens), `auth` as a {@link UserNameLogin}
 * (`{ userName }`: no token, no token manager, no token re-logins; RCC through an on-site ADS), or the
 * fields to build a {@link TokenManager} (`authUrl`, `user`, `password`, `clientId`, …).
 */
export type AuthOptions = { auth: AuthProvider | UserNameLogin } | (TokenManagerFields & { auth?: undefined });

/** How the session logs in, and how to release what was built for it. */
export interface ResolvedAuth {
  login: SessionLogin;
  /** Whether the contributor built the token provider (and so stops it on close). */
  owned: boolean;
  /** Starts the token provider's refresh schedule; nothing for a user-name login. */
  start(): void;
  /** Stops an owned provider and closes its dispatcher. */
  dispose(): Promise<void>;
}

/** Token-manager fields that make no sense next to a user-name login. */
const TOKEN_FIELDS = ["authUrl", "user", "password", "clientId", "clientSecret"] as const;
/** Control characters: never part of a user name, and a sign of a mangled value. */
const CONTROL_CHARACTERS = /\p{Cc}/u;

/** Shared settings used when building a token manager. */
export interface AuthBuildContext {
  clock: Clock;
  random: () => number;
  log: Logger;
  proxy: string | false | undefined;
  tls: TlsOptions;
}

function isAuthProvider(value: unknown): value is AuthProvider {
  const candidate = value as Partial<AuthProvider> | undefined;
  return (
    typeof candidate === "object" &&
    typeof candidate.getToken === "function" &&
    typeof candidate.onToken === "function" &&
    typeof candidate.onError === "function" &&
    typeof candidate.start === "function" &&
    typeof candidate.stop === "function"
  );
}

function invalidOptions(problem: string): InvalidOptionsError {
  return new InvalidOptionsError(`invalid contributor options: ${problem}`);
}

/** Checks a user-name login and that no token field comes with it (the name is not echoed either). */
function resolveNameLogin(login: Partial<UserNameLogin>, options: object): ResolvedAuth {
  const name = login.userName;
  if (typeof name !== "string" || name.trim() === "" || CONTROL_CHARACTERS.test(name)) {
    throw invalidOptions("auth.userName must be a non-empty DACS user name without control characters");
  }
  const mixed = TOKEN_FIELDS.filter((key) => (options as Record<string, unknown>)[key] !== undefined);
  if (mixed.length > 0) throw invalidOptions(`a user-name login (auth.userName) excludes ${mixed.join(", ")}`);
  const done = (): Promise<void> => Promise.resolve();
  return { login: { kind: "name", name }, owned: false, start: () => undefined, dispose: done };
}

/**
 * Picks the login: a given provider, a user name, or a token manager built from the fields.
 * @throws InvalidOptionsError when `auth` is neither a provider nor a user-name login, the
 *   token fields are invalid, or a user-name login is malformed or mixed with token fields.
 */
export function resolveAuth(options: AuthOptions, context: AuthBuildContext): ResolvedAuth {
  const auth: unknown = options.auth;
  if (auth !== undefined) {
    if (isAuthProvider(auth)) {
      return {
        login: { kind: "token", auth },
        owned: false,
        start: () => auth.start(),
        dispose: () => Promise.resolve(),
      };
    }
    if (typeof auth === "object" && auth !== null && "userName" in auth) {
      return resolveNameLogin(auth as Partial<UserNameLogin>, options);
    }
    throw invalidOptions("auth must implement AuthProvider or be a user-name login { userName }");
  }
  const { auth: _none, ...fields } = options as TokenManagerFields & { auth?: undefined };
  let dispatcher: Dispatcher | undefined;
  if (fields.fetch === undefined && fields.dispatcher === undefined && typeof fields.authUrl === "string") {
    dispatcher = dispatcherFor(fields.authUrl, context);
  }
  const manager = new TokenManager({
    ...fields,
    clock: context.clock,
    random: context.random,
    log: context.log,
    ...(dispatcher ? { fetch: undici().fetch as unknown as typeof globalThis.fetch, dispatcher } : {}),
  });
  return {
    login: { kind: "token", auth: manager },
    owned: true,
    start: () => manager.start(),
    dispose: async () => {
      manager.stop();
      await dispatcher?.close();
    },
  };
}

/**
 * An undici dispatcher for token requests to `authUrl` when they need a proxy (the `proxy` option, else
 * HTTPS_PROXY/HTTP_PROXY unless NO_PROXY or loopback, see {@link proxyFor}) or custom TLS; undefined for the
 * defaults (direct, system CAs). The caller closes it.
 */
export function dispatcherFor(
  authUrl: string,
  context: Pick<AuthBuildContext, "proxy" | "tls">,
): Dispatcher | undefined {
  let proxyUrl: string | undefined;
  try {
    proxyUrl = proxyFor(authUrl, context.proxy);
  } catch {
    return undefined; // an invalid authUrl is reported by the token manager's own validation
  }
  const { ca, cert, key, rejectUnauthorized } = context.tls;
  const customTls = ca !== undefined || cert !== undefined || key !== undefined || rejectUnauthorized === false;
  if (proxyUrl === undefined && !customTls) return undefined;
  const tls = {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    rejectUnauthorized: rejectUnauthorized !== false,
  };
  const { Agent, ProxyAgent } = undici();
  return proxyUrl === undefined ? new Agent({ connect: tls }) : new ProxyAgent({ uri: proxyUrl, requestTls: tls });
}
