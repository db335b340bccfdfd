/**
 * `rcc contribute FILE|-`: bulk contribution from CSV, NDJSON or JSON, streamed (never loaded whole), with live
 * progress on stderr, a summary, an optional NDJSON report of every row (`--resume` continues from one),
 * `--dry-run` and `--conflate`. Bad rows are reported with their row number and do not stop the rest; Ctrl+C
 * stops sending and waits only for the Acks of posts on the wire. The work is in contribute-run.ts, loaded only
 * when run.
 */
import { type Command, Option } from "commander";
import { addConnectionOptions } from "../connection-options.js";
import { EXIT_CODES_HELP } from "../exit-codes.js";
import { drainTimeoutOption, positiveIntOption, reconnectForOption } from "./shared.js";
import type { ContributeFlags } from "./contribute-run.js";

/** Registers `rcc contribute`. */
export function registerContribute(program: Command): void {
  addConnectionOptions(
    program
      .command("contribute")
      .argument("<file>", "CSV or NDJSON file, or - for stdin")
      .description("contribute every row of a CSV or NDJSON file (or stdin), with live progress and a summary"),
    { postMode: true },
  )
    .addOption(
      new Option("--format <format>", "input format (default: from the extension, else sniffed)").choices([
        "csv",
        "ndjson",
        "json",
      ]),
    )
    .option("--delimiter <char>", "CSV cell separator, e.g. ';' or tab (default: detected from the header line)")
    .option(
      "--report <file>",
      "write one NDJSON outcome per input row (row, ric, outcome, postId, nakCode, text), as it goes; - for stdout",
    )
    .option(
      "--resume <report>",
      "send only the rows whose outcome in this earlier report is not final (not-sent, unknown, timeout, failed, missing), appending to it",
    )
    .option("--dry-run", "check every row as a real run does (RIC, fields, frame size) without connecting")
    .option("--conflate", "merge queued updates to the same RIC (later fields win) before sending")
    .option(
      "--ack-timeout <ms>",
      "how long to wait for each Ack once its row is sent",
      positiveIntOption("--ack-timeout"),
      15_000,
    )
    .addOption(drainTimeoutOption())
    .addOption(reconnectForOption())
    .option("--no-progress", "no progress output on stderr")
    .addHelpText(
      "after",
      `
Input:
  CSV     a header row with a RIC column (named RIC, else the first column) and one column per field;
          empty cells are not sent, null blanks a field:   RIC,BID,ASK,DSPLY_NAME
                                                           TRCCTEST01,451.55,451.57,Hello RCC
  NDJSON  one object per line: {"ric": "TRCCTEST01", "fields": {"BID": 451.55, "ASK": null}}
  JSON    an array of such objects (rows = position in the array), or objects pretty-printed over several
          lines (rows = the line each starts on)
  CSV cells are separated by , ; or tab, detected from the header line, or --delimiter <char>
  Rows are numbered as lines of the input; a bad row is reported on stderr and in the report, the rest go on.

Progress goes to stderr: redrawn in place on a terminal, a "progress:" line every 5 s otherwise. % and ETA
count rows settled (acked, naked or failed); "sent" counts posts written to the connection. Naks, content
Errors, timeouts and invalid rows are listed on stderr with their row numbers (the first 20).

Stopping: the first Ctrl+C (or SIGTERM, SIGHUP) stops sending, drops what is queued and waits up to
--drain-timeout for the Acks of posts already sent; a second one stops at once. Either way every row gets one
line in the report: rows never sent are "not-sent", rows sent without an Ack "unknown" (the server may have
applied them). Continue later with --resume REPORT. A lost connection is retried for --reconnect-for
(default 300000 ms = 5 min).

Examples:
  rcc contribute eod-prices.csv --report outcomes.ndjson
  cat prices.ndjson | rcc contribute - --json
  rcc contribute eod-prices.csv --dry-run
  rcc contribute eod-prices.csv --resume outcomes.ndjson
  rcc contribute prices.csv --url ws://ads1:15000/WebSocket --login-name jdoe --post-mode on-stream

${EXIT_CODES_HELP}`,
    )
    .action(async (file: string, flags: ContributeFlags) => {
      const { runContribute } = await import("./contribute-run.js");
      await runContribute(file, flags);
    });
}
