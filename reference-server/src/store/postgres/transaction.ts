import type pg from "pg";
import type { Change, ChangeNotifier } from "../../change-notifier.ts";
import { encodeChange } from "./listen-for-changes.ts";

/** A transaction's client plus the changes it will announce (NOTIFY before COMMIT, emit after). */
export interface Tx {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  announce(change: Change, tenant?: string): void;
  /** Runs `work` in a savepoint: a failure rolls back only `work`, and the transaction goes on. */
  isolated<T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }>;
}

/** Runs work in one transaction; see {@link createTransactions}. */
export type Transact = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

/**
 * Transactions on a pool that NOTIFY their changes on `channel` in the same transaction
 * (delivered at commit, never for a rolled-back change) and emit them locally after the commit.
 * `origin` names this store instance in the notification, so its LISTEN ignores the echo.
 *
 * @example
 * const transaction = createTransactions(pool, { channel, origin, changes });
 * await transaction(async (tx) => { await tx.query("UPDATE …"); tx.announce({ kind: "outbox" }); });
 */
export function createTransactions(pool: pg.Pool, options: { channel: string; origin: string; changes: ChangeNotifier }): Transact {
  return async (work) => {
    const client = await pool.connect();
    const announced: { change: Change; tenant: string }[] = [];
    let broken = false;
    let savepoints = 0;
    try {
      await client.query("BEGIN");
      const value = await work({
        query: (text, values) => client.query(text, values),
        announce: (change, tenant = "") => announced.push({ change, tenant }),
        async isolated(inner) {
          const name = `item_${++savepoints}`;
          const mark = announced.length;
          await client.query(`SAVEPOINT ${name}`);
          try {
            const value = await inner();
            await client.query(`RELEASE SAVEPOINT ${name}`);
            return { ok: true, value };
          } catch (error) {
            await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
            announced.length = mark;
            return { ok: false, error };
          }
        },
      });
      if (announced.length > 0) {
        await client.query(`SELECT pg_notify('${options.channel}', p) FROM unnest($1::text[]) AS p`, [
          announced.map((a) => encodeChange(options.origin, a.change, a.tenant)),
        ]);
      }
      await client.query("COMMIT");
      for (const a of announced) options.changes.emit(a.change);
      return value;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  };
}
