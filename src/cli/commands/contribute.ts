/**
 * `rcc contribute FILE|-`: bulk contribution from CSV or NDJSON, streamed (never loaded whole), with live
 * progress on stderr, a summary, an optional NDJSON report of every row, `--dry-run` and `--conflate`.
 * Bad rows are reported with their row number and do not stop the rest. The work is in contribute-run.ts,
 * loaded only when run.
 */
import { type Command, Option } from "commander";
import { addConnectionOptions } from "../connection-options.js";
import { EXIT_CODES_HELP } from "../exit-codes.js";
import { positiveIntOption } from "./shared.js";
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
      ]),
    )
    .option("--report <file>", "write one NDJSON outcome per input row (row, ric, outcome, postId, nakCode, text)")
    .option("--dry-run", "validate every row without connecting")
    .option("--conflate", "merge queued updates to the same RIC (later fields win) before sending")
    .option("--ack-timeout <ms>", "how long to wait for each Ack", positiveIntOption("--ack-timeout"), 15_000)
    .option("--no-progress", "no progress output on stderr")
    .addHelpText(
      "after",
      `
Input:
  CSV     a header row with a RIC column (named RIC, else the first column) and one column per field;
          empty cells are not sent, null blanks a field:   RIC,BID,ASK,DSPLY_NAME
                                                           TRCCTEST01,451.55,451.57,Hello RCC
  NDJSON  one object per line: {"ric": "TRCCTEST01", "fields": {"BID": 451.55, "ASK": null}}
  Rows are numbered as lines of the input; a bad row is reported on stderr and in the report, the rest go on.

Progress goes to stderr: redrawn in place on a terminal, a "progress:" line every 5 s otherwise.

Examples:
  rcc contribute eod-prices.csv --report outcomes.ndjson
  cat prices.ndjson | rcc contribute - --json
  rcc contribute eod-prices.csv --dry-run
  rcc contribute prices.csv --url ws://ads1:15000/WebSocket --login-name jdoe --post-mode on-stream

${EXIT_CODES_HELP}`,
    )
    .action(async (file: string, flags: ContributeFlags) => {
      const { runContribute } = await import("./contribute-run.js");
      await runContribute(file, flags);
    });
}
