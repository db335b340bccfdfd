/**
 * The `rcc` command line. Results go to stdout, logs and progress to stderr; errors are one clear line starting
 * with `rcc: ` (commander's usage errors too; a stack trace only with --verbose), with `--json` also one JSON error
 * object on stdout (error-output.ts), and end with the documented exit codes. Error messages often embed a
 * server's text, so they are printed through safeLine (terminal-text.ts); a closed stdout ends the command
 * quietly (closed-output.ts).
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { guardOutput, isOutputClosed } from "./closed-output.js";
import { errorLine, jsonErrorLine, usageErrorMessage } from "./error-output.js";
import { CliError, cliErrorCode, EXIT, EXIT_CODES_HELP } from "./exit-codes.js";
import { registerContribute } from "./commands/contribute.js";
import { registerDemo } from "./commands/demo.js";
import { registerPost } from "./commands/post.js";
import { registerGateway } from "./commands/gateway.js";
import { registerSimulate } from "./commands/simulate.js";
import { registerToken } from "./commands/token.js";
import { registerWatch } from "./commands/watch.js";
import { safeLine } from "./terminal-text.js";

/** How failures are reported, for `rcc --help`. */
const ERRORS_HELP = `Errors: one line on stderr starting with "rcc: " (usage errors too, exit 1); with --json, a command
that fails also prints {"error":{"code","message","exitCode"}} on stdout.`;

/** What a run learns about the command it runs, for reporting its failure. */
interface RunContext {
  /** The command whose usage error commander reported, if any. */
  failedCommand?: Command;
  /** The command whose action ran. */
  actionCommand?: Command;
}

function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/**
 * Builds the program (exported for tests and for `--help` rendering).
 * @param context filled in as the program parses and runs: which command failed or ran.
 */
export function buildProgram(context: RunContext = {}): Command {
  const program = new Command("rcc")
    .description(
      "Contribute real-time prices to LSEG's Refinitiv Contributions Channel (RCC), or simulate RCC locally.",
    )
    .version(packageVersion(), "-V, --version", "print the version and exit")
    .option("--verbose", "show stack traces on errors")
    .addHelpText("after", `\n${ERRORS_HELP}\n\n${EXIT_CODES_HELP}\n`)
    .showSuggestionAfterError()
    .exitOverride();
  registerDemo(program);
  registerPost(program);
  registerContribute(program);
  registerToken(program);
  registerWatch(program);
  registerSimulate(program);
  registerGateway(program);
  checkRequiredOptionsLast(program);
  for (const command of [program, ...program.commands]) prefixUsageErrors(command, context);
  program.hook("preAction", (_program, actionCommand) => {
    context.actionCommand = actionCommand;
  });
  return program;
}

/**
 * Prints commander's usage errors of `command` as ours (`rcc: unknown option '--rci' (Did you mean --ric?)`, see
 * usageErrorMessage) and notes which command failed, for the `--json` error object.
 */
function prefixUsageErrors(command: Command, context: RunContext): void {
  command.configureOutput({
    outputError: (text, write) => {
      context.failedCommand = command;
      write(errorLine(usageErrorMessage(text)));
    },
  });
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
  const context: RunContext = {};
  const program = buildProgram(context);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    process.exitCode = reportFailure(error, args, context);
  }
}

/**
 * Tells the user why the command failed (stderr, once; with `--json` also the JSON error object) and returns the
 * exit code for that failure.
 */
function reportFailure(error: unknown, args: readonly string[], context: RunContext): number {
  if (error instanceof CommanderError) {
    // commander already printed help, the version or the usage error (through prefixUsageErrors).
    if (error.exitCode === 0) return EXIT.ok;
    const command = context.failedCommand;
    if (command !== undefined && takesJson(command) && jsonAsked(args)) {
      const report = { code: cliErrorCode(EXIT.usage), message: usageErrorMessage(error.message) };
      process.stdout.write(jsonErrorLine({ ...report, exitCode: EXIT.usage }));
    }
    return EXIT.usage;
  }
  // Stopped because the reader went away: the failure is the stop's doing, and the exit code says it already.
  if (isOutputClosed()) return EXIT.outputClosed;
  const message = error instanceof Error ? error.message : String(error);
  const exitCode = error instanceof CliError ? error.exitCode : EXIT.usage;
  process.stderr.write(errorLine(message));
  if (args.includes("--verbose") && error instanceof Error && error.stack) process.stderr.write(stackFrames(error));
  const command = context.actionCommand;
  if (command?.opts<{ json?: boolean }>().json === true) {
    const code = error instanceof CliError ? error.code : cliErrorCode(exitCode);
    // With `--report -` the report owns stdout: the error object goes where the JSON summary goes, to stderr.
    const toStderr = command.opts<{ report?: string }>().report === "-";
    (toStderr ? process.stderr : process.stdout).write(jsonErrorLine({ code, message, exitCode }));
  }
  return exitCode;
}

/** Whether `command` has a `--json` flag (every command but the program itself). */
function takesJson(command: Command): boolean {
  return command.options.some((option) => option.long === "--json");
}

/**
 * Whether `--json` is among the arguments (before a `--`). Read from the arguments, not from commander's values:
 * after an unknown option commander stops reading the flags that follow it.
 */
function jsonAsked(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--json");
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
