/**
 * The store cannot serve right now (the database restarts, a connection was cut, the disk is
 * full) but may again without a restart: the API answers `503` with `Retry-After`, readiness
 * says not ready, the worker backs off. Anything else stays a fault (`500`).
 */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// SQLSTATE classes and codes of a database that is going away, coming back or full of sessions:
// 08 connection exception, 57P01–57P03 shutdown / cannot connect now, 53 insufficient resources.
const PG_UNAVAILABLE = /^(08|53|57P0[1-3]$)/;
// Node's socket errors on the way to the database, and a full disk (SQLite file or blob store).
const SYSTEM_UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOSPC", "EDQUOT"]);
// pg's own errors for a connection that died or never came (they carry no code).
const PG_MESSAGES = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable|Connection ended unexpectedly/i;

/**
 * True when `error` means the store is unavailable for now (see {@link StoreUnavailableError}):
 * the one place that reads Postgres SQLSTATEs, pg's connection messages, socket error codes and
 * SQLite's disk errors for that.
 *
 * @example
 * isStoreUnavailable(Object.assign(new Error("terminating connection"), { code: "57P01" })); // true
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  if (code === "SQLITE_FULL" || code.startsWith("SQLITE_IOERR") || code === "SQLITE_CANTOPEN") return true;
  if (/^[0-9A-Z]{5}$/.test(code) && PG_UNAVAILABLE.test(code)) return true;
  if (SYSTEM_UNAVAILABLE.has(code)) return true;
  if (typeof e.message === "string" && PG_MESSAGES.test(e.message)) return true;
  // An AggregateError (pg tried ::1 and 127.0.0.1 and both refused).
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isStoreUnavailable);
}

/** Seconds a client should wait before retrying while the store is unavailable. */
export const STORE_RETRY_AFTER_S = 2;
