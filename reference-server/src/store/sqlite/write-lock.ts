import type Database from "better-sqlite3";
import type { WriteOp } from "./writer-messages.ts";

/** Writes a client waits on (a submit's `202`, a cancel's answer): a batch with one of them takes its next turn without pausing. */
const clientWrites: ReadonlySet<WriteOp> = new Set<WriteOp>(["createJob", "requestCancel"]);

/** How the writer thread takes and hands back the file's one write lock; see {@link createWriteLock}. */
export interface WriteLock {
  /** `BEGIN IMMEDIATE`, retried every `pollMs` while another process holds the lock; throws its `SQLITE_BUSY` past `timeoutMs`. */
  begin(): void;
  /**
   * Called after each batch with its writes' names: how long to wait before the next `begin`,
   * so a process waiting for the lock gets it.
   */
  pauseAfterCommitMs(ops: readonly WriteOp[]): number;
}

export interface WriteLockOptions {
  /** Longest wait for the lock before a write fails as busy. */
  timeoutMs: number;
  /** Wait between two tries while the lock is held elsewhere. @default 0.25 */
  pollMs?: number;
  /** Least pause after a commit of the queue's own work while another process writes too. @default 1 */
  pauseMs?: number;
  /** The share of the lock's time the queue's own work keeps while another process writes too. @default 1/3 */
  backgroundShare?: number;
  /** How long a sign of another writer (a busy `BEGIN`, a foreign commit) keeps the pauses on. @default 1000 */
  contendedForMs?: number;
  /** @default performance.now */
  clock?: () => number;
  /** Called between two tries while the lock is held elsewhere: the thread's other duties (watching for other processes' commits). */
  whileWaiting?: () => void;
}

/**
 * Fair hand-off of the SQLite write lock between processes (issue 20). SQLite's own busy
 * handler sleeps 1, 2, 5, 10 … 100 ms between tries, and a process that commits back to back
 * (a worker draining a backlog) takes the lock again within microseconds: a waiting API
 * process's submits starve. Here the waiter tries again every `pollMs` (a fixed, short wait), and
 * while another process writes too, a commit of the queue's own work (claims, ends, heartbeats,
 * webhook bookkeeping) is followed by a pause in which the waiter gets its turn: twice as long
 * as the lock was held (so that work keeps at most a third of the lock, `backgroundShare`);
 * a batch holding a write a client waits on does not pause, so a backlog's drain yields to
 * submits rather than the other way round. Alone on the file, nothing pauses. The
 * connection's own `busy_timeout` must be 0 so that a busy `BEGIN` comes back here at once.
 *
 * @example
 * const lock = createWriteLock(db, { timeoutMs: 10_000 });
 * lock.begin(); try { work(); db.exec("COMMIT"); } catch (e) { db.exec("ROLLBACK"); throw e; }
 * setTimeout(next, lock.pauseAfterCommitMs(["claimJobs"]));
 */
export function createWriteLock(db: Database.Database, options: WriteLockOptions): WriteLock {
  const { timeoutMs, pollMs = 0.25, pauseMs = 1, backgroundShare = 1 / 3, contendedForMs = 1_000, clock = () => performance.now(), whileWaiting } = options;
  const beginImmediate = db.prepare("BEGIN IMMEDIATE");
  // Moves when another connection commits, never for this one's own commits.
  const dataVersion = db.prepare("PRAGMA data_version").pluck();
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let lastVersion = dataVersion.get();
  let contendedUntil = -Infinity;
  let heldSince = 0;

  const contended = () => (contendedUntil = clock() + contendedForMs);

  return {
    begin() {
      const deadline = clock() + timeoutMs;
      for (;;) {
        try {
          beginImmediate.run();
          heldSince = clock();
          break;
        } catch (error) {
          if ((error as { code?: unknown }).code !== "SQLITE_BUSY" || clock() >= deadline) throw error;
          contended();
          // Blocks this writer thread, whose event loop cannot run meanwhile: what it must go on
          // doing (seeing other processes' commits, so long polls wake) runs between the tries.
          whileWaiting?.();
          Atomics.wait(sleeper, 0, 0, pollMs);
        }
      }
      const version = dataVersion.get();
      if (version !== lastVersion) {
        lastVersion = version;
        contended();
      }
    },
    pauseAfterCommitMs(ops) {
      const at = clock();
      if (at >= contendedUntil || ops.some((op) => clientWrites.has(op))) return 0;
      return Math.max(pauseMs, (at - heldSince) * (1 / backgroundShare - 1));
    },
  };
}
