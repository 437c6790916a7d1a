import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, test } from "vitest";
import type { JobStore, StoredJob } from "../../src/store/job-store.ts";
import { openPostgresJobStore } from "../../src/store/postgres/postgres-job-store.ts";
import { openSqliteJobStore } from "../../src/store/sqlite/sqlite-job-store.ts";
import { createTestDatabase } from "../support/test-database.ts";

// Issue 13, finding 1: one tenant's job whose row cannot be processed (here an input nested so
// deep that its webhook event cannot be serialized: RangeError) must not roll back the lease
// recovery of every other tenant's jobs.

const dir = mkdtempSync(join(tmpdir(), "poison-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DEPTH = 20_000; // JSON.parse reads it; JSON.stringify overflows the stack on it
const POISON = "[".repeat(DEPTH) + "]".repeat(DEPTH);

interface Dialect {
  name: string;
  open(log: (message: string) => void): Promise<{ store: JobStore; poison(id: string): Promise<void> }>;
}

const dialects: Dialect[] = [
  {
    name: "sqlite",
    async open(log) {
      const path = join(dir, "jobs.db");
      const store = await openSqliteJobStore({ path, log });
      return {
        store,
        async poison(id) {
          const db = new Database(path);
          db.prepare("UPDATE jobs SET input = ? WHERE id = ?").run(POISON, id);
          db.close();
        },
      };
    },
  },
  {
    name: "postgres",
    async open(log) {
      const url = await createTestDatabase(`poison_${process.pid}`);
      const store = await openPostgresJobStore({ url, log });
      return {
        store,
        async poison(id) {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          await client.query("UPDATE jobs SET input = $1 WHERE id = $2", [POISON, id]);
          await client.end();
        },
      };
    },
  },
];

describe.each(dialects)("lease recovery in isolation: $name", (dialect) => {
  test("a poison job is failed with a log line; every other tenant's lost job is still recovered", async () => {
    const lines: string[] = [];
    const { store, poison } = await dialect.open((message) => lines.push(message));
    try {
      const create = async (tenant: string, webhookUrl: string | null, maxAttempts: number) =>
        ((await store.createJob({ tenant, type: "conformance.echo", input: {}, metadata: {}, maxAttempts, webhookUrl })) as { job: StoredJob }).job;
      // The poison job is claimed first and is on its last attempt: its recovery must write a job.failed event.
      const bad = await create("evil", "https://example.net/hook", 1);
      const good = [await create("acme", "https://example.net/hook", 1), await create("globex", null, 3)];
      expect(await store.claimJobs({ workerId: "w", limit: 3, leaseMs: 1000 })).toHaveLength(3);
      await poison(bad.id);

      expect(await store.recoverExpiredLeases(Date.now() + 60_000)).toBe(3);

      expect(await store.getJob("acme", good[0]!.id)).toMatchObject({ status: "failed", error: { code: "attempts_exhausted" } });
      expect(await store.getJob("globex", good[1]!.id)).toMatchObject({ status: "queued", leaseToken: null });
      const events = await store.claimDueEvents({ limit: 10, leaseMs: 1000, now: Date.now() + 60_000 });
      expect(events.map((e) => e.jobId)).toEqual([good[0]!.id]);
      // The poison job leaves `running` (it would otherwise be retried, and fail, on every sweep).
      expect((await store.listJobs({ tenant: "evil", limit: 10, statuses: ["failed"] })).map((j) => j.id)).toEqual([bad.id]);
      expect(lines.some((line) => line.includes(bad.id))).toBe(true);
      expect(await store.recoverExpiredLeases(Date.now() + 60_000)).toBe(0);
    } finally {
      await store.close();
    }
  });
});
