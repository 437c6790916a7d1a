import type pg from "pg";
import { logToStderr } from "../../log-to-stderr.ts";

/**
 * Pool options every Postgres pool of the server uses so a database fault is an error, not a
 * hang or a crash: a connect that gets no answer fails after 5 s (the API answers 503 instead of
 * holding the request), and TCP keepalive notices a peer that vanished without closing.
 */
export const POOL_FAULT_OPTIONS = { connectionTimeoutMillis: 5_000, keepAlive: true } as const satisfies pg.PoolConfig;

/**
 * Gives a pool and each of its clients an `'error'` listener. A connection that dies (a restart,
 * a failover, `pg_terminate_backend`, a proxy's idle timeout) makes its client emit `'error'`
 * (and the pool too, for an idle one); an EventEmitter without a listener throws it and the
 * process exits (issue 20, SQLSTATE 57P01). pg-pool listens on idle clients only: a client
 * checked out for a transaction has no listener of its own, hence the one added on connect. The
 * query in flight still rejects (the API answers 503); the pool drops the dead client and the
 * next query opens a new connection.
 *
 * @example
 * const pool = guardPool(new pg.Pool({ connectionString, ...POOL_FAULT_OPTIONS }), log);
 */
export function guardPool<P extends pg.Pool>(pool: P, log: (message: string, error?: unknown) => void = logToStderr): P {
  pool.on("error", (error) => log("idle Postgres connection failed (dropped; the next query reconnects)", error));
  pool.on("connect", (client) => {
    client.on("error", () => {
      // Reported to the query in flight, or by the pool's listener above for an idle client.
    });
  });
  return pool;
}
