/**
 * `--trace` (`RCC_TRACE=1`, or `--log-level trace`): every WebSocket frame the command sends and receives, on
 * stderr, as LSEG's tutorial prints them — `SENT:` or `RECEIVED:` on a line, then the frame's JSON
 * pretty-printed. A frame is a JSON array or object; a batched post frame is shown whole. Secrets never show: the
 * library masks a Login's `AuthenticationToken` and every secret of the process before handing the frame over,
 * this module masks the members that hold one by name (in case a server echoes them elsewhere) and the known
 * secrets again, and stderr itself is redacted (redactWrites). The server's text never reaches the terminal raw:
 * pretty-printed JSON escapes every control character inside strings (jsonBlock), and a frame that is not JSON
 * is shown escaped (safeText).
 */
import type { FrameDirection, FrameTracer } from "../index.js";
import { processSecrets } from "../internal.js";
import { jsonBlock, safeText } from "./terminal-text.js";

/** Members whose string value is a secret wherever they appear in a frame. */
const SECRET_MEMBERS: ReadonlySet<string> = new Set([
  "AuthenticationToken",
  "Password",
  "password",
  "access_token",
  "refresh_token",
  "client_secret",
]);

/** Longest traced frame shown, in UTF-16 code units of its pretty-printed form; the rest is counted, not shown. */
const MAX_TRACED_FRAME_LENGTH = 1_000_000;

/** Longest frame that is not JSON shown, in UTF-16 code units (escaped): it is garbage, and may be huge. */
const MAX_NON_JSON_LENGTH = 2000;

const REDACTED = "[redacted]";

function maskMember(key: string, value: unknown): unknown {
  return SECRET_MEMBERS.has(key) && typeof value === "string" ? REDACTED : value;
}

/** `text` cut to `max` code units at a character boundary, with a line saying how much was left out. */
function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not split a surrogate pair
  return `${text.slice(0, end)}\n… (${text.length - end} more characters not shown)`;
}

/**
 * One traced frame as printed: `SENT:` or `RECEIVED:`, a newline, the frame pretty-printed (or, when it is not
 * JSON, `(not JSON) ` and its escaped text), and a final newline; secret members and known secrets masked.
 * @param secrets the registry whose secrets are masked. @default processSecrets
 */
export function formatTracedFrame(
  direction: FrameDirection,
  text: string,
  secrets: { redact(text: string): string } = processSecrets,
): string {
  const label = direction === "sent" ? "SENT:" : "RECEIVED:";
  let body: string;
  try {
    body = bounded(jsonBlock(JSON.parse(text) as unknown, maskMember), MAX_TRACED_FRAME_LENGTH);
  } catch {
    body = `(not JSON) ${safeText(text, MAX_NON_JSON_LENGTH)}`;
  }
  return secrets.redact(`${label}\n${body}\n`);
}

/**
 * The tracer the connected commands give the library when tracing is on.
 * @param write where each formatted frame goes. @default process.stderr
 */
export function createFrameTracer(
  write: (text: string) => void = (text) => void process.stderr.write(text),
): FrameTracer {
  return (direction, text) => write(formatTracedFrame(direction, text));
}
