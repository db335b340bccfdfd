/**
 * A small declarative checker for option objects: each key has a check and an optional default; unknown keys are
 * dropped; every problem names its key path and never the value (values may be secrets). It replaces a schema
 * library on the client's start-up path (that one cost ~140 ms to import for a few dozen checks).
 */

/** A check of one value: a problem ("must be …"), or undefined when the value is fine. */
export type Check = (value: unknown, path: string) => string | undefined;

/** How one key is checked: `check` for a value that is present; `fallback` when it is undefined. */
export interface KeySpec {
  check: Check;
  /** Used when the key is absent or undefined; a function makes a fresh value each time. */
  fallback?: unknown;
  /** Whether the key may be absent (no fallback, left out of the result). @default false */
  optional?: boolean;
}

/** A specification of an options object, key by key. */
export type Spec = Record<string, KeySpec>;

/** A required key. */
export function required(check: Check): KeySpec {
  return { check };
}

/** An optional key, left out of the result when absent. */
export function optional(check: Check): KeySpec {
  return { check, optional: true };
}

/** A key with a default (a plain value, or a function called for a fresh one). */
export function withDefault(check: Check, fallback: unknown): KeySpec {
  return { check, fallback };
}

/** Number limits; `int` for whole numbers, `gt` exclusive, `min`/`max` inclusive. */
export interface NumberLimits {
  int?: boolean;
  gt?: number;
  min?: number;
  max?: number;
}

/** A finite number within `limits`. */
export function num(limits: NumberLimits = {}): Check {
  return (value) => {
    if (typeof value !== "number" || !Number.isFinite(value)) return "must be a finite number";
    if (limits.int === true && !Number.isInteger(value)) return "must be a whole number";
    if (limits.gt !== undefined && !(value > limits.gt)) return `must be greater than ${limits.gt}`;
    if (limits.min !== undefined && value < limits.min) return `must be at least ${limits.min}`;
    if (limits.max !== undefined && value > limits.max) return `must be at most ${limits.max}`;
    return undefined;
  };
}

/** A whole number greater than 0 (e.g. a duration in milliseconds). */
export const positiveInt: Check = num({ int: true, gt: 0 });

/** A string, non-empty with `nonEmpty`, matching `pattern` (with `patternText` saying what it must be). */
export function str(options: { nonEmpty?: boolean; pattern?: RegExp; patternText?: string } = {}): Check {
  return (value) => {
    if (typeof value !== "string") return "must be a string";
    if (options.nonEmpty === true && value.length === 0) return "must not be empty";
    if (options.pattern !== undefined && !options.pattern.test(value)) return options.patternText ?? "has a bad form";
    return undefined;
  };
}

/** A boolean. */
export const bool: Check = (value) => (typeof value === "boolean" ? undefined : "must be true or false");

/** One of the given literal values. */
export function oneOf(values: readonly unknown[]): Check {
  const text = values.map((value) => JSON.stringify(value)).join(", ");
  return (value) => (values.includes(value) ? undefined : `must be one of ${text}`);
}

/** Passes when any of `checks` passes; otherwise `text`. */
export function anyOf(text: string, ...checks: Check[]): Check {
  return (value, path) => (checks.some((check) => check(value, path) === undefined) ? undefined : text);
}

/** A value `test` accepts; otherwise `text`. */
export function satisfies(test: (value: unknown) => boolean, text: string): Check {
  return (value) => (test(value) ? undefined : text);
}

/** An array whose items all pass `item`, with at least `minItems` of them. */
export function list(item: Check, minItems = 0): Check {
  return (value, path) => {
    if (!Array.isArray(value)) return "must be an array";
    if (value.length < minItems) return `must have at least ${minItems} item(s)`;
    for (const [index, entry] of value.entries()) {
      const problem = item(entry, `${path}.${index}`);
      if (problem !== undefined) return `item ${index} ${problem}`;
    }
    return undefined;
  };
}

/**
 * Checks `input` against `spec`. @returns the value (known keys only, defaults applied) and the problems, each
 * `path: problem`; the value is meaningful only when there is no problem.
 */
export function checkObject(
  input: unknown,
  spec: Spec,
  path = "",
): { value: Record<string, unknown>; problems: string[] } {
  const value: Record<string, unknown> = {};
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { value, problems: [`${path || "(root)"}: must be an object`] };
  }
  const problems: string[] = [];
  const source = input as Record<string, unknown>;
  for (const [key, keySpec] of Object.entries(spec)) {
    const keyPath = path === "" ? key : `${path}.${key}`;
    const given = source[key];
    if (given === undefined) {
      if ("fallback" in keySpec) {
        const { fallback } = keySpec;
        value[key] = typeof fallback === "function" ? (fallback as () => unknown)() : fallback;
      } else if (keySpec.optional !== true) problems.push(`${keyPath}: is required`);
      continue;
    }
    const problem = keySpec.check(given, keyPath);
    if (problem !== undefined) problems.push(`${keyPath}: ${problem}`);
    else value[key] = given;
  }
  return { value, problems };
}

/** A nested object checked against `spec` (its problems joined under the key's path). */
export function nested(spec: Spec): Check {
  return (value, path) => {
    const { problems } = checkObject(value, spec, path);
    return problems.length === 0 ? undefined : problems.map((problem) => problem.slice(path.length + 1)).join(", ");
  };
}
