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

/** An error that ends the command with a given exit code and one clear line on stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "CliError";
  }
}
