/** The work of `rcc post` (see post.ts). */
import { checkKnownFields } from "../../internal.js";
import type { Fields } from "../../index.js";
import { onOutputClosed } from "../closed-output.js";
import { buildContributor, connectWithin, resolveConnection, toCliError } from "../connect.js";
import { CliError, EXIT } from "../exit-codes.js";
import { exitCodeForOutcomes, formatOutcome, outcomeOf } from "../outcome.js";
import { jsonLine } from "../terminal-text.js";
import { parseFieldArguments } from "../values.js";
import type { ConnectionFlags } from "../connection-options.js";

/** Flags of `rcc post`. */
export interface PostFlags extends ConnectionFlags {
  ric?: string;
  field?: string[];
  ackTimeout: number;
}

/** Parses and checks the `--field` arguments. @throws CliError (exit 1) naming the bad argument. */
function fieldsOf(flags: PostFlags): Fields {
  let fields: Fields;
  try {
    fields = parseFieldArguments(flags.field ?? []);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
  if (Object.keys(fields).length === 0) throw new CliError("give at least one --field NAME=VALUE", EXIT.usage);
  const problem = checkKnownFields(fields);
  if (problem !== undefined) throw new CliError(`--field ${problem}`, EXIT.usage);
  return fields;
}

/** Posts once, prints the outcome and sets `process.exitCode` from it. */
export async function runPost(flags: PostFlags): Promise<void> {
  const fields = fieldsOf(flags);
  const ric = flags.ric ?? "";
  const connection = await resolveConnection(flags, { needCredentials: true });
  const contributor = buildContributor(connection, { ackTimeoutMs: flags.ackTimeout, backoff: { maxAttempts: 3 } });
  // Nobody can see the outcome any more: close at once (the post, if sent, is settled by the server anyway).
  const offClosed = onOutputClosed(() => void contributor.close());
  try {
    await connectWithin(contributor, connection); // bounded by --connect-timeout
    const result = await contributor.contribute(ric, fields).then(
      (ack) => ({ ack }),
      (error: unknown) => ({ error }),
    );
    const outcome = outcomeOf(ric, result);
    process.stdout.write(flags.json ? `${jsonLine(outcome)}\n` : `${formatOutcome(outcome)}\n`);
    process.exitCode = exitCodeForOutcomes({ [outcome.outcome]: 1 });
  } catch (error) {
    throw toCliError(error, connection.settings);
  } finally {
    offClosed();
    await contributor.close();
  }
}
