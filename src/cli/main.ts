/**
 * The `rcc` command line. Results go to stdout, logs and progress to stderr; errors are one clear line
 * (a stack trace only with --verbose) and end with the documented exit codes. Error messages often embed a
 * server's text, so they are printed through safeLine (terminal-text.ts); a closed stdout ends the command
 * quietly (closed-output.ts).
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { guardOutput, isOutputClosed } from "./closed-output.js";
import { CliError, EXIT, EXIT_CODES_HELP } from "./exit-codes.js";
import { registerContribute } from "./commands/contribute.js";
import { registerDemo } from "./commands/demo.js";
import { registerPost } from "./commands/post.js";
import { registerSimulate } from "./commands/simulate.js";
import { registerToken } from "./commands/token.js";
import { registerWatch } from "./commands/watch.js";
import { safeLine } from "./terminal-text.js";

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
  checkRequiredOptionsLast(program);
  return program;
}

/**
 * Makes each command report an unknown option before a missing required one. commander checks required options
 * first, so `rcc post --rci TRCCTEST01` said "required option '--ric <ric>' not specified" when the typo was the
 * problem (and commander would have suggested --ric). Here required options are optional to commander and checked
 * in a preAction hook instead, which runs after its unknown-option and argument checks, with commander's message.
 */
function checkRequiredOptionsLast(program: Command): void {
  for (const command of program.commands) {
    const required = command.options.filter((option) => option.mandatory);
    if (required.length === 0) continue;
    for (const option of required) option.makeOptionMandatory(false);
    command.hook("preAction", () => {
      for (const option of required) {
        if (command.getOptionValue(option.attributeName()) === undefined) {
          command.error(`error: required option '${option.flags}' not specified`, {
            code: "commander.missingMandatoryOptionValue",
          });
        }
      }
    });
  }
}

/** Runs the CLI with the given arguments (without `node` and the script). Sets `process.exitCode`. */
export async function run(args: string[]): Promise<void> {
  guardOutput();
  const program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    process.exitCode = reportFailure(error, args.includes("--verbose"));
  }
}

/** Tells the user why the command failed (stderr, once) and returns the exit code for that failure. */
function reportFailure(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // commander already printed help, the version or the usage error.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  // Stopped because the reader went away: the failure is the stop's doing, and the exit code says it already.
  if (isOutputClosed()) return EXIT.outputClosed;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`rcc: ${safeLine(message)}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(stackFrames(error));
  return error instanceof CliError ? error.exitCode : EXIT.usage;
}

/**
 * The stack trace of `error` without its first line (the message, already printed), each line made safe: the
 * message may hold server text, frames do not, but a forged message could imitate them.
 */
function stackFrames(error: Error): string {
  const stack = error.stack ?? "";
  const header = `${error.name}: ${error.message}\n`;
  const frames = stack.startsWith(header) ? stack.slice(header.length) : stack;
  return frames
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => `${safeLine(line)}\n`)
    .join("");
}
