/**
 * The exact secrets this process holds (passwords, client secrets, access and refresh tokens), so that text a
 * peer echoes back — a token endpoint quoting the posted password in its `error_description`, a Login refusal
 * quoting the token — is masked wherever it ends up: a log line, an error message, stdout, a report. Pattern
 * rules (`redactSecrets` in logger.ts) catch `password=…`; only the exact value catches a secret in free text.
 *
 * Storage is per owner, redaction is process-wide: each token manager keeps its own small registry (a child of
 * {@link processSecrets}), so one contributor's token rotations never evict another's password, and a manager's
 * secrets go when it is garbage-collected; {@link processSecrets} redacts the secrets of every live registry,
 * since a secret is a secret whoever prints it.
 */

/** Text put in place of a secret. */
export const REDACTED = "[redacted]";

/**
 * Secrets shorter than this many characters are not registered: masking every "abc" would shred output and
 * hide nothing worth hiding.
 */
export const MIN_SECRET_LENGTH = 4;

/** Options of {@link SecretRegistry}. */
export interface SecretRegistryOptions {
  /** Rotating secrets (tokens) kept, newest last: the current and previous pairs and some history. @default 16 */
  maxTokens?: number;
  /** Long-lived secrets (passwords, client secrets) kept, newest last. @default 8 */
  maxCredentials?: number;
}

/** What kind of secret is added: tokens rotate and are kept in a bounded history; credentials stay. */
export type SecretKind = "token" | "credential";

/** Characters `jsonLine` (the CLI's JSON writer) escapes beyond what JSON.stringify does. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Bumped by every change of any registry, so cached needle lists know when to rebuild. */
let generation = 0;

/**
 * The forms in which `secret` may appear in text: as is, percent-encoded (encodeURIComponent), form-encoded
 * (`+` for spaces, as a token request body carries it) and JSON-escaped (inside a log line or `--json` output).
 */
export function secretVariants(secret: string): string[] {
  const variants = new Set<string>([secret]);
  try {
    variants.add(encodeURIComponent(secret));
  } catch {
    // a lone surrogate cannot be percent-encoded; nobody can have sent it that way either
  }
  variants.add(new URLSearchParams({ s: secret }).toString().slice(2));
  const json = JSON.stringify(secret).slice(1, -1);
  variants.add(json);
  variants.add(json.replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`));
  return [...variants].filter((variant) => variant.length >= MIN_SECRET_LENGTH);
}

/** A bounded set of exact secrets, and the redaction of them (and of those of its live children) in text. */
export class SecretRegistry {
  readonly #maxTokens: number;
  readonly #maxCredentials: number;
  /** Oldest first; a Set keeps insertion order and makes re-adding the current secret free. */
  readonly #tokens = new Set<string>();
  readonly #credentials = new Set<string>();
  readonly #children = new Set<WeakRef<SecretRegistry>>();
  #needles: string[] = [];
  #builtAt = -1;

  constructor(options: SecretRegistryOptions = {}) {
    this.#maxTokens = options.maxTokens ?? 16;
    this.#maxCredentials = options.maxCredentials ?? 8;
  }

  /**
   * Registers a secret (ignored when undefined or shorter than {@link MIN_SECRET_LENGTH}). Re-adding a known
   * one costs one Set look-up, so callers may add on every use.
   * @param kind "token" (kept among the newest `maxTokens`) or "credential" (among the newest `maxCredentials`).
   */
  add(secret: string | undefined, kind: SecretKind = "token"): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return;
    const set = kind === "token" ? this.#tokens : this.#credentials;
    if (set.has(secret)) return;
    set.add(secret);
    const max = kind === "token" ? this.#maxTokens : this.#maxCredentials;
    for (const oldest of set) {
      if (set.size <= max) break;
      set.delete(oldest);
    }
    generation += 1;
  }

  /** Secrets held by this registry itself (not its children). */
  get size(): number {
    return this.#tokens.size + this.#credentials.size;
  }

  /**
   * A new registry whose secrets this one redacts too, held weakly: it is forgotten once its owner is gone.
   * @param options bounds of the child (see {@link SecretRegistryOptions}).
   */
  child(options: SecretRegistryOptions = {}): SecretRegistry {
    const registry = new SecretRegistry(options);
    this.#children.add(new WeakRef(registry));
    generation += 1;
    return registry;
  }

  /**
   * `text` with every known secret of this registry and its live children, in each of its
   * {@link secretVariants}, replaced by {@link REDACTED}; longer secrets first, so one secret that contains
   * another is masked whole. Costs one `includes` per needle when nothing matches.
   */
  redact(text: string): string {
    const needles = this.#currentNeedles();
    if (needles.length === 0 || text.length < MIN_SECRET_LENGTH) return text;
    let out = text;
    for (const needle of needles) if (out.includes(needle)) out = out.replaceAll(needle, REDACTED);
    return out;
  }

  /** Whether `text` holds a known secret (in any of its forms). */
  holdsSecret(text: string): boolean {
    return this.#currentNeedles().some((needle) => text.includes(needle));
  }

  #collect(into: Set<string>): void {
    for (const secret of this.#credentials) into.add(secret);
    for (const secret of this.#tokens) into.add(secret);
    for (const ref of this.#children) {
      const child = ref.deref();
      if (child === undefined) this.#children.delete(ref);
      else child.#collect(into);
    }
  }

  #currentNeedles(): string[] {
    if (this.#builtAt === generation) return this.#needles;
    const secrets = new Set<string>();
    this.#collect(secrets);
    const needles = new Set<string>();
    for (const secret of secrets) for (const variant of secretVariants(secret)) needles.add(variant);
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
    this.#builtAt = generation;
    return this.#needles;
  }
}

/**
 * The process-wide registry: the CLI registers the credentials it read here, every token manager registers into
 * a child of it, and the library's logger, its error messages and the CLI's output redact with it.
 */
export const processSecrets = new SecretRegistry();
