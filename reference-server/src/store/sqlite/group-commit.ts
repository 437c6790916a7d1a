import type Database from "better-sqlite3";
import type { Change } from "../../change-notifier.ts";
import type { WriteLock } from "./write-lock.ts";

type Emit = (change: Change) => void;
/** How one write of a batch ended (its savepoint released, or rolled back alone). */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** One transaction for many writes; see {@link createGroupCommit}. */
export interface GroupCommit {
  /**
   * Runs every write in one `BEGIN IMMEDIATE` transaction and commits once. Returns each
   * write's outcome and the changes of the writes that stayed; throws when the transaction
   * itself fails (lock, `COMMIT`), then nothing was written. `onRetry` is called when a write
   * failed and the batch runs again write by write: what the first run said (logs) is void.
   */
  commit(writes: readonly ((emit: Emit) => unknown)[], onRetry?: () => void): { outcomes: Outcome[]; changes: Change[] };
  /** Runs `work` in a savepoint of the current batch: a throw rolls back only `work`. */
  isolated<T>(work: () => T): { ok: true; value: T } | { ok: false; error: unknown };
}

/**
 * Group commit on one better-sqlite3 connection: the writes handed over together share one
 * `BEGIN IMMEDIATE` transaction and one fsync, and a failed write rolls back only itself. The
 * writes run straight, under one savepoint for the whole batch: a savepoint per write cost two
 * statements per write, and writes almost never fail (decision 0020). When one does, the batch's savepoint is rolled back and the writes run again, each in
 * its own savepoint (they are plain functions of the database and their arguments, so the second
 * run decides what the first would have). The caller announces the changes only after `commit` returned.
 *
 * @example
 * const group = createGroupCommit(db, createWriteLock(db, { timeoutMs: 10_000 }));
 * const { outcomes, changes } = group.commit([(emit) => { q.flagCancel.run(now, id); emit({ kind: "job", jobId: id, status: "cancel_requested" }); }]);
 */
export function createGroupCommit(db: Database.Database, lock: Pick<WriteLock, "begin">): GroupCommit {
  const savepoint = db.prepare("SAVEPOINT item");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  const release = db.prepare("RELEASE item");
  const rollbackTo = db.prepare("ROLLBACK TO item");
  const batchSavepoint = db.prepare("SAVEPOINT batch");
  const batchRollback = db.prepare("ROLLBACK TO batch");

  function isolated<T>(work: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
    savepoint.run();
    try {
      const value = work();
      release.run();
      return { ok: true, value };
    } catch (error) {
      rollbackTo.run();
      release.run();
      return { ok: false, error };
    }
  }

  /** Every write straight; undefined as soon as one throws (its batch is then rolled back by the caller). */
  function runStraight(writes: readonly ((emit: Emit) => unknown)[], changes: Change[]): Outcome[] | undefined {
    const emit = (change: Change) => changes.push(change);
    const outcomes: Outcome[] = [];
    try {
      for (const write of writes) outcomes.push({ ok: true, value: write(emit) });
    } catch {
      return undefined;
    }
    return outcomes;
  }

  function runIsolated(writes: readonly ((emit: Emit) => unknown)[], changes: Change[]): Outcome[] {
    const emit = (change: Change) => changes.push(change);
    return writes.map((write) => {
      const mark = changes.length;
      const outcome = isolated(() => write(emit));
      if (!outcome.ok) changes.length = mark;
      return outcome;
    });
  }

  return {
    commit(writes, onRetry) {
      const changes: Change[] = [];
      let outcomes: Outcome[] | undefined;
      // The lock's own BEGIN IMMEDIATE: it waits for another process's lock fairly (write-lock.ts).
      lock.begin();
      try {
        batchSavepoint.run();
        outcomes = runStraight(writes, changes);
        if (outcomes === undefined) {
          batchRollback.run();
          changes.length = 0;
          onRetry?.();
          outcomes = runIsolated(writes, changes);
        }
        commit.run();
      } catch (error) {
        // A failed COMMIT (disk full) may have ended the transaction already.
        if (db.inTransaction) rollback.run();
        throw error;
      }
      return { outcomes, changes };
    },
    isolated,
  };
}
