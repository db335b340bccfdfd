/**
 * The work of `rcc contribute` (see contribute.ts). Every input row settles exactly once — in the report, the
 * tally and (for the failures a user must see) on stderr — whatever ends the run: the input's end, Ctrl+C,
 * SIGTERM/SIGHUP, or the session ending on its own.
 */
import {
  type Contributor,
  DEFAULT_PIPELINE_OPTIONS,
  type Fields,
  normalizeFields,
  type ReconnectInfo,
  type StateChange,
  systemClock,
  validateRic,
} from "../../index.js";
import { checkKnownFields, checkPost } from "../../internal.js";
import { onOutputClosed } from "../closed-output.js";
import { buildContributor, connectWithin, resolveConnection, toCliError } from "../connect.js";
import { ContributeTally, formatSummary } from "../contribute-tally.js";
import { CliError, EXIT } from "../exit-codes.js";
import type { InputFormat, InputRow } from "../input.js";
import { type InputSource, openInput } from "../input-source.js";
import { FINAL_OUTCOMES, type Outcome, type OutcomeKind, outcomeOf } from "../outcome.js";
import { Progress } from "../progress.js";
import { ReportWriter } from "../report-writer.js";
import { readResumeReport } from "../resume-report.js";
import { DEFAULT_RECONNECT_FOR_MS, onStopSignals } from "../stopping.js";
import { expandHome } from "../file-paths.js";
import { jsonLine, safeLine } from "../terminal-text.js";
import type { ConnectionFlags } from "../connection-options.js";

