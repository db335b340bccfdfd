/**
 * The `rcc` command line. Results go to stdout, logs and progress to stderr; errors are one clear line
 * (a stack trace only with --verbose) and end with the documented exit codes.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { CliError, EXIT, EXIT_CODES_HELP } from "./exit-codes.js";
import { registerContribute } from "./commands/contribute.js";
import { registerDemo } from "./commands/demo.js";
import { registerPost } from "./commands/post.js";
import { registerSimulate } from "./commands/simulate.js";
import { registerToken } from "./commands/token.js";
import { registerWatch } from "./commands/watch.js";

function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** Builds the program (exported for tests and for `--help` rendering). */
export function buildProgram(): Command {
  const program = new Command("rcc")
    .description(
      "Contribute real-time prices to LSEG's Refinitiv Contributions Channel (RCC), or simulate RCC locally.",
    )
    .version(packageVersion(), "-V, --version", "print the version and exit")
    .option("--verbose", "show stack traces on errors")
    .addHelpText("after", `\n${EXIT_CODES_HELP}\n`)
    .showSuggestionAfterError()
    .exitOverride();
  registerDemo(program);
  registerPost(program);
  registerContribute(program);
  registerToken(program);
  registerWatch(program);
  registerSimulate(program);
  return program;
}

/** Runs the CLI with the given arguments (without `node` and the script). Sets `process.exitCode`. */
export async function run(args: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    process.exitCode = exitCodeFor(error, args.includes("--verbose"));
  }
}

function exitCodeFor(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // commander already printed help, the version or the usage error.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CliError) {
    process.stderr.write(`rcc: ${error.message}\n`);
    if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`rcc: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT.usage;
}
