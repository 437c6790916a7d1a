import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/store/sqlite/open-sqlite-database.ts";
import { createWriteLock } from "../../src/store/sqlite/write-lock.ts";

// Issue 20: the writer thread takes the file's write lock with short fixed retries and, while
// another process writes too, leaves it a turn after committing the queue's own work.

const dir = mkdtempSync(join(tmpdir(), "async-jobs-write-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string) {
  const path = join(dir, name);
  const db = openSqliteDatabase(path, { busyTimeoutMs: 0 });
  db.exec("CREATE TABLE IF NOT EXISTS t (n INTEGER)");
  return { db, other: new Database(path) };
}

describe("the SQLite write lock", () => {
  it("waits for another process's lock with short retries and takes it once released", async () => {
    const { db, other } = open("waits.db");
    other.close();
    // Another process holds the lock for 100 ms (begin() blocks this thread, so not a timer here).
    const holder = spawn(
      process.execPath,
      ["-e", `const db = new (require("better-sqlite3"))(${JSON.stringify(join(dir, "waits.db"))}); db.exec("BEGIN IMMEDIATE"); console.log("locked"); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); db.exec("COMMIT");`],
      { cwd: fileURLToPath(new URL(".", import.meta.url)), stdio: ["ignore", "pipe", "inherit"] },
    );
    await once(holder.stdout!, "data");
    const lock = createWriteLock(db, { timeoutMs: 5_000 });
    const started = performance.now();
    lock.begin();
    const waited = performance.now() - started;
    expect(db.inTransaction).toBe(true);
    expect(waited).toBeGreaterThan(50);
    db.exec("COMMIT");
    db.close();
    await once(holder, "exit");
  });

  it("fails with SQLITE_BUSY once the timeout passes", () => {
    const { db, other } = open("busy.db");
    other.exec("BEGIN IMMEDIATE");
    const lock = createWriteLock(db, { timeoutMs: 20 });
    const started = performance.now();
    expect(() => lock.begin()).toThrow(expect.objectContaining({ code: "SQLITE_BUSY" }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
    other.exec("ROLLBACK");
    db.close();
    other.close();
  });

  it("does the thread's other duties between tries while it waits (seeing another connection's commits)", () => {
    const { db, other } = open("duties.db");
    other.exec("BEGIN IMMEDIATE");
    // What the writer thread does meanwhile: look for other processes' commits on its connection.
    const dataVersion = db.prepare("PRAGMA data_version").pluck();
    const seen: unknown[] = [];
    // A clock that moves 1 ms each time it is read, and no sleep between tries: the number of
    // tries before the timeout depends on the code, not on how busy the machine is.
    let now = 0;
    const lock = createWriteLock(db, { timeoutMs: 100, pollMs: 0, clock: () => now++, whileWaiting: () => seen.push(dataVersion.get()) });
    expect(() => lock.begin()).toThrow(expect.objectContaining({ code: "SQLITE_BUSY" }));
    // Called between the tries, many times, not once at the end.
    expect(seen.length).toBeGreaterThan(10);
    other.exec("ROLLBACK");
    db.close();
    other.close();
  });

  it("pauses only after the queue's own work, only while another connection writes, twice as long as it held the lock", () => {
    const { db, other } = open("pauses.db");
    let now = 0;
    const lock = createWriteLock(db, { timeoutMs: 1_000, contendedForMs: 500, clock: () => now });
    const turn = (heldMs: number) => {
      lock.begin();
      now += heldMs;
      db.exec("INSERT INTO t VALUES (1); COMMIT");
    };
    // Alone on the file: no pause.
    turn(3);
    expect(lock.pauseAfterCommitMs(["claimJobs", "endRunningJob"])).toBe(0);
    // Another connection committed in between: the next turn sees it.
    other.exec("INSERT INTO t VALUES (2)");
    turn(3);
    expect(lock.pauseAfterCommitMs(["claimJobs", "endRunningJob"])).toBe(6);
    expect(lock.pauseAfterCommitMs(["claimJobs", "createJob"])).toBe(0);
    // A short turn still pauses long enough for a waiter's next try.
    turn(0.1);
    expect(lock.pauseAfterCommitMs(["heartbeat"])).toBe(1);
    // Contention forgotten after contendedForMs without a sign of it.
    now += 600;
    turn(3);
    expect(lock.pauseAfterCommitMs(["heartbeat"])).toBe(0);
    db.close();
    other.close();
  });
});
