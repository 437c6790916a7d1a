import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, test } from "vitest";
import { toProblemError } from "../../src/http/create-app.ts";
import { StoreBusyError } from "../../src/store/store-errors.ts";
import { openSqliteJobStore } from "../../src/store/sqlite/sqlite-job-store.ts";

const dir = mkdtempSync(join(tmpdir(), "store-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a write blocked by another process's lock past the busy timeout is a StoreBusyError, answered 503 with Retry-After", async () => {
  const path = join(dir, "jobs.db");
  const store = await openSqliteJobStore({ path, busyTimeoutMs: 50 });
  const other = new Database(path);
  other.exec("BEGIN IMMEDIATE");
  const command = { tenant: "t", type: "x", input: {}, metadata: {}, maxAttempts: 1, webhookUrl: null };
  try {
    const error = await store.createJob(command).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreBusyError);
    expect((error as Error).cause).toMatchObject({ code: "SQLITE_BUSY" });
    const problem = toProblemError(error);
    expect([problem.status, problem.code, problem.headers["Retry-After"]]).toEqual([503, "overloaded", "1"]);
  } finally {
    other.exec("ROLLBACK");
    other.close();
  }
  expect((await store.createJob(command)).kind).toBe("created");
  await store.close();
});
