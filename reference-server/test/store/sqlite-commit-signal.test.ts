import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { JobStore } from "../../src/store/job-store.ts";
import { openCommitSignal } from "../../src/store/sqlite/commit-signal.ts";
import { openSqliteJobStore } from "../../src/store/sqlite/sqlite-job-store.ts";

// Two stores on one file stand for two processes: each has its own connections and writer
// thread, and PRAGMA data_version moves for any other connection's commit.
const dir = mkdtempSync(join(tmpdir(), "async-jobs-commit-signal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const newJob = { tenant: "t", type: "x", input: null, metadata: {}, maxAttempts: 1, webhookUrl: null };

async function openPair(name: string, options: { watchIntervalMs: number }): Promise<[JobStore, JobStore]> {
  const path = join(dir, name);
  return [await openSqliteJobStore({ path, ...options }), await openSqliteJobStore({ path, ...options })];
}

/** Resolves with how long after `commit` resolved `watcher` announced the job's change. */
async function announcedAfter(watcher: JobStore, id: string, commit: () => Promise<unknown>): Promise<number> {
  const seen = new Promise<number>((resolve) => {
    const stop = watcher.changes.onJob(id, () => {
      stop();
      resolve(performance.now());
    });
  });
  await commit();
  const committedAt = performance.now();
  return (await seen) - committedAt;
}

it("announces another store's commit on its signal, long before the poll would", { timeout: 20_000 }, async () => {
  // A poll of a minute: only the commit signal can make the announcement come within seconds.
  const [watcher, writer] = await openPair("signal.db", { watchIntervalMs: 60_000 });
  try {
    const created = (await writer.createJob(newJob)) as { job: { id: string } };
    const id = created.job.id;
    const first = await announcedAfter(watcher, id, () => writer.requestCancel("t", id));
    expect(first).toBeLessThan(5_000);
    // The signal file stays one byte however many commits bump it.
    expect(statSync(join(dir, "signal.db-commits")).size).toBe(1);
  } finally {
    await writer.close();
    await watcher.close();
  }
});

it("a bump by one signal reaches the other signal on the same file, which says it is watching", async () => {
  // The store polls every 15 ms where change events do not arrive, so the store-level test above
  // would pass without them: this one fails if the watch itself is broken.
  const path = join(dir, "pair.db-commits");
  let bumped!: () => void;
  const reached = new Promise<void>((resolve) => (bumped = resolve));
  const watcher = openCommitSignal(path, () => bumped());
  const other = openCommitSignal(path, () => {});
  try {
    expect(watcher.watching).toBe(true);
    other.bump();
    await reached;
  } finally {
    other.close();
    watcher.close();
  }
});

it("wakes a waiter only for its own job's change: another job's waiter, which read it already, sleeps on", { timeout: 20_000 }, async () => {
  const [watcher, writer] = await openPair("only-changed.db", { watchIntervalMs: 15 });
  try {
    const ids = await Promise.all([1, 2].map(async () => ((await writer.createJob(newJob)) as { job: { id: string } }).job.id));
    const [changed, untouched] = ids as [string, string];
    // As a long poll does: subscribe, then read the job it waits on.
    let untouchedWakes = 0;
    const stopUntouched = watcher.changes.onJob(untouched, () => untouchedWakes++);
    await watcher.getJob("t", untouched);
    const changedAnnounced = new Promise<void>((resolve) => {
      const stop = watcher.changes.onJob(changed, () => {
        stop();
        resolve();
      });
    });
    await watcher.getJob("t", changed);
    await writer.requestCancel("t", changed);
    await changedAnnounced;
    await new Promise((resolve) => setTimeout(resolve, 50)); // a few more re-reads at 15 ms
    expect(untouchedWakes).toBe(0);
    // And its own change still wakes it.
    await writer.requestCancel("t", untouched);
    await expect.poll(() => untouchedWakes, { timeout: 5_000 }).toBeGreaterThan(0);
    stopUntouched();
  } finally {
    await writer.close();
    await watcher.close();
  }
});

it("a job's new waiter, after an earlier one left, sleeps through the change it read and wakes on the next", { timeout: 20_000 }, async () => {
  const [watcher, writer] = await openPair("rewatched.db", { watchIntervalMs: 15 });
  try {
    const id = ((await writer.createJob(newJob)) as { job: { id: string } }).job.id;
    const [running] = await writer.claimJobs({ workerId: "w", limit: 1, leaseMs: 60_000 });
    const lease = { id, leaseToken: running!.leaseToken! };
    /** Resolves once the watcher has re-read after another process's commit. */
    const reread = () =>
      new Promise<void>((resolve) => {
        const stop = watcher.changes.onAny((change) => {
          if (change.kind !== "external") return;
          stop();
          resolve();
        });
      });
    // A first waiter reads the job and leaves; the job changes with nobody waiting.
    const left = watcher.changes.onJob(id, () => {});
    await watcher.getJob("t", id);
    left();
    const afterLeaving = reread();
    await writer.reportProgress(lease, 10, null);
    await afterLeaving;
    // A second waiter reads the changed job: a version kept from the first would wake it for nothing.
    let wakes = 0;
    const stop = watcher.changes.onJob(id, () => wakes++);
    await watcher.getJob("t", id);
    const afterCreate = reread();
    await writer.createJob(newJob); // another job's commit: a re-read with the job watched
    await afterCreate;
    expect(wakes).toBe(0);
    await writer.reportProgress(lease, 20, null);
    await expect.poll(() => wakes, { timeout: 5_000 }).toBe(1);
    stop();
  } finally {
    await writer.close();
    await watcher.close();
  }
});
