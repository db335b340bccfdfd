/**
 * Opening the outbox's SQLite file, through better-sqlite3, which is loaded only here, when an outbox opens.
 *
 * Durability: WAL journal, `synchronous=FULL` by default (a resolved write survives power loss; "normal"
 * survives a process crash only).
 *
 * Safety: a file that is there already is never recreated. It is inspected through a read-only connection
 * first (header, tables, magic, schema version, `quick_check`), so a refused file is left byte for byte as it
 * was. The writing connection uses `locking_mode=EXCLUSIVE`, so a second process (another gateway pointed at
 * the same file) is refused instead of dispatching the same items twice.
 */
import { constants } from "node:fs";
import { access, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { FORMAT, SCHEMA, SCHEMA_VERSION } from "./outbox-schema.js";
import type { SqliteOutboxSettings } from "./sqlite-outbox-options.js";

/** Why an outbox file was refused: a stable code to branch on. */
export type OutboxOpenReason =
  /** The directory the file should be in does not exist (it is not created). */
  | "missing-directory"
  /** The file is not an SQLite database (another kind of file, or a damaged header), or is a directory. */
  | "not-a-database"
  /** An SQLite database that fails its integrity check or reads as corrupt. */
  | "damaged"
  /** An SQLite database, but not an rcc gateway outbox. */
  | "foreign-database"
  /** An outbox of a schema version newer than this code knows. */
  | "newer-schema"
  /** The file cannot be read. */
  | "unreadable"
  /** The file, or its directory (which holds its `-wal` beside it), cannot be written. */
  | "unwritable"
  /** Another connection (another process) holds the outbox open. */
  | "in-use";

/** An outbox file that cannot be used: `reason` says why; the message (one line) names the path. */
export class OutboxOpenError extends Error {
  override readonly name = "OutboxOpenError";
  /** The file, as given to `openSqliteOutbox` (sqlite-outbox.ts). */
  readonly path: string;
  /** Why it was refused. */
  readonly reason: OutboxOpenReason;

  constructor(path: string, reason: OutboxOpenReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.path = path;
    this.reason = reason;
  }
}

/**
 * WAL pages between automatic checkpoints (SQLite's default is 1,000). Random ids scatter the writes to the
 * id index; checkpointing less often copies each such page to the database once for many commits.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** The size the WAL file is cut back to after a checkpoint, bytes. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

type DatabaseConstructor = typeof BetterSqlite3;

/**
 * Opens the file at `path` for writing, creating it (not its directory) when there is no file, and returns the
 * configured connection, the schema created in a new file. An existing file is never recreated or overwritten:
 * one that is not an rcc gateway outbox of this version, or is damaged, is refused and left exactly as it was.
 * @throws OutboxOpenError naming the path and the reason.
 */
export async function openOutboxFile(path: string, settings: SqliteOutboxSettings): Promise<BetterSqlite3.Database> {
  const { default: Database } = await import("better-sqlite3");
  const found = await inspectFile(path);
  const fresh = found === "absent" || inspectDatabase(Database, path, settings.busyTimeoutMs) === "empty";
  let db: BetterSqlite3.Database;
  try {
    db = new Database(path, { fileMustExist: found !== "absent", timeout: settings.busyTimeoutMs });
  } catch (error) {
    throw refusal(path, error, "unwritable");
  }
  try {
    configure(db, settings);
    if (fresh) {
      // Checked again under the lock: nothing was created between the inspection and now.
      if (db.prepare<[], number>("SELECT count(*) FROM sqlite_schema").pluck().get() !== 0) {
        throw refusal(path, undefined, "foreign-database");
      }
      db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
    }
  } catch (error) {
    db.close();
    throw error instanceof OutboxOpenError ? error : refusal(path, error, "unwritable");
  }
  return db;
}

/** The writing connection's pragmas. */
function configure(db: BetterSqlite3.Database, settings: SqliteOutboxSettings): void {
  // Exclusive before WAL: the WAL index lives in this process's memory and the file stays locked until close.
  db.pragma("locking_mode = EXCLUSIVE");
  const mode: unknown = db.pragma("journal_mode = WAL", { simple: true });
  if (mode !== "wal") throw new Error(`the journal mode stays ${String(mode)}, not wal`);
  db.pragma(`synchronous = ${settings.synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  if (settings.maxSizeBytes !== undefined) {
    const pageSize = Number(db.pragma("page_size", { simple: true }));
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(settings.maxSizeBytes / pageSize))}`);
  }
}

/**
 * What is at `path`, from the file system alone: nothing ("absent"), an empty file (SQLite may still hold
 * data for it in a `-wal` file beside it), or a file that starts as an SQLite database does.
 */
