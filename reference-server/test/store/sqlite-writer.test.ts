import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteJobStore } from "../../src/store/sqlite/sqlite-job-store.ts";
import { connectSqliteWriter, startSqliteWriter, type WriterHooks } from "../../src/store/sqlite/sqlite-writer.ts";

// Issue 14: the SQLite job store's writes and fsync run on a writer thread. These check what the
// thread boundary adds: the event loop runs while a write waits, close() loses nothing, and a
// dead thread fails its writes instead of leaving them hanging.

const dir = mkdtempSync(join(tmpdir(), "async-jobs-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const command = { tenant: "t", type: "conformance.echo", input: { value: 1 }, metadata: {}, maxAttempts: 1, webhookUrl: null };
const hooks: WriterHooks = { onCommit: () => {}, onExternal: () => {}, log: () => {} };

describe("the SQLite writer thread", () => {
  it("keeps the event loop running while a write waits for the file's write lock", async () => {
    const path = join(dir, "locked.db");
    const store = await openSqliteJobStore({ path, busyTimeoutMs: 5_000 });
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const created = store.createJob(command);
      await new Promise((resolve) => setTimeout(resolve, 400));
      // The write waits on the writer thread; on the event loop's thread it would have blocked every timer.
      expect(ticks).toBeGreaterThan(10);
      other.exec("COMMIT");
      expect((await created).kind).toBe("created");
      clearInterval(timer);
    } finally {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
      await store.close();
    }
  });

  it("answers a write only after its commit: a read right after it sees the job, as does another connection", async () => {
    const path = join(dir, "read-your-writes.db");
    const store = await openSqliteJobStore({ path });
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.createJob(command)));
    const ids = outcomes.map((o) => (o as { job: { id: string } }).job.id);
    for (const id of ids) expect(await store.getJob("t", id)).toMatchObject({ id, status: "queued" });
    const other = new Database(path, { readonly: true });
    expect(other.prepare("SELECT COUNT(*) AS n FROM jobs").get()).toEqual({ n: 50 });
    other.close();
    await store.close();
  });

  it("close() commits every write already asked for", async () => {
    const path = join(dir, "close.db");
    const store = await openSqliteJobStore({ path });
    const writes = Array.from({ length: 300 }, () => store.createJob(command));
    await store.close();
    expect((await Promise.all(writes)).every((o) => o.kind === "created")).toBe(true);
    await expect(store.createJob(command)).rejects.toThrow(/store closed/);
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) AS n FROM jobs").get()).toEqual({ n: 300 });
    db.close();
  });

  it("fails waiting and later writes with an error saying so when the thread dies", async () => {
    // A thread that starts like the writer, then exits on its first batch.
    const dying = new Worker(
      `const { parentPort } = require("node:worker_threads");
       parentPort.on("message", () => process.exit(3));
       parentPort.postMessage({ type: "ready" });`,
      { eval: true },
    );
    const writer = await connectSqliteWriter(dying, hooks);
    const waiting = writer.write("deferEvent", { eventId: "evt_1", until: 0 });
    await expect(waiting).rejects.toThrow(/writer thread exited unexpectedly \(code 3\)/);
    await expect(writer.write("deferEvent", { eventId: "evt_2", until: 0 })).rejects.toThrow(/writer thread exited unexpectedly/);
    await writer.close();
  });

  it("fails its start with what SQLite said when the thread cannot prepare its statements", async () => {
    // A file the migration never ran on: the writer's statements name tables it lacks.
    const settings = { path: join(dir, "unmigrated.db"), busyTimeoutMs: 1000, watchIntervalMs: 15, webhookFirstDelayMs: 0, maxRunningPerTenant: Infinity };
    await expect(startSqliteWriter(settings, hooks)).rejects.toThrow(/writer thread could not start: no such table/);
  });

  it("fails its start with the thread's error when the thread throws", async () => {
    const broken = new Worker(`throw new Error("boom");`, { eval: true });
    await expect(connectSqliteWriter(broken, hooks)).rejects.toThrow(/writer thread failed: boom/);
  });
});
