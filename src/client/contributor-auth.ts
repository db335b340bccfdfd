/**
 * Where the contributor's tokens come from: a caller-supplied {@link AuthProvider}, or a {@link
 * TokenManager} built from the token-manager fields. A built manager shares the session's proxy and TLS
 * settings through an undici dispatcher (token requests go over HTTPS to the RDP gateway, §1.1).
 */
import { Agent, type Dispatcher, ProxyAgent, fetch as undiciFetch } from "undici";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { AuthProvider } from "./auth-provider.js";
import { RccError } from "./errors.js";
import type { TlsOptions } from "./options.js";
import { proxyFor } from "./session-socket.js";
import { TokenManager, type TokenManagerOptions } from "./token-manager.js";

/** The token-manager fields a contributor accepts instead of `auth` (clock, random and log are shared). */
export type TokenManagerFields = Omit<TokenManagerOptions, "clock" | "random" | "log">;

/** Either a ready provider or the fields to build a {@link TokenManager}. */
export type AuthOptions = { auth: AuthProvider } | (TokenManagerFields & { auth?: undefined });

/** The provider in use and how to release what was built for it. */
export interface ResolvedAuth {
  auth: AuthProvider;
  /** Whether the contributor built it (and so stops it on close). */
  owned: boolean;
  /** Stops an owned provider and closes its dispatcher. */
  dispose(): Promise<void>;
}

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

/**
 * Picks or builds the auth provider.
 * @throws RccError "RCC_INVALID_OPTIONS" when `auth` is not a provider or the token fields are invalid.
 */
export function resolveAuth(options: AuthOptions, context: AuthBuildContext): ResolvedAuth {
  if (options.auth !== undefined) {
    if (!isAuthProvider(options.auth)) {
      throw new RccError("RCC_INVALID_OPTIONS", "invalid contributor options: auth must implement AuthProvider");
    }
    return { auth: options.auth, owned: false, dispose: () => Promise.resolve() };
  }
  const { auth: _none, ...fields } = options;
  let dispatcher: Dispatcher | undefined;
  if (fields.fetch === undefined && fields.dispatcher === undefined && typeof fields.authUrl === "string") {
    dispatcher = dispatcherFor(fields.authUrl, context);
  }
  const manager = new TokenManager({
    ...fields,
    clock: context.clock,
    random: context.random,
    log: context.log,
    ...(dispatcher ? { fetch: undiciFetch as unknown as typeof globalThis.fetch, dispatcher } : {}),
  });
  return {
    auth: manager,
    owned: true,
    dispose: async () => {
      manager.stop();
      await dispatcher?.close();
    },
  };
}

/** An undici dispatcher when token requests need a proxy or custom TLS; undefined for the defaults. */
function dispatcherFor(authUrl: string, context: AuthBuildContext): Dispatcher | undefined {
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
  return proxyUrl === undefined ? new Agent({ connect: tls }) : new ProxyAgent({ uri: proxyUrl, requestTls: tls });
}
