/**
 * `rcc contribute FILE|-`: bulk contribution from CSV or NDJSON, streamed (never loaded whole), with live
 * progress on stderr, a summary, an optional NDJSON report of every row, `--dry-run` and `--conflate`.
 * Bad rows are reported with their row number and do not stop the rest.
 */
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { type Command, Option } from "commander";
import { normalizeFields, validateRic } from "../../client/field-validation.js";
import { systemClock } from "../../util/clock.js";
import { CliError, EXIT } from "../exit-codes.js";
import {
  addConnectionOptions,
  buildContributor,
  type ConnectionFlags,
  resolveConnection,
  toCliError,
} from "../connect.js";
import { formatFromName, type InputFormat, type InputRow, readCsv, readNdjson, sniffFormat } from "../input.js";
import { exitCodeFor, type Outcome, outcomeOf } from "../outcome.js";
import { Progress, type ProgressCounts } from "../progress.js";
import { positiveIntOption } from "./shared.js";

interface ContributeFlags extends ConnectionFlags {
  format?: InputFormat;
  report?: string;
  dryRun?: boolean;
  conflate?: boolean;
  ackTimeout: number;
  progress?: boolean;
}

/** Registers `rcc contribute`. */
export function registerContribute(program: Command): void {
  addConnectionOptions(
    program
      .command("contribute")
      .argument("<file>", "CSV or NDJSON file, or - for stdin")
      .description("contribute every row of a CSV or NDJSON file (or stdin), with live progress and a summary"),
  )
    .addOption(
      new Option("--format <format>", "input format (default: from the extension, else sniffed)").choices([
        "csv",
        "ndjson",
      ]),
    )
    .option("--report <file>", "write one NDJSON outcome per input row (row, ric, outcome, postId, nakCode, text)")
    .option("--dry-run", "validate every row without connecting")
    .option("--conflate", "merge queued updates to the same RIC (later fields win) before sending")
    .option("--ack-timeout <ms>", "how long to wait for each Ack", positiveIntOption("--ack-timeout"), 15_000)
    .option("--no-progress", "no progress output on stderr")
    .addHelpText(
      "after",
      `
Input:
  CSV     a header row with a RIC column (named RIC, else the first column) and one column per field;
          empty cells are not sent, null blanks a field:   RIC,BID,ASK,DSPLY_NAME
                                                           TRCCTEST01,451.55,451.57,Hello RCC
  NDJSON  one object per line: {"ric": "TRCCTEST01", "fields": {"BID": 451.55, "ASK": null}}

Examples:
  rcc contribute eod-prices.csv --report outcomes.ndjson
  cat prices.ndjson | rcc contribute - --json
  rcc contribute eod-prices.csv --dry-run`,
    )
    .action(async (file: string, flags: ContributeFlags) => {
      await contribute(file, flags);
    });
}

async function openInput(
  file: string,
  flags: ContributeFlags,
): Promise<{ rows: AsyncGenerator<InputRow>; stream: Readable; size?: number }> {
  let stream: Readable;
  let size: number | undefined;
  if (file === "-") {
    stream = process.stdin;
  } else {
    try {
      size = (await stat(file)).size;
    } catch (error) {
      throw new CliError(`cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? "error"})`, EXIT.usage);
    }
    stream = createReadStream(file);
  }
  let format = flags.format ?? (file === "-" ? undefined : formatFromName(file));
  if (format === undefined) {
    // Sniff the first chunk, then put it back.
    const first = await new Promise<Buffer | null>((resolve, reject) => {
      stream.once("readable", () => resolve(stream.read() as Buffer | null));
      stream.once("error", reject);
      stream.once("end", () => resolve(null));
    });
    if (first) stream.unshift(first);
    format = sniffFormat(first?.toString("utf8", 0, Math.min(first.length, 64)) ?? "");
  }
  return {
    rows: format === "csv" ? readCsv(stream) : readNdjson(stream),
    stream,
    ...(size === undefined ? {} : { size }),
  };
}

