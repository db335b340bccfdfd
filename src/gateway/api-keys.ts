/**
 * Producers' API keys: sent as `Authorization: Bearer <key>`, known to the gateway only by their SHA-256
 * (`sha256:<64 hex>` in the configuration), each scoped to accounts and RIC patterns (docs/gateway.md,
 * "Producers and keys"). A presented key is hashed and looked up, so no comparison of secrets leaks timing.
 */
import { createHash, randomBytes } from "node:crypto";
import { RicPatterns } from "./ric-patterns.js";

/** A key as configured. */
export interface ApiKeyConfig {
  /** Who holds it (logs, metrics and the status page name keys by this, never by the key). */
  name: string;
  /** `sha256:` and the 64 lowercase hex digits of the key's SHA-256. */
  sha256: string;
  /** Accounts it may contribute through (names), or `["*"]`. @default ["*"] */
  accounts?: readonly string[];
  /** RIC patterns it may contribute to (ric-patterns.ts). @default ["*"] */
  rics?: readonly string[];
}

/** A producer the gateway recognised. */
export interface Producer {
  name: string;
  /** Whether it may contribute `ric` through `account`. */
  may(account: string, ric: string): boolean;
}

/** The prefix of keys this gateway makes, so a key in a log or a config file is recognisable as one. */
const KEY_PREFIX = "rcck_";

/** A new random key (32 bytes of entropy) and its configuration hash. */
export function generateApiKey(): { key: string; sha256: string } {
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { key, sha256: hashApiKey(key) };
}

/** `sha256:<hex>` of a key, as the configuration stores it. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash("sha256").update(key, "utf8").digest("hex")}`;
}

/** The configured keys, looked up by the hash of a presented key. */
export class ApiKeys {
  readonly #byHash = new Map<string, Producer>();

  /** @throws Error naming the entry whose hash is malformed or repeated, or whose pattern is bad. */
  constructor(keys: readonly ApiKeyConfig[]) {
    for (const [index, config] of keys.entries()) {
      if (!/^sha256:[0-9a-f]{64}$/.test(config.sha256)) {
        throw new Error(`API key ${index + 1} (${config.name}): sha256 must be "sha256:" and 64 lowercase hex digits`);
      }
      if (this.#byHash.has(config.sha256)) {
        throw new Error(`API key ${index + 1} (${config.name}): the same key is configured twice`);
      }
      const accounts = new Set(config.accounts ?? ["*"]);
      const rics = new RicPatterns(config.rics ?? ["*"]);
      const allAccounts = accounts.has("*");
      this.#byHash.set(config.sha256, {
        name: config.name,
        may: (account, ric) => (allAccounts || accounts.has(account)) && rics.matches(ric),
      });
    }
  }

  /** How many keys are configured. */
  get size(): number {
    return this.#byHash.size;
  }

  /**
   * The producer holding the key of an `Authorization` header value, or undefined when it is missing, not
   * `Bearer …`, or unknown.
   */
  authenticate(header: string | undefined): Producer | undefined {
    if (header === undefined) return undefined;
    const match = /^Bearer[ ]+([^\s]{1,512})\s*$/i.exec(header);
    if (match === null) return undefined;
    return this.#byHash.get(hashApiKey(match[1] ?? ""));
  }
}
