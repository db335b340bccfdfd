/** The work of `rcc contribute` (see contribute.ts). */
import { type Contributor, type Fields, normalizeFields, systemClock, validateRic } from "../../index.js";
import { onOutputClosed } from "../closed-output.js";
import { buildContributor, connectWithin, resolveConnection, toCliError } from "../connect.js";
import { ContributeTally, formatSummary } from "../contribute-tally.js";
import { EXIT } from "../exit-codes.js";
import { checkKnownFields } from "../field-check.js";
import type { InputFormat, InputRow } from "../input.js";
import { type InputSource, openInput } from "../input-source.js";
import { type Outcome, outcomeOf } from "../outcome.js";
import { Progress } from "../progress.js";
import { ReportWriter } from "../report-writer.js";
import { jsonLine, safeLine } from "../terminal-text.js";
import type { ConnectionFlags } from "../connection-options.js";

/** Flags of `rcc contribute`. */
export interface ContributeFlags extends ConnectionFlags {
  format?: InputFormat;
  report?: string;
  dryRun?: boolean;
  conflate?: boolean;
  ackTimeout: number;
  progress?: boolean;
}

/**
 * Contributions handed to the contributor and not yet settled, at most: a huge file never piles up in memory. Kept
 * under what the contributor holds itself by default (`maxInFlight` 1,000 + `maxQueued` 10,000): a post beyond
 * that only waits in the contributor's overflow list, and a large window of live posts made garbage collection
 * the biggest single cost of a bulk run (measured: 20,000 cost 10–15 % more CPU than 5,000, for no more rows/s).
 */
const MAX_OUTSTANDING = 5_000;

/** Outstanding contributions under which a reader held back by MAX_OUTSTANDING goes on (one wake-up per 1,000 settled, not per post). */
const RESUME_BELOW = MAX_OUTSTANDING - 1_000;

/** Why reading stopped early. */
interface ReadingStop {
  reason?: "interrupted" | "session-lost";
  /** The error that ended the session, for "session-lost". */
  error?: Error;
}

/** A row that parsed. */
type GoodRow = Extract<InputRow, { fields: Fields }>;

/** What a run works with. */
interface RunDeps {
  input: InputSource;
  /** Undefined with --dry-run. */
  contributor: Contributor | undefined;
  report: ReportWriter;
  tally: ContributeTally;
  /** Whether a progress line is being redrawn on stderr (an error line must clear it first). */
  redrawing: boolean;
}

/** Checks a parsed row locally; returns the problem, or undefined when it may be sent. */
function rowProblem(row: GoodRow): string | undefined {
  try {
    validateRic(row.ric);
    normalizeFields(row.fields);
  } catch (error) {
    return (error as Error).message;
  }
  return checkKnownFields(row.fields);
}