async function contribute(file: string, flags: ContributeFlags): Promise<void> {
  const input = await openInput(file, flags);
  const connection = await resolveConnection(flags, { needCredentials: !flags.dryRun });
  const reportStream = flags.report === undefined ? undefined : createWriteStream(flags.report);
  const writeReport = async (record: Record<string, unknown>) => {
    if (!reportStream) return;
    if (!reportStream.write(`${JSON.stringify(record)}\n`))
      await new Promise<void>((resolve) => reportStream.once("drain", () => resolve()));
  };
  const counts: Partial<Record<Outcome["outcome"], number>> = {};
  const naksByCode: Record<string, number> = {};
  const progressCounts: ProgressCounts = { sent: 0, acked: 0, naked: 0, errors: 0, inFlight: 0, rows: 0 };
  const show = flags.progress !== false;
  const progress = new Progress({
    stream: process.stderr,
    clock: systemClock,
    ...(input.size === undefined ? {} : { totalBytes: input.size }),
  });
  const bytesRead = () => (input.stream as Readable & { bytesRead?: number }).bytesRead;
  const tick = setInterval(() => {
    const read = bytesRead();
    if (show) progress.update({ ...progressCounts, ...(read === undefined ? {} : { bytesRead: read }) });
  }, 100);
  const started = performance.now();
  let badRows = 0;
  const stop = { interrupted: false };
  const onSigint = () => {
    stop.interrupted = true;
    input.stream.destroy();
  };
  process.on("SIGINT", onSigint);

  const settle = (row: number, outcome: Outcome) => {
    counts[outcome.outcome] = (counts[outcome.outcome] ?? 0) + 1;
    if (outcome.outcome === "ack") progressCounts.acked += 1;
    else if (outcome.outcome === "nak") {
      progressCounts.naked += 1;
      naksByCode[outcome.nakCode ?? "?"] = (naksByCode[outcome.nakCode ?? "?"] ?? 0) + 1;
    } else progressCounts.errors += 1;
    return writeReport({ row, ...outcome });
  };
  const badRow = async (row: InputRow & { error: string }) => {
    badRows += 1;
    progressCounts.errors += 1;
    process.stderr.write(`${show && progress.interactive ? "\r\x1b[2K" : ""}rcc: row ${row.row}: ${row.error}\n`);
    await writeReport({
      row: row.row,
      ...(row.ric === undefined ? {} : { ric: row.ric }),
      outcome: "invalid",
      text: row.error,
    });
  };

  const contributor = flags.dryRun
    ? undefined
    : buildContributor(connection, {
        ackTimeoutMs: flags.ackTimeout,
        conflate: flags.conflate === true,
        backoff: { maxAttempts: 5 },
      });
  try {
    await contributor?.connect();
    // Bound the promises outstanding so a huge file never piles up in memory (the pipeline bounds the rest).
    const limit = 20_000;
    let outstanding = 0;
    let room: (() => void) | undefined;
    const all = new Set<Promise<void>>();
    for await (const row of input.rows) {
      progressCounts.rows += 1;
      if ("error" in row) {
        await badRow(row);
        continue;
      }
      try {
        validateRic(row.ric);
        normalizeFields(row.fields);
      } catch (error) {
        await badRow({ row: row.row, ric: row.ric, error: (error as Error).message });
        continue;
      }
      if (!contributor) {
        await writeReport({ row: row.row, ric: row.ric, outcome: "valid" });
        continue;
      }
      while (outstanding >= limit) await new Promise<void>((resolve) => (room = resolve));
      outstanding += 1;
      progressCounts.sent += 1;
      const done: Promise<void> = contributor
        .contribute(row.ric, row.fields)
        .then(
          (ack) => settle(row.row, outcomeOf(row.ric, { ack })),
          (error: unknown) => settle(row.row, outcomeOf(row.ric, { error })),
        )
        .finally(() => {
          outstanding -= 1;
          all.delete(done);
          room?.();
          room = undefined;
        });
      all.add(done);
      progressCounts.inFlight = outstanding;
    }
    await Promise.all(all);
  } catch (error) {
    if (!stop.interrupted) throw toCliError(error);
  } finally {
    process.off("SIGINT", onSigint);
    clearInterval(tick);
    progressCounts.inFlight = 0;
    if (show) progress.finish(progressCounts);
    await contributor?.close();
    await closeReport(reportStream);
  }
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    rows: progressCounts.rows,
    acked: counts.ack ?? 0,
    naked: counts.nak ?? 0,
    naksByCode,
    contentErrors: counts.error ?? 0,
    timeouts: counts.timeout ?? 0,
    failed: counts.failed ?? 0,
    invalidRows: badRows + (counts.invalid ?? 0),
    ...(flags.dryRun ? { valid: progressCounts.rows - badRows } : {}),
    seconds: Math.round(seconds * 1000) / 1000,
    rowsPerSecond: Math.round(progressCounts.rows / Math.max(seconds, 0.001)),
    interrupted: stop.interrupted,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const naks = Object.entries(naksByCode)
      .map(([code, n]) => `${code} ${n}`)
      .join(", ");
    const head = flags.dryRun
      ? `${summary.valid ?? 0} valid`
      : `${summary.acked} acked, ${summary.naked} naked${naks ? ` (${naks})` : ""}`;
    process.stdout.write(
      `${summary.rows} rows: ${head}, ${summary.invalidRows} invalid, ${summary.contentErrors} content errors, ${summary.timeouts} ack timeouts${summary.failed ? `, ${summary.failed} failed` : ""} in ${summary.seconds} s (${summary.rowsPerSecond} rows/s)${stop.interrupted ? " — interrupted" : ""}\n`,
    );
  }
  process.exitCode = stop.interrupted ? EXIT.interrupted : exitCodeFor(counts, badRows);
}

function closeReport(stream: WriteStream | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!stream) {
      resolve();
      return;
    }
    stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
  });
}
