// The SQLite job store's writer thread (entry of a node:worker_threads Worker; see
// sqlite-writer.ts and docs/decisions/0014-sqlite-writer-thread.md). It owns the one write
// connection: the writes that arrive together share one transaction and one fsync, which now
// block this thread instead of the event loop's. A batch is answered only after its COMMIT.
import { parentPort, workerData } from "node:worker_threads";
import type Database from "better-sqlite3";
import type { Change } from "../../change-notifier.ts";
import { openCommitSignal } from "./commit-signal.ts";
import { createGroupCommit } from "./group-commit.ts";
import { prepareJobStatements } from "./job-statements.ts";
import { openSqliteDatabase } from "./open-sqlite-database.ts";
import { createWriteCommands } from "./write-commands.ts";
import { createWriteLock } from "./write-lock.ts";
import { type FromWriter, type ToWriter, toWireError, type WriterSettings } from "./writer-messages.ts";

/** A command as the batch runs it: its arguments were typed where they were sent. */
type Command = (args: unknown, emit: (change: Change) => void) => unknown;

const port = parentPort!;
const send = (message: FromWriter) => port.postMessage(message);

/** Serves write batches on the open connection until asked to close. */
function serve(db: Database.Database, settings: WriterSettings) {
  // While it waits for another process's lock, it keeps looking for that process's commits:
  // a wait of tens of milliseconds (a checkpoint there) would otherwise hold every wake here.
  const lock = createWriteLock(db, { timeoutMs: settings.busyTimeoutMs, whileWaiting: () => lookForExternalCommits() });
  const group = createGroupCommit(db, lock);
  const totalChanges = db.prepare("SELECT total_changes()").pluck();
  let logs: Extract<FromWriter, { type: "done" }>["logs"] = [];
  const commands = createWriteCommands({
    q: prepareJobStatements(db),
    isolated: group.isolated,
    webhookFirstDelayMs: settings.webhookFirstDelayMs,
    maxRunningPerTenant: settings.maxRunningPerTenant,
    log: (message, error) => logs.push(error === undefined ? { message } : { message, error: toWireError(error) }),
  });
  let queue: Extract<ToWriter, { type: "write" }>["items"] = [];
  let scheduled = false;
  // While another process writes to the file too, each commit leaves it the lock for a moment (write-lock.ts).
  let pausedUntil = 0;

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    const pause = pausedUntil - performance.now();
    if (pause > 0) setTimeout(flush, pause);
    else setImmediate(flush);
  }

  function flush() {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    let reply: Extract<FromWriter, { type: "done" }>;
    try {
      const changedBefore = totalChanges.get();
      const logged = logs.length;
      const { outcomes, changes } = group.commit(
        batch.map((item) => (emit) => (commands[item.op] as Command)(item.args, emit)),
        // The batch runs again write by write: the lines of its first run are said again.
        () => (logs.length = logged),
      );
      // Only a batch that wrote rows wakes the other processes (an empty claim writes nothing).
      if (totalChanges.get() !== changedBefore) signal.bump();
      const results = batch.map((item, i) => {
        const outcome = outcomes[i]!;
        return outcome.ok ? { id: item.id, ok: true as const, value: outcome.value } : { id: item.id, ok: false as const, error: toWireError(outcome.error) };
      });
      reply = { type: "done", results, changes, logs };
    } catch (error) {
      // The transaction itself failed (lock timeout, disk full at COMMIT): nothing of it was written.
      const wire = toWireError(error);
      reply = { type: "done", results: batch.map((item) => ({ id: item.id, ok: false as const, error: wire })), changes: [], logs };
    }
    logs = [];
    send(reply);
    pausedUntil = performance.now() + lock.pauseAfterCommitMs(batch.map((item) => item.op));
  }

  // Other processes' commits: PRAGMA data_version moves when another connection commits (never
  // for this connection's own), so the event loop's thread learns of other processes only.
  // Checked when another process bumps the commit signal, and every watchIntervalMs besides;
  // without change events (a filesystem that has none) the poll is the only path, so it stays fast.
  const dataVersion = db.prepare("PRAGMA data_version").pluck();
  let lastDataVersion = dataVersion.get();
  const lookForExternalCommits = () => {
    const current = dataVersion.get();
    if (current === lastDataVersion) return;
    lastDataVersion = current;
    send({ type: "external" });
  };
  const signal = openCommitSignal(`${settings.path}-commits`, lookForExternalCommits);
  const unwatchedIntervalMs = Math.min(settings.watchIntervalMs, 15);
  let watch: NodeJS.Timeout;
  const poll = () => {
    lookForExternalCommits();
    watch = setTimeout(poll, signal.watching ? settings.watchIntervalMs : unwatchedIntervalMs);
  };
  poll();

  port.on("message", (message: ToWriter) => {
    if (message.type === "write") {
      queue.push(...message.items);
      // Whatever else arrives before the next turn (or the pause's end) joins the same transaction.
      schedule();
      return;
    }
    flush();
    clearTimeout(watch);
    signal.close();
    db.close();
    port.close();
  });
  send({ type: "ready" });
}

const settings = workerData as WriterSettings;
try {
  // No busy handler of SQLite's own: the write lock waits for the lock itself, fairly (write-lock.ts).
  const db = openSqliteDatabase(settings.path, { busyTimeoutMs: 0 });
  db.pragma("foreign_keys = OFF");
  serve(db, settings);
} catch (error) {
  // Said as a message: a thread's uncaught error loses what a SqliteError says.
  send({ type: "failed", error: toWireError(error) });
  port.close();
}
