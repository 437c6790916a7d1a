import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { StoreBusyError } from "../store-errors.ts";
import { isStoreUnavailable, StoreUnavailableError } from "../store-unavailable.ts";

/**
 * Opens a SQLite file the way every store here needs it: WAL (readers never block the writer,
 * and several processes share the file) and `synchronous=FULL` (a commit is on disk before it
 * resolves: a `202` or a part's `200` survives a crash). Its directory is created.
 *
 * @example
 * const db = openSqliteDatabase("./data/jobs.db");
 */
export function openSqliteDatabase(path: string, options: { busyTimeoutMs?: number } = {}): Database.Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
  return db;
}

/**
 * better-sqlite3's lock errors as a {@link StoreBusyError}; anything else unchanged.
 *
 * @example
 * translateErrors(store, fromSqliteError)
 */
export function fromSqliteError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" || code === "SQLITE_BUSY_SNAPSHOT") {
    return new StoreBusyError("The database is locked by another writer; retry shortly.", { cause: error });
  }
  if (isStoreUnavailable(error)) return new StoreUnavailableError("The database file cannot be written (disk full?); retry later.", { cause: error });
  return error;
}
