/**
 * `rcc post --ric RIC --field NAME=VALUE …`: one contribution; prints its outcome and exits with its code.
 * The work is in post-run.ts, loaded only when run.
 */
import type { Command } from "commander";
import { addConnectionOptions } from "../connection-options.js";
import { EXIT_CODES_HELP } from "../exit-codes.js";
import { positiveIntOption } from "./shared.js";
import type { PostFlags } from "./post-run.js";

/** Registers `rcc post`. */
export function registerPost(program: Command): void {
  addConnectionOptions(
    program.command("post").description("contribute one set of field values to a RIC and wait for its Ack"),
    { postMode: true },
  )
    .requiredOption("--ric <ric>", "the RIC to contribute to")
    .option(
      "--field <NAME=VALUE>",
      'a field value; repeat for several (numbers, "quoted text", null = blank, ISO dates)',
      (v: string, p: string[] | undefined) => [...(p ?? []), v],
    )
    .option("--ack-timeout <ms>", "how long to wait for the Ack", positiveIntOption("--ack-timeout"), 15_000)
    .addHelpText(
      "after",
      `
Examples:
  rcc post --ric TRCCTEST01 --field BID=451.55 --field ASK=451.57 --field DSPLY_NAME="Hello RCC"
  rcc post --ric TRCCTEST01 --field ASK=null --field ACTIV_DATE=2026-11-25 --json
  rcc post --url ws://ads1:15000/WebSocket --login-name jdoe --post-mode on-stream --ric TRI.N --field BID=45.55

${EXIT_CODES_HELP}`,
    )
    .action(async (flags: PostFlags) => {
      const { runPost } = await import("./post-run.js");
      await runPost(flags);
    });
}
