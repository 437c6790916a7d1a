import type Database from "better-sqlite3";
import type { Change } from "../../change-notifier.ts";

type Emit = (change: Change) => void;
type Write<T> = { run: (emit: Emit) => T; resolve: (value: T) => void; reject: (error: unknown) => void };
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Queues writes into shared transactions; see {@link createWriteBatches}. */
export interface WriteBatches {
  /** Runs `work` inside the next batch's transaction; resolves after its commit. */
  write<T>(work: (emit: Emit) => T): Promise<T>;
  /** Runs `work` in a savepoint of the current batch: a throw rolls back only `work`. */
  isolated<T>(work: () => T): { ok: true; value: T } | { ok: false; error: unknown };
  /** Resolves once every queued write has committed; later writes are refused. */
  close(): Promise<void>;
}

/**
 * Group commit on one better-sqlite3 connection: writes queued in the same tick share one
 * `BEGIN IMMEDIATE` transaction and one fsync, each in its own savepoint so a failed write rolls
 * back only itself. Changes a write emits are announced (`onCommit`) only after the commit.
 *
 * @example
 * const batches = createWriteBatches(db, (change) => changes.emit(change));
 * await batches.write((emit) => { q.flagCancel.run(now, id); emit({ kind: "job", jobId: id, status: "cancel_requested" }); });
 */
export function createWriteBatches(db: Database.Database, onCommit: Emit): WriteBatches {
  const savepoint = db.prepare("SAVEPOINT item");
  const release = db.prepare("RELEASE item");
  const rollbackTo = db.prepare("ROLLBACK TO item");
  let queue: Write<any>[] = [];
  let scheduled = false;
  let closed = false;

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

  // One transaction function for every batch (better-sqlite3 wraps it once, not per flush).
  const runBatch = db.transaction((batch: Write<any>[], emitted: Change[], outcomes: Outcome[]) => {
    for (const item of batch) {
      const mark = emitted.length;
      const outcome = isolated(() => item.run((change) => emitted.push(change)));
      if (!outcome.ok) emitted.length = mark;
      outcomes.push(outcome);
    }
  });

  function flush() {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const emitted: Change[] = [];
    const outcomes: Outcome[] = [];
    try {
      runBatch.immediate(batch, emitted, outcomes);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
    for (const change of emitted) onCommit(change);
  }

  return {
    write(run) {
      if (closed) return Promise.reject(new Error("store closed"));
      return new Promise((resolve, reject) => {
        queue.push({ run, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    isolated,
    async close() {
      // Let queued writes commit before the file closes.
      while (queue.length > 0 || scheduled) await new Promise((r) => setImmediate(r));
      closed = true;
    },
  };
}
