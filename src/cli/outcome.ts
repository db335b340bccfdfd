/** One contribution's outcome as the CLI prints and reports it. */
import {
  type Ack,
  AckTimeoutError,
  ContentError,
  ItemStreamError,
  NakError,
  SessionClosedError,
  SupersededError,
  ValidationError,
} from "../index.js";
import { EXIT } from "./exit-codes.js";
import { formatLatency, latencyForJson } from "./latency.js";
import { MAX_SHOWN_CODE_LENGTH, quoteText, safeLine, safeText } from "./terminal-text.js";

/**
 * Outcome record (also one line of `--report`). `superseded`: the link dropped before this post's Ack and a
 * newer post to the same RIC, already acknowledged, carried all its fields, so it was not re-sent (the RIC holds
 * the newer value; see the library's SupersededError). `not-sent`: never written to a connection (stopped or
 * the session ended first): the server never saw it. `unknown`: written (as post `postId` on connection
 * `connection`) but the session ended before its Ack: the server may have applied it. `conflated` (`rcc
 * contribute --conflate`): merged into the later row `into`, whose outcome it shares. `failed`: anything else
 * that ended a post (e.g. a lost connection with re-sending off).
 */
export interface Outcome {
  ric: string;
  outcome: OutcomeKind;
  postId?: number;
  /** The connection (from 1 per run) of the post's last send, for `unknown`. */
  connection?: number;
  /** Time from the post to its Ack, for `ack`: milliseconds, at most three decimals (latency.ts). */
  latencyMs?: number;
  nakCode?: string;
  text?: string;
  /** The row this one was merged into, for `conflated`. */
  into?: number;
}

/** Every kind of outcome, in the order summaries list them. */
export const OUTCOME_KINDS = [
  "ack",
  "nak",
  "error",
  "timeout",
  "superseded",
  "conflated",
  "invalid",
  "not-sent",
  "unknown",
  "failed",
] as const;

/** One kind of outcome. */
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

/**
 * Outcomes after which a row must not be sent again (`--resume` skips them): the server answered it, or it was
 * refused before sending, or a newer acknowledged value stands. A `conflated` row is final when the row it went
 * into is. `not-sent`, `unknown`, `timeout` and `failed` are not.
 */
export const FINAL_OUTCOMES: ReadonlySet<OutcomeKind> = new Set<OutcomeKind>([
  "ack",
  "nak",
  "error",
  "superseded",
  "invalid",
]);

/** Turns a settled contribute() into an outcome (texts kept whole: `--json` and the report show them all). */
export function outcomeOf(ric: string, result: { ack: Ack } | { error: unknown }): Outcome {
  if ("ack" in result)
    return {
      ric,
      outcome: "ack",
      postId: result.ack.postId,
      latencyMs: latencyForJson(result.ack.latencyMs),
    };
  const error = result.error;
  if (error instanceof NakError)
    return { ric, outcome: "nak", postId: error.postId, nakCode: error.nakCode, text: error.text };
  if (error instanceof ContentError) return { ric, outcome: "error", postId: error.postId, text: error.text };
  if (error instanceof AckTimeoutError) return { ric, outcome: "timeout", text: error.message };
  if (error instanceof SupersededError)
    return { ric, outcome: "superseded", postId: error.postId, text: error.message };
  // On-stream posting (§4A.6): the server refused the RIC's item stream, a refusal of the post as final as a Nak;
  // its Status code (e.g. NotFound) stands in for the Nak code.
  if (error instanceof ItemStreamError)
    return { ric, outcome: "nak", nakCode: error.stateCode ?? error.reason, text: error.text || error.message };
  if (error instanceof ValidationError) return { ric, outcome: "invalid", text: error.message };
  if (error instanceof SessionClosedError) {
    if (!error.sent) return { ric, outcome: "not-sent", text: "not sent: stopped before it was written" };
    const postId = error.postId ?? 0;
    const connection = error.connection ?? 0;
    return {
      ric,
      outcome: "unknown",
      postId,
      connection,
      text: `sent as post ${postId} on connection ${connection}; the server may have applied it`,
    };
  }
  return { ric, outcome: "failed", text: error instanceof Error ? error.message : String(error) };
}

/**
 * One readable line for an outcome. The server's texts (and its Nak code, which may be any text) are quoted,
 * escaped and cut (terminal-text.ts), so a Nak text cannot forge another outcome line or drive the terminal.
 */