/** Flags of `rcc contribute`. */
export interface ContributeFlags extends ConnectionFlags {
  format?: InputFormat;
  /** CSV cell separator (`--delimiter`). @default detected */
  delimiter?: string;
  /** `--report FILE` (`-` = stdout). */
  report?: string;
  /** `--resume REPORT`: skip the rows REPORT holds a final outcome for, append to it. */
  resume?: string;
  dryRun?: boolean;
  conflate?: boolean;
  /** Per-post Ack timeout, ms. */
  ackTimeout: number;
  /** How long a stop waits for the Acks of posts already sent, ms. */
  drainTimeout: number;
  /** How long a lost connection is retried, ms. @default DEFAULT_RECONNECT_FOR_MS */
  reconnectFor?: number;
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

/** Failed rows printed on stderr one by one; the rest are counted ("… N more"). */
const MAX_SHOWN_FAILURES = 20;

/** Outcomes printed on stderr with their row number. */
const SHOWN_FAILURES: ReadonlySet<OutcomeKind> = new Set<OutcomeKind>(["nak", "error", "timeout", "invalid"]);

/** Why sending stopped early. */
interface SendingStop {
  reason?: "interrupted" | "session-lost";
  /** The error that ended the session, for "session-lost". */
  error?: Error;
  /** A second signal: stop reading too, do not wait for Acks. */
  aborted?: boolean;
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
  /** Rows an earlier report holds a final outcome for (`--resume`). */
  skip: ReadonlySet<number> | undefined;
  /** Checks a parsed row as the contributor would; returns the problem, or undefined when it may be sent. */
  check: (row: GoodRow) => string | undefined;
  /** Writes one line on stderr (clearing a progress line being redrawn). */
  say: (line: string) => void;
  conflate: boolean;
}

/** Runs `rcc contribute FILE`; prints the summary and sets `process.exitCode`. */
export async function runContribute(file: string, flags: ContributeFlags): Promise<void> {
  const input = await openInput(file, {
    ...(flags.format === undefined ? {} : { format: flags.format }),
    ...(flags.delimiter === undefined ? {} : { delimiter: flags.delimiter }),
  });
  const connection = await resolveConnection(flags, { needCredentials: !flags.dryRun });
  const dryRun = flags.dryRun === true;
  if (flags.report !== undefined && flags.report !== "-") flags.report = expandHome(flags.report);
  if (flags.resume !== undefined) flags.resume = expandHome(flags.resume);
  if (flags.resume !== undefined && flags.report !== undefined && flags.report !== flags.resume) {
    throw new CliError("--resume REPORT appends to REPORT: give no --report, or the same file", EXIT.usage);
  }
  const resumed = flags.resume === undefined ? undefined : await readResumeReport(flags.resume);
  if (resumed?.truncatedLastLine === true) {
    process.stderr.write(`rcc: ${safeLine(`the last line of ${flags.resume} was cut short; its row is sent again`)}\n`);
  }
  const reportPath = flags.resume ?? flags.report;
  const report = await ReportWriter.create(reportPath, { append: flags.resume !== undefined });
  const contributor = dryRun
    ? undefined
    : buildContributor(connection, {
        ackTimeoutMs: flags.ackTimeout,
        // A row waits its turn in the queue (behind the rate limit, through a reconnect) as long as it takes;
        // its Ack timeout starts when it is written. MAX_OUTSTANDING and --reconnect-for bound the waiting.
        ackTimeoutFrom: "sent",
        conflate: flags.conflate === true,
        // Bounded by time, not by a count: a few seconds of server restart must not end a long run.
        backoff: { maxAttempts: Number.POSITIVE_INFINITY },
        reconnectForMs: flags.reconnectFor ?? DEFAULT_RECONNECT_FOR_MS,
        drainTimeoutMs: flags.drainTimeout,
      });
  const tally = new ContributeTally();
  const progress = new Progress({
    stream: process.stderr,
    clock: systemClock,
    ...(input.size === undefined ? {} : { totalBytes: input.size }),
  });
  const show = flags.progress !== false;
  const redrawing = show && progress.interactive;
  const say = (line: string): void => {
    process.stderr.write(`${redrawing ? "\r\x1b[2K" : ""}${line}\n`);
  };
  const maxFrameBytes = DEFAULT_PIPELINE_OPTIONS.maxFrameBytes;
  const service = connection.settings.service;
  const run = new ContributeRun({
    input,
    contributor,
    report,
    tally,
    skip: resumed?.final,
    // A real run's oversized post is refused by contribute() (ValidationError: the same "invalid" outcome).
    check: dryRun ? (row) => rowProblem(row, { service, maxFrameBytes }) : (row) => rowProblem(row),
    say,
    conflate: flags.conflate === true,
  });
  const status = contributor === undefined ? undefined : new ConnectionStatus(contributor);
  const tick = setInterval(() => {
    if (show) progress.update(run.progressCounts(status?.text));
  }, 100);
  const started = performance.now();

  const onSignal = (): void => {
    if (run.stop.reason !== "interrupted") {
      const waiting = run.interrupt(flags.drainTimeout);
      if (waiting > 0) say(`stopping: waiting for ${waiting} acks (Ctrl+C again to abort)`);
      else say("stopping (Ctrl+C again to abort)");
    } else if (run.stop.aborted !== true) {
      say("aborting: not waiting for acks");
      run.abort();
    } else {
      // A third signal: leave now, with what the report holds (every line in it is whole).
      report.flush();
      process.exit(EXIT.interrupted);
    }
  };
  const offSignals = onStopSignals(onSignal);
  const offClosed = onOutputClosed(() => run.interrupt(0));
  let failure: unknown;
  try {
    // Bounded by --connect-timeout; the progress line says what it waits for, so no separate notes.
    if (contributor !== undefined) await connectWithin(contributor, connection, { waitingNotes: !show });
    await run.execute();
  } catch (error) {
    failure = error;
  } finally {
    clearInterval(tick);
    offClosed();
    status?.dispose();
  }
  // Whatever stopped the run, every row read gets its line: the rest of a file is read and reported not sent.
  await run.settleRest();
  try {
    await contributor?.close();
  } finally {
    offSignals();
    if (show) progress.finish(run.progressCounts(undefined));
    await report.close();
  }
  if (failure !== undefined && run.stop.reason !== "interrupted") {
    // Nothing read (e.g. connecting failed): the error alone says it.
    if (tally.progress.rows === 0) throw toCliError(failure, connection.settings);
    printSummary(tally, started, flags, dryRun, false, report);
    printResumeHint(file, reportPath, tally, report, say);
    throw toCliError(failure, connection.settings);
  }
  const interrupted = run.stop.reason === "interrupted";
  run.printMoreFailures(reportPath);
  printSummary(tally, started, flags, dryRun, interrupted, report);
  printResumeHint(file, reportPath, tally, report, say);
  if (run.stop.reason === "session-lost" && run.stop.error) throw toCliError(run.stop.error, connection.settings);
  process.exitCode = interrupted ? EXIT.interrupted : tally.exitCode();
}

/**
 * Checks a parsed row against the field table and as `contribute()` would: its RIC and fields, and with `size`
 * (`--dry-run`) that it fits in one frame; a real run leaves the size to `contribute()` itself, since checking it
 * here builds each post's JSON a second time.
 */
function rowProblem(row: GoodRow, size?: { service: string | undefined; maxFrameBytes: number }): string | undefined {
  try {
    if (size === undefined) {
      validateRic(row.ric);
      normalizeFields(row.fields);
    } else {
      const { service, maxFrameBytes } = size;
      checkPost(row.ric, row.fields, { maxFrameBytes, ...(service === undefined ? {} : { service }) });
    }
  } catch (error) {
    return (error as Error).message;
  }
  return checkKnownFields(row.fields);
}

function printSummary(
  tally: ContributeTally,
  started: number,
  flags: ContributeFlags,
  dryRun: boolean,
  interrupted: boolean,
  report: ReportWriter,
): void {
  const summary = tally.summary((performance.now() - started) / 1000, { dryRun, interrupted });
  const text = flags.json ? jsonLine(summary) : formatSummary(summary, dryRun);
  // With --report - the report owns stdout: the summary goes to stderr.
  (report.toStdout ? process.stderr : process.stdout).write(`${text}\n`);
}

/** After a run that left rows without a final outcome: how to send just those. */
function printResumeHint(
  file: string,
  reportPath: string | undefined,
  tally: ContributeTally,
  report: ReportWriter,
  say: (line: string) => void,
): void {
  // The rows --resume would send again: any outcome but a final one (a merged row follows the row it went into).
  let open = 0;
  for (const [kind, count] of Object.entries(tally.outcomes) as [OutcomeKind, number][]) {
    if (!FINAL_OUTCOMES.has(kind) && kind !== "conflated") open += count;
  }
  if (open === 0) return;
  const rows = open === 1 ? "1 row has" : `${open} rows have`;
  if (reportPath === undefined || report.toStdout) {
    say(`rcc: ${rows} no final outcome; run with --report FILE to be able to send only those later`);
    return;
  }
  say(
    `rcc: ${rows} no final outcome; to send only those, run (with the same connection options):\n` +
      `  rcc contribute ${shellQuote(file)} --resume ${shellQuote(reportPath)}`,
  );
}

/** `text` quoted for a POSIX shell when it holds anything but safe characters (and made safe to print). */
function shellQuote(text: string): string {
  const safe = safeLine(text);
  return /^[\w@%+=:,./-]+$/.test(safe) ? safe : `'${safe.replaceAll("'", "'\\''")}'`;
}

/**
 * What the progress line says while not connected, from the contributor's events: `waiting for a token`,
 * `connecting to URL (attempt N)`, `logging in to URL`, or the last failure and the wait before the next try.
 */
class ConnectionStatus {
  text: string | undefined = "starting";
  readonly #contributor: Contributor;
  #attempt = 1;
  #retryAtMs: number | undefined;
  #lastCause = "";
  readonly #onState = (change: StateChange): void => this.#state(change);
  readonly #onReconnecting = (info: ReconnectInfo): void => {
    this.#attempt = info.attempt + 1;
    this.#retryAtMs = performance.now() + info.delayMs;
    this.#lastCause = info.cause.message;
  };
  readonly #timer: NodeJS.Timeout;

