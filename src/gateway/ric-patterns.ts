/**
 * RIC patterns, as an account's `rics` and an API key's scope write them: a RIC spelled out (`TRCCTEST01`),
 * or a glob where `*` stands for any run of characters (none included) and `?` for exactly one (`TRCC*`,
 * `*.L`, `EUR?=`). Case matters, as it does for RICs. `*` alone matches every RIC.
 */

/** A compiled set of patterns. */
export class RicPatterns {
  readonly #exact = new Set<string>();
  readonly #globs: RegExp[] = [];
  readonly #all: boolean;
  /** The patterns as written, for messages and the status page. */
  readonly source: readonly string[];

  /** @throws Error naming the first pattern that is empty or holds a control character. */
  constructor(patterns: readonly string[]) {
    this.source = [...patterns];
    let all = false;
    for (const pattern of patterns) {
      // eslint-disable-next-line no-control-regex -- refusing control characters is the point
      if (pattern === "" || /[\u0000-\u001f\u007f]/.test(pattern)) {
        throw new Error(`RIC pattern ${JSON.stringify(pattern)} is empty or holds a control character`);
      }
      if (pattern === "*") all = true;
      else if (!/[*?]/.test(pattern)) this.#exact.add(pattern);
      else this.#globs.push(globToRegExp(pattern));
    }
    this.#all = all;
  }

  /** Whether `ric` matches one of the patterns. */
  matches(ric: string): boolean {
    if (this.#all || this.#exact.has(ric)) return true;
    for (const glob of this.#globs) if (glob.test(ric)) return true;
    return false;
  }
}

/** `*` → any run, `?` → one character, everything else literal. */
function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (const char of pattern) {
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else source += char.replace(/[\\^$.|+()[\]{}-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}
