import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Change } from "../../src/change-notifier.ts";
import { createGroupCommit } from "../../src/store/sqlite/group-commit.ts";
import { openSqliteDatabase } from "../../src/store/sqlite/open-sqlite-database.ts";
import { createWriteLock } from "../../src/store/sqlite/write-lock.ts";

// The writer thread's group commit: writes run straight under one savepoint, and a batch with a
// failing write runs again write by write, so the failure rolls back that write alone.

const dir = mkdtempSync(join(tmpdir(), "async-jobs-group-commit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string) {
  const db = openSqliteDatabase(join(dir, name), { busyTimeoutMs: 0 });
  db.exec("CREATE TABLE t (n INTEGER)");
  const insert = db.prepare("INSERT INTO t (n) VALUES (?)");
  const rows = () => db.prepare("SELECT n FROM t ORDER BY n").pluck().all();
  const group = createGroupCommit(db, createWriteLock(db, { timeoutMs: 1_000 }));
  /** A write inserting `n` and announcing it; `fails` throws after its insert. */
  const write = (n: number, fails = false) => (emit: (change: Change) => void) => {
    insert.run(n);
    emit({ kind: "job", jobId: String(n), status: "queued" });
    if (fails) throw new Error(`write ${n} failed`);
    return n;
  };
  return { db, rows, group, write };
}

describe("the SQLite group commit", () => {
  it("commits a batch without failures in one transaction, never retrying it", () => {
    const { db, rows, group, write } = open("straight.db");
    let retries = 0;
    const { outcomes, changes } = group.commit([write(1), write(2)], () => retries++);
    expect(outcomes).toEqual([{ ok: true, value: 1 }, { ok: true, value: 2 }]);
    expect(changes.map((c) => c.kind === "job" && c.jobId)).toEqual(["1", "2"]);
    expect(rows()).toEqual([1, 2]);
    expect(retries).toBe(0);
    expect(db.inTransaction).toBe(false);
  });

  it("rolls back a failing write alone: the others stay, with their changes, and the first run's work is void", () => {
    const { db, rows, group, write } = open("failing.db");
    let retries = 0;
    const { outcomes, changes } = group.commit([write(1), write(2, true), write(3)], () => retries++);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { message: "write 2 failed" } });
    // Each row once: the first, straight run was rolled back before the run write by write.
    expect(rows()).toEqual([1, 3]);
    expect(changes.map((c) => c.kind === "job" && c.jobId)).toEqual(["1", "3"]);
    expect(retries).toBe(1);
    expect(db.inTransaction).toBe(false);
  });

  it("keeps isolated work of a write inside the batch's transaction", () => {
    const { rows, group, write } = open("isolated.db");
    const { outcomes } = group.commit([
      (emit) => {
        const inner = group.isolated(() => write(5, true)(emit));
        write(6)(emit);
        return inner.ok;
      },
    ]);
    expect(outcomes).toEqual([{ ok: true, value: false }]);
    expect(rows()).toEqual([6]);
  });
});
