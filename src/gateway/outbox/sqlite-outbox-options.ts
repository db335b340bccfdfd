/** The options of the SQLite outbox, their defaults, and their check. */

/** Options of `openSqliteOutbox` (sqlite-outbox.ts). */
export interface SqliteOutboxOptions {
  /**
   * When a commit reaches the disk. "full": each commit is fsynced, so a resolved write survives power loss.
   * "normal": the WAL is fsynced at checkpoints only, so a resolved write survives a crash of the process but
   * the last commits may be lost with the power.
   * @default "full"
   */
  synchronous?: "full" | "normal";
  /** How long opening waits for a lock another connection holds before refusing the file, ms. @default 250 */
  busyTimeoutMs?: number;
  /**
   * The largest size the file may reach, bytes (rounded down to whole pages). A transaction that would need
   * more fails ("database or disk is full") and rejects the writes of its turn; compaction makes room again.
   * @default undefined (no limit but the disk)
   */
  maxSizeBytes?: number;
}

export const DEFAULT_SQLITE_OUTBOX_OPTIONS: Readonly<Required<Omit<SqliteOutboxOptions, "maxSizeBytes">>> = {
  synchronous: "full",
  busyTimeoutMs: 250,
};

/** The options with their defaults filled in. */
export type SqliteOutboxSettings = Required<Omit<SqliteOutboxOptions, "maxSizeBytes">> & SqliteOutboxOptions;

/** Refuses option values of the wrong type or range; drops the ones given as undefined. */
export function checkOptions(options: SqliteOutboxOptions): SqliteOutboxOptions {
  const { busyTimeoutMs, maxSizeBytes } = options;
  const synchronous: unknown = options.synchronous;
  if (synchronous !== undefined && synchronous !== "full" && synchronous !== "normal") {
    throw new TypeError(`openSqliteOutbox: synchronous must be "full" or "normal", not ${JSON.stringify(synchronous)}`);
  }
  for (const [name, value] of [
    ["busyTimeoutMs", busyTimeoutMs],
    ["maxSizeBytes", maxSizeBytes],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new TypeError(`openSqliteOutbox: ${name} must be a whole number ≥ 0, not ${String(value)}`);
    }
  }
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
