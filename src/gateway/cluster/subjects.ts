/**
 * NATS subject tokens for account names and RICs (docs/cluster.md, "Subjects"). A subject is tokens joined by
 * `.`; a token may not contain `.`, the wildcards `*` and `>`, or white space, and RICs may hold any of them
 * (`TRCCTEST.L`, `EUR=`, `0#.FTSE`). Printable ASCII other than those passes through as it is, so subjects stay
 * readable and filterable; every other byte of the UTF-8 text, and the escape character `~` itself, is
 * written `~HH` (two upper-case hex digits). Decoding is the exact inverse: every name round-trips.
 */

/** The escape character of a token. */
const ESCAPE = "~";

/** Whether the byte may stand for itself in a token: printable ASCII except `.`, `*`, `>` and `~`. */
function passes(byte: number): boolean {
  return byte > 0x20 && byte < 0x7f && byte !== 0x2e && byte !== 0x2a && byte !== 0x3e && byte !== 0x7e;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A UTF-16 surrogate not paired with its other half (no UTF-8 form: it would not round-trip). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * The subject token for `name` (an account name or a RIC).
 * @throws RangeError when `name` is empty (a subject has no empty token) or holds a lone surrogate.
 */
export function encodeToken(name: string): string {
  if (name.length === 0) throw new RangeError("a subject token cannot be empty");
  if (LONE_SURROGATE.test(name)) throw new RangeError("a name with a lone UTF-16 surrogate has no subject token");
  let token = "";
  for (const byte of encoder.encode(name)) {
    token += passes(byte) ? String.fromCharCode(byte) : `${ESCAPE}${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return token;
}

/**
 * The name `token` stands for (the inverse of {@link encodeToken}).
 * @throws RangeError when `token` was not made by {@link encodeToken}: empty, a character that may not stand
 *   for itself, a `~` not followed by two upper-case hex digits, or bytes that are not UTF-8.
 */
export function decodeToken(token: string): string {
  if (token.length === 0) throw new RangeError("an empty subject token");
  const bytes: number[] = [];
  for (let index = 0; index < token.length; index++) {
    const code = token.charCodeAt(index);
    if (code === 0x7e) {
      const hex = token.slice(index + 1, index + 3);
      if (!/^[0-9A-F]{2}$/.test(hex))
        throw new RangeError(`a bad escape at ${index} in subject token ${JSON.stringify(token)}`);
      const byte = Number.parseInt(hex, 16);
      if (passes(byte)) throw new RangeError(`an escape of a plain character at ${index} in ${JSON.stringify(token)}`);
      bytes.push(byte);
      index += 2;
    } else if (passes(code)) {
      bytes.push(code);
    } else {
      throw new RangeError(`a character that must be escaped at ${index} in subject token ${JSON.stringify(token)}`);
    }
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch {
    throw new RangeError(`subject token ${JSON.stringify(token)} does not decode to UTF-8 text`);
  }
}

/** The subjects of one cluster: every name is under `prefix` (default `rcc`). */
export interface ClusterSubjects {
  /** Where items for `account`'s `ric` are published: `<prefix>.in.<account>.<ric>`. */
  inbound(account: string, ric: string): string;
  /** Every inbound item of `account` (what its leader consumes): `<prefix>.in.<account>.*`. */
  inboundOf(account: string): string;
  /** Every inbound item of every account (the inbound stream's subjects): `<prefix>.in.*.*`. */
  allInbound: string;
  /** Reads an inbound subject back. @returns undefined when `subject` is not an inbound one of this prefix. */
  parseInbound(subject: string): { account: string; ric: string } | undefined;
  /** Where the final outcome of item `id` is recorded: `<prefix>.out.<id>`. */
  outcome(id: string): string;
  /** Every item's outcome (the outcomes stream's subjects): `<prefix>.out.*`. */
  allOutcomes: string;
}

/**
 * The subjects under `prefix`.
 * @param prefix one or more tokens joined by `.` (letters, digits, `_` and `-`). @default "rcc"
 * @throws RangeError on a prefix with other characters or an empty token.
 */
export function clusterSubjects(prefix = "rcc"): ClusterSubjects {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
    throw new RangeError(
      `a subject prefix is tokens of letters, digits, _ and - joined by '.': ${JSON.stringify(prefix)}`,
    );
  }
  const head = `${prefix}.in.`;
  return {
    outcome: (id) => `${prefix}.out.${encodeToken(id)}`,
    allOutcomes: `${prefix}.out.*`,
    inbound: (account, ric) => `${head}${encodeToken(account)}.${encodeToken(ric)}`,
    inboundOf: (account) => `${head}${encodeToken(account)}.*`,
    allInbound: `${head}*.*`,
    parseInbound: (subject) => {
      if (!subject.startsWith(head)) return undefined;
      const tokens = subject.slice(head.length).split(".");
      if (tokens.length !== 2) return undefined;
      try {
        return { account: decodeToken(tokens[0] as string), ric: decodeToken(tokens[1] as string) };
      } catch {
        return undefined;
      }
    },
  };
}
