/** The work of `rcc contribute` (see contribute.ts). */
import type { Contributor } from "../../client/contributor.js";
import { normalizeFields, validateRic } from "../../client/field-validation.js";
import { systemClock } from "../../util/clock.js";
import { buildContributor, resolveConnection, toCliError } from "../connect.js";
import { ContributeTally, formatSummary } from "../contribute-tally.js";
import { EXIT } from "../exit-codes.js";
import { checkKnownFields } from "../field-check.js";
import type { InputRow } from "../input.js";
import type { Fields } from "../../protocol/messages.js";
import { type InputSource, openInput } from "../input-source.js";
import { outcomeOf } from "../outcome.js";
import { Progress } from "../progress.js";
import { ReportWriter } from "../report-writer.js";
import type { ContributeFlags } from "./contribute.js";

/** Contributions handed to the contributor and not yet settled, at most: a huge file never piles up in memory. */
const MAX_OUTSTANDING = 20_000;

/** Why reading stopped early. */
interface Stop {
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
  try {
    await run.execute();
  } catch (error) {
    if (run.stop.reason !== "interrupted") throw toCliError(error, connection.settings);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    clearInterval(tick);
    await contributor?.close();
    if (show) progress.finish(run.progressCounts());
    await report.close();
  }
  const interrupted = run.stop.reason === "interrupted";
  const summary = tally.summary((performance.now() - started) / 1000, { dryRun, interrupted });
  process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary, dryRun)}\n`);
  if (run.stop.reason === "session-lost" && run.stop.error) throw toCliError(run.stop.error, connection.settings);
  process.exitCode = interrupted ? EXIT.interrupted : tally.exitCode();
}

/** One run over the input: reads rows, validates them, hands them to the contributor and settles outcomes. */
class ContributeRun {
  readonly stop: Stop = {};
  #outstanding = 0;
  #room: (() => void) | undefined;
  readonly #pending = new Set<Promise<void>>();

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
  halt(reason: NonNullable<Stop["reason"]>, error?: Error): void {
    if (this.stop.reason !== undefined) return;
    this.stop.reason = reason;
    if (error) this.stop.error = error;
    this.#deps.input.stream.destroy();
    this.#room?.();
    // Ctrl+C while still connecting: closing the contributor ends connect().
    const contributor = this.#deps.contributor;
    if (reason === "interrupted" && contributor !== undefined && contributor.state !== "ready") {
      void contributor.close();
    }
  }

  /** Connects (unless dry-run), then reads every row until the input ends or {@link halt} is called. */
  async execute(): Promise<void> {
    const { contributor, input, report, tally } = this.#deps;
    await contributor?.connect();
    for await (const row of input.rows) {
      if (this.#stopped()) break;
      tally.progress.rows += 1;
      if ("error" in row) {
        await this.#badRow(row);
        continue;
      }
      const problem = rowProblem(row);
      if (problem !== undefined) {
        await this.#badRow({ row: row.row, ric: row.ric, error: problem });
        continue;
      }
      if (!contributor) {
        await report.write({ row: row.row, ric: row.ric, outcome: "valid" });
        continue;
      }
      while (this.#outstanding >= MAX_OUTSTANDING && !this.#stopped()) {
        await new Promise<void>((resolve) => (this.#room = resolve));
      }
      if (this.#stopped()) break;
      this.#send(contributor, row);
    }
    await Promise.all(this.#pending);
  }

  /** Whether {@link halt} was called (a method, so that checks after an await are not narrowed away). */
  #stopped(): boolean {
    return this.stop.reason !== undefined;
  }

  #send(contributor: Contributor, row: GoodRow): void {
    const { tally, report } = this.#deps;
    this.#outstanding += 1;
    tally.progress.sent += 1;
    const done: Promise<void> = contributor
      .contribute(row.ric, row.fields)
      .then(
        (ack) => outcomeOf(row.ric, { ack }),
        (error: unknown) => outcomeOf(row.ric, { error }),
      )
      .then((outcome) => {
        tally.settle(outcome);
        return report.write({ row: row.row, ...outcome });
      })
      .finally(() => {
        this.#outstanding -= 1;
        this.#pending.delete(done);
        this.#room?.();
        this.#room = undefined;
      });
    this.#pending.add(done);
  }

  async #badRow(row: InputRow & { error: string }): Promise<void> {
    this.#deps.tally.bad();
    const where = row.ric === undefined ? `row ${row.row}` : `row ${row.row} (${row.ric})`;
    process.stderr.write(`${this.#deps.redrawing ? "\r\x1b[2K" : ""}rcc: ${where}: ${row.error}\n`);
    await this.#deps.report.write({
      row: row.row,
      ...(row.ric === undefined ? {} : { ric: row.ric }),
      outcome: "invalid",
      text: row.error,
    });
  }
}