  constructor(contributor: Contributor) {
    this.#contributor = contributor;
    contributor.on("state", this.#onState);
    contributor.on("reconnecting", this.#onReconnecting);
    // The back-off countdown changes every second without any event.
    this.#timer = setInterval(() => this.#refresh(), 250);
  }

  dispose(): void {
    this.#contributor.off("state", this.#onState);
    this.#contributor.off("reconnecting", this.#onReconnecting);
    clearInterval(this.#timer);
  }

  #state(change: StateChange): void {
    if (change.to === "ready") this.#attempt = 1;
    if (change.to === "backing-off") {
      // The "reconnecting" event with the wait follows at once; until then the cause alone is known.
      this.#retryAtMs = undefined;
      if (change.cause !== undefined) this.#lastCause = change.cause.message;
    }
    this.#refresh();
  }

  #refresh(): void {
    const state = this.#contributor.state;
    const url = safeLine(this.#contributor.stats().url);
    // After a failure, the attempt number and why the last one failed (the server's words, e.g. System busy).
    const cause = safeLine(this.#lastCause).slice(0, 60);
    const attempt = this.#attempt > 1 ? ` (attempt ${this.#attempt}, after: ${cause})` : "";
    switch (state) {
      case "ready":
      case "closing":
      case "closed":
        this.text = undefined;
        return;
      case "idle":
        this.text = "starting";
        return;
      case "authenticating":
        this.text = `waiting for a token${attempt}`;
        return;
      case "connecting":
        this.text = `connecting to ${url}${attempt}`;
        return;
      case "logging-in":
        this.text = `logging in to ${url}${attempt}`;
        return;
      case "backing-off": {
        // The server's words (e.g. "System busy") come first: they are what the user needs to know.
        if (this.#retryAtMs === undefined) {
          this.text = `${cause}: retrying`;
          return;
        }
        const seconds = Math.max(0, Math.ceil((this.#retryAtMs - performance.now()) / 1000));
        this.text = `${cause}: retrying in ${seconds} s`;
        return;
      }
    }
  }
}

/**
 * One run over the input: reads rows a chunk at a time, validates them, hands them to the contributor and settles
 * outcomes. The rows of a chunk are handled synchronously, and a row costs one `.then` on its post: no promise is
 * made for a row unless the outstanding limit or stdout (`--report -`) makes it wait.
 */
class ContributeRun {
  readonly stop: SendingStop = {};
  #outstanding = 0;
  /** Wakes the reader waiting for room under MAX_OUTSTANDING (or for a stop). */
  #room: (() => void) | undefined;
  /** Wakes execute() waiting for the last outstanding post to settle. */
  #idle: (() => void) | undefined;
  /** With --conflate: the row that owns each post's promise (a later row merged into it takes it over). */
  readonly #owners = new Map<Promise<unknown>, GoodRow>();
  /** The batches being read, kept so that {@link settleRest} reads on where {@link execute} stopped. */
  #batches: AsyncIterator<InputRow[]> | undefined;
  #inputDone = false;
  #failuresShown = 0;
  #failuresHidden = 0;

  readonly #deps: RunDeps;

  constructor(deps: RunDeps) {
    this.#deps = deps;
    // The session ended on its own (reconnecting gave up, login refused): stop sending, report, exit 4 or 3.
    void deps.contributor?.closed().then((error) => {
      if (error) this.#halt("session-lost", error);
    });
  }

  /** The counters for the progress line. */
  progressCounts(status: string | undefined): ContributeTally["progress"] {
    const counts = this.#deps.tally.progress;
    const contributor = this.#deps.contributor;
    if (contributor !== undefined) {
      const stats = contributor.stats();
      counts.sent = stats.sent;
      counts.inFlight = stats.inFlight;
    }
    const read = this.#deps.input.bytesRead();
    if (read !== undefined) counts.bytesRead = read;
    counts.inputDone = this.#inputDone;
    if (status === undefined) delete counts.status;
    else counts.status = status;
    return counts;
  }

  /**
   * First signal: stop sending; queued posts are dropped (reported not-sent), those on the wire get up to
   * `drainTimeoutMs` for their Acks. @returns the number of posts whose Acks are awaited.
   */
  interrupt(drainTimeoutMs: number): number {
    const contributor = this.#deps.contributor;
    const waiting = contributor?.stats().inFlight ?? 0;
    this.#halt("interrupted");
    void contributor?.close({ dropQueued: true, drainTimeoutMs });
    return waiting;
  }

  /** Second signal: do not wait for Acks (posts on the wire are reported unknown), stop reading. */
  abort(): void {
    this.stop.aborted = true;
    void this.#deps.contributor?.close({ dropQueued: true, drainTimeoutMs: 0 });
    this.#wake();
  }

  #halt(reason: NonNullable<SendingStop["reason"]>, error?: Error): void {
    if (this.stop.reason !== undefined) return;
    this.stop.reason = reason;
    if (error) this.stop.error = error;
    this.#wake();
    // stdin is not read on after a stop (it may never end): stop waiting for it now.
    if (this.#deps.input.size === undefined) this.#deps.input.stream.destroy();
    if (reason === "session-lost") void this.#deps.contributor?.close({ dropQueued: true });
  }

  /** Connects (unless dry-run), then reads every row until the input ends or sending stops. */
  async execute(): Promise<void> {
    const { contributor, input } = this.#deps;
    await contributor?.connect();
    const batches = input.batches[Symbol.asyncIterator]();
    this.#batches = batches;
    reading: for (;;) {
      const next = await batches.next();
      if (next.done === true) {
        this.#inputDone = true;
        break;
      }
      for (const row of next.value) {
        if (this.#stopped()) {
          // A stop landed while this chunk was read: its rows are reported like the rest (settleRest).
          const wait = this.#unsent(row);
          if (wait !== undefined) await wait;
          continue;
        }
        const wait = this.#row(contributor, row);
        if (wait !== undefined) await wait;
        while (this.#outstanding >= MAX_OUTSTANDING && !this.#stopped()) {
          await new Promise<void>((resolve) => (this.#room = resolve));
        }
      }
      if (this.#stopped()) break reading;
    }
    await this.#settled();
  }

  /**
   * After a stop (or a failure): waits for the posts handed over to settle (the contributor's close bounds
   * that), then reads the rest of a file, reporting each row not sent. stdin is not read on (it may never
   * end), nor is anything after a second signal.
   */
  async settleRest(): Promise<void> {
    if (!this.#inputDone && this.#batches !== undefined && this.#deps.input.size !== undefined) {
      for (;;) {
        if (this.stop.aborted === true) break;
        const next = await this.#batches.next();
        if (next.done === true) {
          this.#inputDone = true;
          break;
        }
        for (const row of next.value) {
          const wait = this.#unsent(row);
          if (wait !== undefined) await wait;
        }
      }
    }
    if (!this.#inputDone) this.#deps.input.stream.destroy();
    await this.#settled();
  }

  /** Prints how many failed rows were not shown one by one. */
  printMoreFailures(reportPath: string | undefined): void {
    if (this.#failuresHidden === 0) return;
    const where = reportPath === undefined ? "use --report FILE to list them all" : `see ${safeLine(reportPath)}`;
    this.#deps.say(`rcc: … ${this.#failuresHidden} more, ${where}`);
  }

  async #settled(): Promise<void> {
    if (this.#outstanding > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
  }

  /** Whether sending stopped (a method, so that checks after an await are not narrowed away). */
  #stopped(): boolean {
    return this.stop.reason !== undefined;
  }

  /**
   * A row read after sending stopped: a bad one is still invalid, a good one is not sent. Returns a promise only
   * when stdout (`--report -`) must drain first.
   */
  #unsent(row: InputRow): Promise<void> | undefined {
    if (this.#skipped(row)) return undefined;
    if ("error" in row) return this.#badRow(row);
    return this.#record(row.row, { ric: row.ric, outcome: "not-sent", text: "not sent: the run stopped before it" });
  }

  /** Whether `--resume` skips the row (final in the earlier report); counts it. */
  #skipped(row: InputRow): boolean {
    const { skip, tally } = this.#deps;
    tally.progress.rows += 1;
    if (skip === undefined || !skip.has(row.row)) return false;
    tally.skip();
    return true;
  }

  /** Handles one row; returns a promise only when stdout (`--report -`) must drain first. */
  #row(contributor: Contributor | undefined, row: InputRow): Promise<void> | undefined {
    if (this.#skipped(row)) return undefined;
    if ("error" in row) return this.#badRow(row);
    const problem = this.#deps.check(row);
    if (problem !== undefined) return this.#badRow({ row: row.row, ric: row.ric, error: problem });
    if (!contributor) {
      const { report } = this.#deps;
      this.#deps.tally.progress.settled += 1;
      return report.enabled ? report.write({ row: row.row, ric: row.ric, outcome: "valid" }) : undefined;
    }
    this.#send(contributor, row);
    return undefined;
  }

  #send(contributor: Contributor, row: GoodRow): void {
    const post = contributor.contribute(row.ric, row.fields);
    if (this.#deps.conflate) {
      const earlier = this.#owners.get(post);
      this.#owners.set(post, row);
      if (earlier !== undefined) {
        // Merged into the queued post of an earlier row: that row's values went out with this one's.
        // Its line is not waited for: at most one per outstanding post is written ahead of stdout's pace.
        void this.#record(earlier.row, { ric: earlier.ric, outcome: "conflated", into: row.row });
        return;
      }
    }
    this.#outstanding += 1;
    void post.then(
      (ack) => this.#settle(post, row, outcomeOf(row.ric, { ack })),
      (error: unknown) => this.#settle(post, row, outcomeOf(row.ric, { error })),
    );
  }

  /** Settles a post: for the row that owns it now (with --conflate, the last row merged into it). */
  #settle(post: Promise<unknown>, sent: GoodRow, outcome: Outcome): void {
    const row = this.#owners.get(post) ?? sent;
    this.#owners.delete(post);
    if (row !== sent) outcome.ric = row.ric;
    const wait = this.#record(row.row, outcome);
    if (wait === undefined) this.#release();
    else void wait.then(() => this.#release());
  }

  /** Counts, reports and (for a failure a user must see) prints one row's outcome. */
  #record(row: number, outcome: Outcome): Promise<void> | undefined {
    const { tally, report } = this.#deps;
    tally.settle(row, outcome);
    if (SHOWN_FAILURES.has(outcome.outcome)) this.#showFailure(row, outcome);
    if (!report.enabled) return undefined;
    // A row that did not parse far enough to have a RIC has none in its record.
    const { ric, ...rest } = outcome;
    return report.write(ric === "" ? { row, ...rest } : { row, ric, ...rest });
  }

  #showFailure(row: number, outcome: Outcome): void {
    if (this.#failuresShown >= MAX_SHOWN_FAILURES) {
      this.#failuresHidden += 1;
      return;
    }
    this.#failuresShown += 1;
    const text = outcome.text ?? "";
    const what =
      outcome.outcome === "nak"
        ? `Nak ${outcome.nakCode ?? "?"}${text ? `: ${text}` : ""}`
        : outcome.outcome === "error"
          ? `content Error: ${text}`
          : outcome.outcome === "timeout"
            ? "no Ack in time"
            : text;
    // The row's own text (a cell, a RIC) and the server's words are echoed: made safe to print.
    const where = outcome.ric === "" ? `row ${row}` : `row ${row} (${outcome.ric})`;
    this.#deps.say(`rcc: ${safeLine(`${where}: ${what}`)}`);
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
    const where = row.ric === undefined ? "" : row.ric;
    return this.#record(row.row, { ric: where, outcome: "invalid", text: row.error });
  }
}
