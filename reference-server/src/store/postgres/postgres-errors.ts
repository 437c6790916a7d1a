import { StoreBusyError } from "../store-errors.ts";
import { isStoreUnavailable, StoreUnavailableError } from "../store-unavailable.ts";

// SQLSTATEs a retry shortly after may cure: lock_not_available, serialization_failure,
// deadlock_detected, too_many_connections, cannot_connect_now (a starting server).
const BUSY = new Set(["55P03", "40001", "40P01", "53300", "57P03"]);

/**
 * pg's contention errors as a {@link StoreBusyError}; anything else unchanged.
 *
 * @example
 * translateErrors(store, fromPostgresError)
 */
export function fromPostgresError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && BUSY.has(code)) {
    return new StoreBusyError("The database is busy; retry shortly.", { cause: error });
  }
  if (isStoreUnavailable(error)) return new StoreUnavailableError("The database is unreachable; retry shortly.", { cause: error });
  return error;
}

/**
 * Postgres TEXT cannot hold U+0000, so a query parameter with one fails the whole statement.
 * No stored id, type or key contains one, so such a lookup simply finds nothing (never a 5xx).
 *
 * @example
 * if (hasNul(id)) return undefined;
 */
export function hasNul(value: string): boolean {
  return value.includes("\u0000");
}
