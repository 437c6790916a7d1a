import type Database from "better-sqlite3";
import type { Change } from "../../change-notifier.ts";
import type { WriteLock } from "./write-lock.ts";

type Emit = (change: Change) => void;
/** How one write of a batch ended (its savepoint released, or rolled back alone). */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** One transaction for many writes; see {@link createGroupCommit}. */
export interface GroupCommit {
  /**
   * Runs every write in one `BEGIN IMMEDIATE` transaction, each in its own savepoint, and
   * commits once. Returns each write's outcome and the changes of the writes that stayed;
   * throws when the transaction itself fails (lock, `COMMIT`), then nothing was written.
   */
  commit(writes: readonly ((emit: Emit) => unknown)[]): { outcomes: Outcome[]; changes: Change[] };
  /** Runs `work` in a savepoint of the current batch: a throw rolls back only `work`. */
  isolated<T>(work: () => T): { ok: true; value: T } | { ok: false; error: unknown };
}

/**
 * Group commit on one better-sqlite3 connection: the writes handed over together share one
 * `BEGIN IMMEDIATE` transaction and one fsync, each in its own savepoint so a failed write
 * rolls back only itself. The caller announces the changes only after `commit` returned.
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

  return {
    commit(writes) {
      const changes: Change[] = [];
      const outcomes: Outcome[] = [];
      // The lock's own BEGIN IMMEDIATE: it waits for another process's lock fairly (write-lock.ts).
      lock.begin();
      try {
        for (const write of writes) {
          const mark = changes.length;
          const outcome = isolated(() => write((change) => changes.push(change)));
          if (!outcome.ok) changes.length = mark;
          outcomes.push(outcome);
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
