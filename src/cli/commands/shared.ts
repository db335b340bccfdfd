/** Small option parsers shared by the commands. */
import { InvalidArgumentError } from "commander";

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
