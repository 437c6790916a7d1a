import Database from "better-sqlite3";
import pg from "pg";

/** Job rows as the store keeps them: status and attempt count per job. */
export interface JobCounts {
  byStatus: Record<string, number>;
  /** Finished jobs whose attempt counter is above 1 (they ran more than once). */
  ranTwice: number;
  total: number;
}

/**
 * Reads the jobs table straight from a `--store` URL (no server in between).
 *
 * @example
 * expect((await countJobs(store)).byStatus.running ?? 0).toBe(0);
 */
export async function countJobs(store: string): Promise<JobCounts> {
  const sql = "SELECT status, attempt FROM jobs";
  let rows: { status: string; attempt: number }[];
  if (store.startsWith("sqlite:")) {
    const db = new Database(store.slice("sqlite:".length), { readonly: true });
    try {
      rows = db.prepare(sql).all() as typeof rows;
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: store });
    await client.connect();
    try {
      rows = (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }
  const byStatus: Record<string, number> = {};
  for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
  return { byStatus, ranTwice: rows.filter((r) => r.attempt > 1).length, total: rows.length };
}

/**
 * Queues `count` `conformance.echo` jobs (no-op unless `input` says otherwise) straight through the store (no HTTP), so a worker
 * started afterwards has a backlog to drain.
 *
 * @example
 * await fillQueue("sqlite:/tmp/jobs.db", 5_000);
 */
export async function fillQueue(store: string, count: number, input: Record<string, unknown> = {}): Promise<void> {
  const { openJobStore } = await import("../../../src/store/open-job-store.ts");
  const jobs = await openJobStore(store);
  try {
    for (let done = 0; done < count; done += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, count - done) }, (_, i) =>
          jobs.createJob({ tenant: "acme", type: "conformance.echo", input: { value: done + i, ...input }, metadata: {}, maxAttempts: 3, webhookUrl: null }),
        ),
      );
    }
  } finally {
    await jobs.close();
  }
}
