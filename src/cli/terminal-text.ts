/**
 * Text from a peer (a Nak or Error `Text`, a close reason, a watched field value, a token endpoint's error
 * description) is untrusted: printed raw, an escape sequence in it could re-title or clear the terminal, a CR or
 * LF could forge a line such as `ack TRCCTEST01 post 1`, a bidi override could reorder what is shown, and a
 * 20 MB text would flood the screen. Every human-readable output of the CLI goes through this module; `--json`
 * output and the report file keep the full text, escaped so that printing them to a terminal is harmless too.
 *
 * Control characters are replaced by visible escapes (`\x1b`, `\n`, `\u202e`) rather than U+FFFD, so that
 * whoever reads the message can still tell what the server sent.
 */

/** Longest piece of peer text shown on a terminal, in UTF-16 code units, the ellipsis of a cut text included. */
export const MAX_SHOWN_TEXT_LENGTH = 200;

/** Longest code shown (a Nak code, a stream state): real ones are short names; an unknown one is any text. */
export const MAX_SHOWN_CODE_LENGTH = 40;

/** Longest whole message line (ours plus the peer text it embeds) shown on a terminal, in UTF-16 code units. */
export const MAX_SHOWN_LINE_LENGTH = 500;

/**
 * What a terminal may act on or that can disguise a line: C0 controls (TAB, CR and LF included), DEL, C1
 * controls (U+0080–U+009F: U+009B is a one-character CSI on some terminals), the bidi embeddings, overrides and
 * isolates (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F, U+061C), and the line and paragraph
 * separators U+2028/U+2029. Lone surrogates (not encodable as UTF-8) are escaped as well.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what we escape
const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Any unsafe character or surrogate: text without one (and short enough) is shown as it is. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what we look for
const NEEDS_WORK = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

/** The characters JSON.stringify leaves raw although a terminal may act on them (it escapes C0 and lone surrogates). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<number, string> = { 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };

function hex(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * How the character at `index` is shown and how many code units it takes: itself, or its visible escape;
 * with `quoted`, `"` and `\` are escaped too so the text cannot close its quotes.
 */
function pieceAt(text: string, index: number, quoted: boolean): { shown: string; units: number } {
  const code = text.charCodeAt(index);
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = text.charCodeAt(index + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return { shown: text.slice(index, index + 2), units: 2 };
    return { shown: hex(code), units: 1 };
  }
  if (code >= 0xdc00 && code <= 0xdfff) return { shown: hex(code), units: 1 };
  const char = text[index] ?? "";
  if (UNSAFE_CHAR.test(char)) return { shown: NAMED[code] ?? hex(code), units: 1 };
  if (quoted && (char === '"' || char === "\\")) return { shown: `\\${char}`, units: 1 };
  return { shown: char, units: 1 };
}

/**
 * `text` from `start` with every character as {@link pieceAt} shows it, cut at a character boundary to at most
 * `maxLength` code units including a final `…` when something was left out. Reads at most `maxLength + 1`
 * characters, so a 20 MB text costs what a short one does.
 */
function render(text: string, maxLength: number, quoted: boolean, start = 0): string {
  const pieces: string[] = [];
  let length = 0;
  let index = start;
  while (index < text.length && length <= maxLength) {
    const { shown, units } = pieceAt(text, index, quoted);
    pieces.push(shown);
    length += shown.length;
    index += units;
  }
  if (index >= text.length && length <= maxLength) return pieces.join("");
  while (pieces.length > 0 && length > maxLength - 1) length -= pieces.pop()?.length ?? 0;
  return `${pieces.join("")}…`;
}

/** Whether `text` is shown unchanged: short enough and nothing to escape. */
function isPlain(text: string, maxLength: number, quoted: boolean): boolean {
  return text.length <= maxLength && !NEEDS_WORK.test(text) && !(quoted && /["\\]/.test(text));
}

/**
 * Peer text made safe to print: unsafe characters as visible escapes (`\x1b`, `\n`, `\u202e`), cut to
 * `maxLength` with an ellipsis. Not quoted: for values in a table or a list; use {@link quoteText} where the text
 * sits inside a sentence of ours.
 * @param maxLength longest result, in UTF-16 code units. @default MAX_SHOWN_TEXT_LENGTH (200)
 */
export function safeText(text: string, maxLength: number = MAX_SHOWN_TEXT_LENGTH): string {
  return isPlain(text, maxLength, false) ? text : render(text, maxLength, false);
}

/**
 * Peer text as a double-quoted string that cannot end early: unsafe characters as visible escapes, `"` and `\`
 * escaped, cut to `maxLength` code units (quotes excluded) with an ellipsis.
 * @param maxLength longest text between the quotes, in UTF-16 code units. @default MAX_SHOWN_TEXT_LENGTH (200)
 */
export function quoteText(text: string, maxLength: number = MAX_SHOWN_TEXT_LENGTH): string {
  return `"${isPlain(text, maxLength, true) ? text : render(text, maxLength, true)}"`;
}

/**
 * A whole message line (ours, embedding peer text somewhere) made safe to print: unsafe characters as visible
 * escapes and, when longer than `maxLength`, its middle left out, so both how it starts and the advice at its
 * end still show.
 * @param maxLength longest result, in UTF-16 code units. @default MAX_SHOWN_LINE_LENGTH (500)
 */
export function safeLine(message: string, maxLength: number = MAX_SHOWN_LINE_LENGTH): string {
  if (isPlain(message, maxLength, false)) return message;
  if (message.length <= maxLength) {
    const whole = render(message, Number.POSITIVE_INFINITY, false);
    if (whole.length <= maxLength) return whole;
  }
  const tailLength = Math.floor(maxLength / 3);
  // The tail starts at a character boundary, at most tailLength characters before the end.
  let start = Math.max(0, message.length - tailLength);
  const first = message.charCodeAt(start);
  if (start > 0 && first >= 0xdc00 && first <= 0xdfff) start += 1;
  let tail = render(message, Number.POSITIVE_INFINITY, false, start);
  while (tail.length > tailLength) {
    start += pieceAt(message, start, false).units;
    tail = render(message, Number.POSITIVE_INFINITY, false, start);
  }
  return `${render(message, maxLength - tail.length, false)}${tail}`;
}

/**
 * `JSON.stringify(value)` that also escapes, as `\uXXXX`, the characters JSON leaves raw but a terminal may act
 * on (DEL, C1 controls, bidi controls, U+2028/U+2029): a `--json` stream shown on a terminal is harmless, and
 * parsing it still gives back the original text. Such characters only occur inside JSON strings, where the
 * escape means the same character.
 */
export function jsonLine(value: object): string {
  return JSON.stringify(value).replace(
    UNSAFE_IN_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * `value` as pretty-printed JSON (two-space indentation, as LSEG's tutorial prints its frames) with the escapes
 * of {@link jsonLine}: JSON.stringify already writes C0 controls and lone surrogates inside strings as `\uXXXX`,
 * and DEL, C1 and bidi controls and U+2028/U+2029 are escaped here, so the only line breaks are the
 * indentation's and nothing in it can drive a terminal.
 * @param replacer as JSON.stringify's (e.g. to mask secret members).
 */
export function jsonBlock(value: unknown, replacer?: (key: string, value: unknown) => unknown): string {
  const text = JSON.stringify(value, replacer, 2) as string | undefined;
  return (text ?? "null").replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
