/** `rcc post --ric RIC --field NAME=VALUE …`: one contribution; prints its outcome and exits with its code. */
import type { Command } from "commander";
import { CliError, EXIT } from "../exit-codes.js";
import {
  addConnectionOptions,
  buildContributor,
  type ConnectionFlags,
  resolveConnection,
  toCliError,
} from "../connect.js";
import { exitCodeFor, formatOutcome, outcomeOf } from "../outcome.js";
import { parseFieldArguments } from "../values.js";
import { positiveIntOption } from "./shared.js";

interface PostFlags extends ConnectionFlags {
  ric?: string;
  field?: string[];
  ackTimeout: number;
}

/** Registers `rcc post`. */
export function registerPost(program: Command): void {
  addConnectionOptions(
    program.command("post").description("contribute one set of field values to a RIC and wait for its Ack"),
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
  rcc post --ric TRCCTEST01 --field ASK=null --field ACTIV_DATE=2026-11-25 --json`,
    )
    .action(async (flags: PostFlags) => {
      let fields;
      try {
        fields = parseFieldArguments(flags.field ?? []);
      } catch (error) {
        throw new CliError((error as Error).message, EXIT.usage);
      }
      if (Object.keys(fields).length === 0) throw new CliError("give at least one --field NAME=VALUE", EXIT.usage);
      const ric = flags.ric ?? "";
      const connection = await resolveConnection(flags, { needCredentials: true });
      const contributor = buildContributor(connection, { ackTimeoutMs: flags.ackTimeout, backoff: { maxAttempts: 3 } });
      try {
        await contributor.connect();
        const result = await contributor.contribute(ric, fields).then(
          (ack) => ({ ack }),
          (error: unknown) => ({ error }),
        );
        const outcome = outcomeOf(ric, result);
        process.stdout.write(flags.json ? `${JSON.stringify(outcome)}\n` : `${formatOutcome(outcome)}\n`);
        process.exitCode = exitCodeFor({ [outcome.outcome]: 1 });
      } catch (error) {
        throw toCliError(error);
      } finally {
        await contributor.close();
      }
    });
}
