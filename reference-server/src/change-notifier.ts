/** What changed: a job (any change of its representation) or the webhook outbox. */
export type Change = { kind: "job"; jobId: string; status: string } | { kind: "outbox" } | { kind: "external" };

/**
 * In-process fan-out of store changes. Stores feed it after each commit (SQLite directly and by
 * watching other processes' commits, Postgres from LISTEN/NOTIFY); long polls, the worker and the
 * webhook deliverer listen, so a waiting request wakes as soon as the change is durable.
 *
 * @example
 * const changes = createChangeNotifier();
 * const stop = changes.onJob("job_1", () => console.log("changed")); changes.emit({ kind: "job", jobId: "job_1", status: "running" }); stop();
 */
export interface ChangeNotifier {
  emit(change: Change): void;
  /** Calls `listener` on every change of `jobId`; returns the unsubscribe function. */
  onJob(jobId: string, listener: () => void): () => void;
  /** Calls `listener` on every change. */
  onAny(listener: (change: Change) => void): () => void;
  /** Job ids someone waits on (stores watching other processes only check these). */
  watchedJobIds(): Iterable<string>;
  /** Whether someone waits on `jobId`. */
  isWatched(jobId: string): boolean;
}

/** See {@link ChangeNotifier}. */
export function createChangeNotifier(): ChangeNotifier {
  const byJob = new Map<string, Set<() => void>>();
  const any = new Set<(change: Change) => void>();
  return {
    emit(change) {
      if (change.kind === "job") for (const listener of byJob.get(change.jobId) ?? []) listener();
      for (const listener of any) listener(change);
    },
    onJob(jobId, listener) {
      let set = byJob.get(jobId);
      if (!set) byJob.set(jobId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) byJob.delete(jobId);
      };
    },
    onAny(listener) {
      any.add(listener);
      return () => any.delete(listener);
    },
    watchedJobIds: () => byJob.keys(),
    isWatched: (jobId) => byJob.has(jobId),
  };
}