/** Runs `rcc contribute FILE`; prints the summary and sets `process.exitCode`. */
export async function runContribute(file: string, flags: ContributeFlags): Promise<void> {
  const input = await openInput(file, flags.format);
  const connection = await resolveConnection(flags, { needCredentials: !flags.dryRun });
  const report = await ReportWriter.create(flags.report);
  const dryRun = flags.dryRun === true;
  const contributor = dryRun
    ? undefined
    : buildContributor(connection, {
        ackTimeoutMs: flags.ackTimeout,
        conflate: flags.conflate === true,
        backoff: { maxAttempts: 5 },
      });
  const tally = new ContributeTally();
  const progress = new Progress({
    stream: process.stderr,
    clock: systemClock,
    ...(input.size === undefined ? {} : { totalBytes: input.size }),
  });
  const show = flags.progress !== false;
  const run = new ContributeRun({ input, contributor, report, tally, redrawing: show && progress.interactive });
  const tick = setInterval(() => {
    if (show) progress.update(run.progressCounts());
  }, 100);
  const started = performance.now();

  const onSignal = () => {
    // A second Ctrl+C does not wait for the clean close.
    if (run.stop.reason === "interrupted") process.exit(EXIT.interrupted);
    run.halt("interrupted");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const offClosed = onOutputClosed(() => run.halt("interrupted"));
  try {
    if (contributor !== undefined) await connectWithin(contributor, connection); // bounded by --connect-timeout
    await run.execute();
  } catch (error) {
    if (run.stop.reason !== "interrupted") throw toCliError(error, connection.settings);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    offClosed();
    clearInterval(tick);
    await contributor?.close();
    if (show) progress.finish(run.progressCounts());
    await report.close();
  }
  const interrupted = run.stop.reason === "interrupted";
  const summary = tally.summary((performance.now() - started) / 1000, { dryRun, interrupted });
  process.stdout.write(flags.json ? `${jsonLine(summary)}\n` : `${formatSummary(summary, dryRun)}\n`);
  if (run.stop.reason === "session-lost" && run.stop.error) throw toCliError(run.stop.error, connection.settings);
  process.exitCode = interrupted ? EXIT.interrupted : tally.exitCode();
}

/**
 * One run over the input: reads rows a chunk at a time, validates them, hands them to the contributor and settles
 * outcomes. The rows of a chunk are handled synchronously, and a row costs one `.then` on its post: no promise is
 * made for a row unless the report file or the outstanding limit makes it wait.
 */
class ContributeRun {
  readonly stop: ReadingStop = {};
  #outstanding = 0;
  /** Wakes the reader waiting for room under MAX_OUTSTANDING (or for a halt). */
  #room: (() => void) | undefined;
  /** Wakes execute() waiting for the last outstanding post to settle. */
  #idle: (() => void) | undefined;

  readonly #deps: RunDeps;

  constructor(deps: RunDeps) {
    this.#deps = deps;
    // The session ended on its own (reconnecting gave up, login refused): stop reading, report, exit 4 or 3.
    void deps.contributor?.closed().then((error) => {
      if (error) this.halt("session-lost", error);
    });
  }

  /** The counters for the progress line. */
  progressCounts(): ContributeTally["progress"] {
    const counts = this.#deps.tally.progress;
    counts.inFlight = this.#outstanding;
    const read = this.#deps.input.bytesRead();
    if (read !== undefined) counts.bytesRead = read;
    return counts;
  }

  /** Stops reading; posts already handed over still settle (close() drains them). */
  halt(reason: NonNullable<ReadingStop["reason"]>, error?: Error): void {
    if (this.stop.reason !== undefined) return;
    this.stop.reason = reason;
    if (error) this.stop.error = error;
    this.#deps.input.stream.destroy();
    this.#wake();
    // Ctrl+C while still connecting: closing the contributor ends connect().
    const contributor = this.#deps.contributor;
    if (reason === "interrupted" && contributor !== undefined && contributor.state !== "ready") {
      void contributor.close();
    }
  }

  /** Connects (unless dry-run), then reads every row until the input ends or {@link halt} is called. */
  async execute(): Promise<void> {
    const { contributor, input } = this.#deps;
    await contributor?.connect();
    reading: for await (const batch of input.batches) {
      for (const row of batch) {
        // Checked per row: a halt (Ctrl+C) lands between chunks, or during a wait below.
        if (this.#stopped()) break reading;
        const wait = this.#row(contributor, row);
        if (wait !== undefined) await wait;
        while (this.#outstanding >= MAX_OUTSTANDING && !this.#stopped()) {
          await new Promise<void>((resolve) => (this.#room = resolve));
        }
      }
    }
    if (this.#outstanding > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
  }

  /** Whether {@link halt} was called (a method, so that checks after an await are not narrowed away). */
  #stopped(): boolean {
    return this.stop.reason !== undefined;
  }

  /** Handles one row; returns a promise only when the report file must drain first. */
  #row(contributor: Contributor | undefined, row: InputRow): Promise<void> | undefined {
    const { tally, report } = this.#deps;
    tally.progress.rows += 1;
    if ("error" in row) return this.#badRow(row);
    const problem = rowProblem(row);
    if (problem !== undefined) return this.#badRow({ row: row.row, ric: row.ric, error: problem });
    if (!contributor)
      return report.enabled ? report.write({ row: row.row, ric: row.ric, outcome: "valid" }) : undefined;
    this.#send(contributor, row);
    return undefined;
  }

  #send(contributor: Contributor, row: GoodRow): void {
    this.#outstanding += 1;
    this.#deps.tally.progress.sent += 1;
    void contributor.contribute(row.ric, row.fields).then(
      (ack) => this.#settle(row, outcomeOf(row.ric, { ack })),
      (error: unknown) => this.#settle(row, outcomeOf(row.ric, { error })),
    );
  }

  /** Counts and reports a settled post; it stays outstanding until its report line is taken (backpressure). */
  #settle(row: GoodRow, outcome: Outcome): void {
    const { tally, report } = this.#deps;
    tally.settle(outcome);
    const wait = report.enabled ? report.write({ row: row.row, ...outcome }) : undefined;
    if (wait === undefined) this.#release();
    else void wait.then(() => this.#release());
  }

  #release(): void {
    this.#outstanding -= 1;
    // Wake the reader only once a good share of the window is free: not one wake-up per settled post.
    if (this.#outstanding <= RESUME_BELOW) this.#wake();
    if (this.#outstanding === 0) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle?.();
    }
  }

  #wake(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }

  #badRow(row: InputRow & { error: string }): Promise<void> | undefined {
    const { tally, report, redrawing } = this.#deps;
    tally.bad();
    const where = row.ric === undefined ? `row ${row.row}` : `row ${row.row} (${row.ric})`;
    // The row's own text (a cell, a RIC) is echoed in the message: the input file may be as hostile as a server.
    process.stderr.write(`${redrawing ? "\r\x1b[2K" : ""}rcc: ${safeLine(`${where}: ${row.error}`)}\n`);
    if (!report.enabled) return undefined;
    return report.write({
      row: row.row,
      ...(row.ric === undefined ? {} : { ric: row.ric }),
      outcome: "invalid",
      text: row.error,
    });
  }
}
