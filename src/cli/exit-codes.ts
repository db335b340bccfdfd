/** Exit codes of the `rcc` command (documented in `rcc --help` and the README). */
export const EXIT = {
  /** All contributions acked (or the command succeeded). */
  ok: 0,
  /** Bad usage or bad input. */
  usage: 1,
  /** At least one Nak or content Error. */
  nak: 2,
  /** Authentication failed. */
  auth: 3,
  /** Could not connect, or the session was lost for good. */
  connection: 4,
  /** An ack did not arrive in time. */
  ackTimeout: 5,
  /** Interrupted (after a clean Login Close). */
  interrupted: 130,
  /** stdout or stderr closed by its reader (`| head`): 128 + SIGPIPE, as a shell shows a writer killed by it. */
  outputClosed: 141,
} as const;

/** Help text block listing the exit codes. */
export const EXIT_CODES_HELP = `Exit codes:
  0    all contributions acked / success
  1    bad usage or bad input
  2    at least one Nak or content Error
  3    authentication failed
  4    could not connect, or the session was lost for good
  5    ack timeout
  130  interrupted (after a clean Login Close)
  141  stdout or stderr closed by its reader, e.g. piped to head (silent; after a clean Login Close)`;

/**
 * The `code` of the `--json` error object when no library error code applies, by exit code: stable, as the
 * library's ERROR_CODES are, so scripts branch on it rather than on the message.
 */
const CLI_ERROR_CODES: Readonly<Record<number, string>> = {
  [EXIT.usage]: "RCC_CLI_USAGE",
  [EXIT.nak]: "RCC_CLI_NAK",
  [EXIT.auth]: "RCC_CLI_AUTH",
  [EXIT.connection]: "RCC_CLI_CONNECTION",
  [EXIT.ackTimeout]: "RCC_CLI_ACK_TIMEOUT",
  [EXIT.interrupted]: "RCC_CLI_INTERRUPTED",
};

/** The CLI's own error code for an exit code (`RCC_CLI_USAGE`, `RCC_CLI_CONNECTION`, …; `RCC_CLI_ERROR` otherwise). */
export function cliErrorCode(exitCode: number): string {
  return CLI_ERROR_CODES[exitCode] ?? "RCC_CLI_ERROR";
}

/** An error that ends the command with a given exit code and one clear line on stderr. */
export class CliError extends Error {
  /**
   * Stable machine-readable code, shown in the `--json` error object: the library error's (e.g.
   * `RCC_AUTH_INVALID_CREDENTIALS`) when one caused it, else the CLI's for the exit code ({@link cliErrorCode}).
   */
  readonly code: string;

  /** @param code see {@link CliError.code}. @default cliErrorCode(exitCode) */
  constructor(
    message: string,
    readonly exitCode: number,
    code?: string,
  ) {
    super(message);
    this.name = "CliError";
    this.code = code ?? cliErrorCode(exitCode);
  }
}
