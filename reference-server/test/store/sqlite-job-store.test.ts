import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openSqliteJobStore } from "../../src/store/sqlite/sqlite-job-store.ts";
import { describeJobStore } from "./describe-job-store.ts";

const dir = mkdtempSync(join(tmpdir(), "async-jobs-store-"));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeJobStore("sqlite", (options) => openSqliteJobStore({ path: join(dir, `jobs-${n++}.db`), ...options }));

it("keeps committed jobs across reopen, and its claim query uses the claim index", async () => {
  const path = join(dir, "reopen.db");
  const store = await openSqliteJobStore({ path });
  const outcome = await store.createJob({ tenant: "t", type: "x", input: null, metadata: {}, maxAttempts: 1, webhookUrl: null });
  await store.close();
  const again = await openSqliteJobStore({ path });
  expect(await again.getJob("t", (outcome as { job: { id: string } }).job.id)).toBeDefined();
  await again.close();
  const Database = (await import("better-sqlite3")).default;
  const db = new Database(path, { readonly: true });
  const plan = db.prepare("EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ? ORDER BY run_at, id LIMIT ?").all(0, 1);
  db.close();
  const detail = plan.map((p: any) => p.detail).join(" ");
  expect(detail).toContain("jobs_claim");
  expect(detail).not.toContain("TEMP B-TREE");
});

it("answers a claim of due webhook events with none, while another process holds the write lock, without waiting for it", async () => {
  // The deliverer asks on every other process's commit: with nothing due, no write (and no lock) is needed.
  const path = join(dir, "no-due-events.db");
  const store = await openSqliteJobStore({ path, busyTimeoutMs: 500 });
  const Database = (await import("better-sqlite3")).default;
  const other = new Database(path);
  other.exec("BEGIN IMMEDIATE");
  try {
    // With the lock held elsewhere, a write here would fail as busy after 500 ms.
    expect(await store.claimDueEvents({ limit: 10, leaseMs: 1_000 })).toEqual([]);
  } finally {
    other.exec("ROLLBACK");
    other.close();
    await store.close();
  }
});
