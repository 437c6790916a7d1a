/**
 * The store could not take the write now (SQLite: another process holds the write lock past
 * the busy timeout; Postgres: a lock timeout, deadlock or serialization failure). Retrying
 * shortly may succeed: the HTTP layer answers `503` with `Retry-After`. Stores throw this
 * instead of their driver's errors, so nothing outside `store/` knows a driver's error codes.
 *
 * @example
 * if (error instanceof StoreBusyError) reply.code(503).header("Retry-After", "1");
 */
export class StoreBusyError extends Error {
  override readonly name = "StoreBusyError";
}

/**
 * Wraps every method of a store so that errors `translate` recognises become store errors
 * (the one boundary where a dialect's driver errors are turned into ours).
 *
 * @example
 * return translateErrors(store, (e) => (isBusy(e) ? new StoreBusyError("busy", { cause: e }) : e));
 */
export function translateErrors<T extends object>(store: T, translate: (error: unknown) => unknown): T {
  const wrapped = { ...store } as Record<string, unknown>;
  for (const [key, value] of Object.entries(store)) {
    if (typeof value !== "function") continue;
    wrapped[key] = (...args: unknown[]) => {
      try {
        const out = (value as (...a: unknown[]) => unknown).apply(store, args);
        return out instanceof Promise ? out.catch((error: unknown) => Promise.reject(translate(error))) : out;
      } catch (error) {
        throw translate(error);
      }
    };
  }
  return wrapped as T;
}
