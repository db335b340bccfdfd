/** Small option parsers, and the options more than one command takes, shared by the commands. */
import { InvalidArgumentError, Option } from "commander";
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_RECONNECT_FOR_MS } from "../stopping.js";

/** A commander parser for a positive integer option, naming the flag in its error. */
export function positiveIntOption(flag: string): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new InvalidArgumentError(`${flag} must be a positive whole number, got '${raw}'`);
    return value;
  };
}

/** A commander parser for a positive number option (fractions allowed). */
export function positiveNumberOption(flag: string): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0)
      throw new InvalidArgumentError(`${flag} must be a positive number, got '${raw}'`);
    return value;
  };
}

/** A commander parser for a whole number option that may be 0 (e.g. a wait that may be skipped). */
export function nonNegativeIntOption(flag: string): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isInteger(value) || value < 0)
      throw new InvalidArgumentError(`${flag} must be a whole number ≥ 0, got '${raw}'`);
    return value;
  };
}

/** `rcc gateway`'s HTTP port when neither --port nor its config file names one. */
export const DEFAULT_GATEWAY_PORT = 8787;

/** `--drain-timeout <ms>` of the long-running commands (`contribute`, `demo`), default DEFAULT_DRAIN_TIMEOUT_MS. */
export function drainTimeoutOption(): Option {
  return new Option(
    "--drain-timeout <ms>",
    "on Ctrl+C (or SIGTERM/SIGHUP), how long to wait for the Acks of posts already sent",
  )
    .argParser(nonNegativeIntOption("--drain-timeout"))
    .default(DEFAULT_DRAIN_TIMEOUT_MS);
}

/** `--reconnect-for <ms>` of the long-running commands (`contribute`, `demo`, `watch`), default DEFAULT_RECONNECT_FOR_MS. */
export function reconnectForOption(): Option {
  return new Option(
    "--reconnect-for <ms>",
    `keep reconnecting after a lost connection for this long before giving up (default: ${DEFAULT_RECONNECT_FOR_MS})`,
  ).argParser(positiveIntOption("--reconnect-for"));
}