export function formatOutcome(outcome: Outcome): string {
  const ric = safeText(outcome.ric);
  const post = `${ric} post ${outcome.postId ?? "?"}`;
  const text = outcome.text ?? "";
  switch (outcome.outcome) {
    case "ack":
      return `ack   ${post} (${formatLatency(outcome.latencyMs ?? 0)})`;
    case "nak":
      return `nak   ${post}: ${safeText(outcome.nakCode ?? "", MAX_SHOWN_CODE_LENGTH)}${text ? ` ${quoteText(text)}` : ""}`;
    case "error":
      return `error ${post}: ${quoteText(text)}`;
    case "superseded":
      return `superseded ${post}: ${safeLine(text)}`;
    case "conflated":
      return `conflated ${ric}: merged into row ${outcome.into ?? "?"}`;
    case "unknown":
      return `unknown ${post}: ${safeLine(text)}`;
    case "not-sent":
    case "timeout":
    case "invalid":
    case "failed":
      // Our own messages, though a failure's may embed a close reason or a token endpoint's words.
      return `${outcome.outcome.padEnd(5)} ${ric}: ${safeLine(text)}`;
  }
}

/**
 * The exit code for a set of outcome counts (worst first). A superseded post does not count against the run: the
 * RIC holds a newer value of the same run, acknowledged.
 */
export function exitCodeForOutcomes(counts: Partial<Record<OutcomeKind, number>>, badRows = 0): number {
  if ((counts.failed ?? 0) + (counts.unknown ?? 0) + (counts["not-sent"] ?? 0) > 0) return EXIT.connection;
  if ((counts.timeout ?? 0) > 0) return EXIT.ackTimeout;
  if ((counts.nak ?? 0) + (counts.error ?? 0) > 0) return EXIT.nak;
  if ((counts.invalid ?? 0) + badRows > 0) return EXIT.usage;
  return EXIT.ok;
}

/** Nak codes listed in a summary line at most: a server inventing a code per Nak must not make it endless. */
const MAX_SHOWN_NAK_CODES = 10;

/** Counts one Nak under its code in `naksByCode` (own properties only: a code such as "constructor" is a code). */
export function countNakCode(naksByCode: Record<string, number>, code: string | undefined): void {
  const key = code ?? "?";
  naksByCode[key] = (Object.hasOwn(naksByCode, key) ? (naksByCode[key] ?? 0) : 0) + 1;
}

/**
 * Naks by code for a summary line: `SymbolUnknown 3, NotEntitled 1`, at most ten codes (then `, N other codes`),
 * each made safe to show (a code is the server's text); empty without Naks.
 */
export function formatNakCodes(naksByCode: Record<string, number>): string {
  const codes = Object.entries(naksByCode);
  const shown = codes
    .slice(0, MAX_SHOWN_NAK_CODES)
    .map(([code, n]) => `${safeText(code, MAX_SHOWN_CODE_LENGTH)} ${n}`)
    .join(", ");
  const more = codes.length > MAX_SHOWN_NAK_CODES ? `, ${codes.length - MAX_SHOWN_NAK_CODES} other codes` : "";
  return shown + more;
}

/** `, N what` when N > 0, else nothing: the optional categories of a summary line. */
export function optionalCount(count: number, what: string): string {
  return count > 0 ? `, ${count} ${what}` : "";
}

/** The counts by category that the summaries of `rcc contribute` and `rcc demo` share. */
export interface OutcomeTotals {
  acked: number;
  naked: number;
  /** Naks by code (the server's words: made safe when shown on a terminal). */
  naksByCode: Record<string, number>;
  contentErrors: number;
  timeouts: number;
  /** Posts not re-sent after a reconnect because a newer acknowledged post to the RIC carried all their fields. */
  superseded: number;
  /** Posts never written to a connection (stopped, or the session ended first). */
  notSent: number;
  /** Posts written whose Ack never came because the session ended: the server may have applied them. */
  unknown: number;
  failed: number;
}

/** {@link OutcomeTotals} from counts by outcome kind. */
export function outcomeTotals(
  counts: Partial<Record<OutcomeKind, number>>,
  naksByCode: Record<string, number>,
): OutcomeTotals {
  return {
    acked: counts.ack ?? 0,
    naked: counts.nak ?? 0,
    naksByCode,
    contentErrors: counts.error ?? 0,
    timeouts: counts.timeout ?? 0,
    superseded: counts.superseded ?? 0,
    notSent: counts["not-sent"] ?? 0,
    unknown: counts.unknown ?? 0,
    failed: counts.failed ?? 0,
  };
}