async function inspectFile(path: string): Promise<"absent" | "empty" | "sqlite"> {
  const directory = dirname(path);
  try {
    if (!(await stat(directory)).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
  } catch (error) {
    const detail = errorCode(error) === "ENOENT" ? "does not exist" : `cannot be used (${describe(error)})`;
    throw new OutboxOpenError(
      path,
      "missing-directory",
      `outbox ${path}: its directory ${directory} ${detail}: refusing to start; create the directory or point --outbox elsewhere`,
      { cause: error },
    );
  }
  let size: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) {
      throw new OutboxOpenError(
        path,
        "not-a-database",
        `outbox ${path} is ${stats.isDirectory() ? "a directory" : "not a regular file"}, not an SQLite database: refusing to start; point --outbox at a file`,
      );
    }
    size = stats.size;
  } catch (error) {
    if (error instanceof OutboxOpenError) throw error;
    if (errorCode(error) !== "ENOENT") throw refusal(path, error, "unreadable");
    await checkAccess(path, directory, constants.W_OK, "its directory cannot be written");
    return "absent";
  }
  if (size > 0) {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    let read: number;
    try {
      const handle = await open(path, "r");
      try {
        ({ bytesRead: read } = await handle.read(header, 0, header.length, 0));
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw refusal(path, error, "unreadable");
    }
    if (read < header.length || !header.equals(SQLITE_HEADER)) throw refusal(path, undefined, "not-a-database");
  }
  await checkAccess(path, path, constants.R_OK | constants.W_OK, "the file cannot be read and written");
  await checkAccess(path, directory, constants.W_OK, "its directory (which holds the -wal file) cannot be written");
  return size === 0 ? "empty" : "sqlite";
}

async function checkAccess(path: string, target: string, mode: number, what: string): Promise<void> {
  try {
    await access(target, mode);
  } catch (error) {
    throw new OutboxOpenError(
      path,
      "unwritable",
      `outbox ${path} cannot be written: ${what} (${describe(error)}): refusing to start; fix its permissions or point --outbox elsewhere`,
      { cause: error },
    );
  }
}

/**
 * Checks an existing file through a read-only connection, which changes nothing in it: "empty" for an SQLite
 * database holding nothing at all (a new outbox whose first commit never happened: it is created in it),
 * "outbox" for ours.
 * @throws OutboxOpenError for anything else.
 */
function inspectDatabase(Database: DatabaseConstructor, path: string, busyTimeoutMs: number): "empty" | "outbox" {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    const names = db.prepare<[], string>("SELECT name FROM sqlite_schema").pluck().all();
    if (names.length === 0) return "empty";
    if (!names.includes("meta")) throw refusal(path, undefined, "foreign-database");
    const meta = new Map(
      db
        .prepare<[], [unknown, unknown]>("SELECT key, value FROM meta")
        .raw()
        .all()
        .map(([key, value]) => [String(key), value]),
    );
    if (meta.get("format") !== FORMAT) throw refusal(path, undefined, "foreign-database");
    const version = meta.get("schema_version");
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
      throw refusal(path, undefined, "damaged", `its schema_version is ${JSON.stringify(version)}`);
    }
    if (version > SCHEMA_VERSION) {
      throw new OutboxOpenError(
        path,
        "newer-schema",
        `outbox ${path} was written by a newer rcc (schema version ${version}; this one reads ${SCHEMA_VERSION}): refusing to start; upgrade rcc or point --outbox elsewhere`,
      );
    }
    const check = (db.pragma("quick_check") as { quick_check: string }[]).map((row) => row.quick_check);
    if (check.length !== 1 || check[0] !== "ok") {
      throw refusal(path, undefined, "damaged", `quick_check: ${check.slice(0, 3).join("; ")}`);
    }
    return "outbox";
  } catch (error) {
    if (error instanceof OutboxOpenError) throw error;
    // A table named meta without key and value columns, among other things, is not ours.
    if (errorCode(error) === "SQLITE_ERROR") throw refusal(path, error, "foreign-database");
    throw refusal(path, error, "unreadable");
  } finally {
    db?.close();
  }
}

/** The OutboxOpenError for `error` (an SQLite or file-system error, or none), `fallback` when it says nothing more. */
export function refusal(path: string, error: unknown, fallback: OutboxOpenReason, detail?: string): OutboxOpenError {
  const code = errorCode(error) ?? "";
  const reason: OutboxOpenReason =
    code === "SQLITE_NOTADB"
      ? "not-a-database"
      : code.startsWith("SQLITE_CORRUPT")
        ? "damaged"
        : code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")
          ? "in-use"
          : code.startsWith("SQLITE_READONLY") || code === "EACCES" || code === "EPERM" || code === "EROFS"
            ? "unwritable"
            : fallback;
  const because = detail ?? (error === undefined ? undefined : describe(error));
  const suffix = because === undefined ? "" : ` (${because})`;
  const message = {
    "missing-directory": `outbox ${path}: its directory does not exist${suffix}: refusing to start; create the directory or point --outbox elsewhere`,
    "not-a-database": `outbox ${path} is not an SQLite database (corrupt, or another kind of file)${suffix}: refusing to start; move it away or point --outbox elsewhere`,
    damaged: `outbox ${path} is damaged${suffix}: refusing to start; move it away (keep it for recovery) or point --outbox elsewhere`,
    "foreign-database": `outbox ${path} is an SQLite database but not an rcc gateway outbox${suffix}: refusing to start; move it away or point --outbox elsewhere`,
    "newer-schema": `outbox ${path} was written by a newer rcc${suffix}: refusing to start; upgrade rcc or point --outbox elsewhere`,
    unreadable: `outbox ${path} cannot be read${suffix}: refusing to start; fix its permissions or point --outbox elsewhere`,
    unwritable: `outbox ${path} cannot be written${suffix}: refusing to start; fix its permissions or point --outbox elsewhere`,
    "in-use": `outbox ${path} is in use by another process (another gateway?)${suffix}: refusing to start; stop it or point --outbox elsewhere`,
  }[reason];
  return new OutboxOpenError(path, reason, message, error === undefined ? undefined : { cause: error });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** An error's message on one line. */
function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}
