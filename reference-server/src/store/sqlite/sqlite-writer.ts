import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Change } from "../../change-notifier.ts";
import { type FromWriter, fromWireError, type ToWriter, type WriteArgs, type WriteOp, type WriteResult, type WriterSettings } from "./writer-messages.ts";

/** The event loop's side of the writer thread; see {@link startSqliteWriter}. */
export interface SqliteWriter {
  /** Runs a write command in the next batch; resolves once that batch is committed (on disk). */
  write<K extends WriteOp>(op: K, args: WriteArgs<K>): Promise<WriteResult<K>>;
  /** Resolves once every write sent so far is answered and the thread has ended. */
  close(): Promise<void>;
}

/** What the writer reports besides answers. */
export interface WriterHooks {
  /** A batch committed: its changes, called after its writes' promises are resolved. */
  onCommit(changes: Change[]): void;
  /** Another process committed to the file. */
  onExternal(): void;
  log(message: string, error?: unknown): void;
}

/**
 * Starts the writer thread (sqlite-writer-thread.ts) and resolves once its connection is open.
 * Writes called in the same turn of the event loop travel in one message; the thread commits
 * whatever arrived together in one transaction.
 *
 * @example
 * const writer = await startSqliteWriter(settings, { onCommit: (c) => c.forEach(changes.emit), onExternal, log });
 * const rows = await writer.write("claimJobs", { limit: 8, leaseMs: 30_000, at: Date.now() });
 */
export function startSqliteWriter(settings: WriterSettings, hooks: WriterHooks): Promise<SqliteWriter> {
  return connectSqliteWriter(spawnWriterThread(settings), hooks);
}

/**
 * The writer's entry runs from dist/ when built (tsup builds it beside the chunk that spawns
 * it) and from its TypeScript source otherwise (tests, the repository's bin), through tsx and
 * the workspace's source condition, as the bin itself does.
 */
function spawnWriterThread(settings: WriterSettings): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./sqlite-writer-thread.js", import.meta.url), { workerData: settings });
  const entry = new URL("./sqlite-writer-thread.ts", import.meta.url).href;
  const require = createRequire(import.meta.url);
  const tsxPackage = require("tsx/package.json") as { exports: Record<string, { import: { default: string } }> };
  const tsxApi = new URL(tsxPackage.exports["./esm/api"]!.import.default, pathToFileURL(require.resolve("tsx/package.json"))).href;
  // A worker's --import is not honoured on Node 20, so the entry registers tsx itself.
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: settings, execArgv: ["--conditions=async-jobs-source"] });
}

/**
 * The writer's protocol over any worker speaking it (tests hand in one that dies). When the
 * thread fails or exits unasked, every write waiting and every later one is rejected with
 * an error saying so, rather than left hanging.
 *
 * @example
 * const writer = await connectSqliteWriter(new Worker(entry, { workerData }), hooks);
 */
export function connectSqliteWriter(worker: Worker, hooks: WriterHooks): Promise<SqliteWriter> {
  type Waiting = { resolve: (value: any) => void; reject: (error: unknown) => void };
  const waiting = new Map<number, Waiting>();
  let outbox: Extract<ToWriter, { type: "write" }>["items"] = [];
  let nextId = 0;
  let scheduled = false;
  let failure: Error | undefined;
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));

  function stop(error: Error) {
    failure ??= error;
    for (const item of waiting.values()) item.reject(failure);
    waiting.clear();
    outbox = [];
  }

  function send() {
    scheduled = false;
    const items = outbox;
    outbox = [];
    if (items.length === 0 || failure) return;
    const post = (batch: typeof items) => worker.postMessage({ type: "write", items: batch } satisfies ToWriter);
    try {
      post(items);
    } catch {
      // An argument that cannot be cloned fails its own write only.
      for (const item of items) {
        try {
          post([item]);
        } catch (error) {
          waiting.get(item.id)?.reject(error);
          waiting.delete(item.id);
        }
      }
      keepAlive();
    }
  }

  // The thread keeps the process alive only while a write waits for it.
  const keepAlive = () => (waiting.size > 0 || closing ? worker.ref() : worker.unref());

  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (message: FromWriter) => {
      if (message.type === "ready") return resolve();
      if (message.type === "external") return hooks.onExternal();
      for (const line of message.logs) hooks.log(line.message, line.error && fromWireError(line.error));
      for (const result of message.results) {
        const item = waiting.get(result.id);
        waiting.delete(result.id);
        if (result.ok) item?.resolve(result.value);
        else item?.reject(fromWireError(result.error));
      }
      keepAlive();
      hooks.onCommit(message.changes);
    });
    worker.on("error", (error) => {
      const failed = new Error(`The SQLite writer thread failed: ${error.message}`, { cause: error });
      stop(failed);
      reject(failed);
    });
    worker.on("exit", (code) => {
      const exited = new Error(closing ? "store closed" : `The SQLite writer thread exited unexpectedly (code ${code}); writes are refused until a restart.`);
      stop(exited);
      reject(exited);
    });
  });

  const writer: SqliteWriter = {
    write(op, args) {
      if (failure) return Promise.reject(failure);
      if (closing) return Promise.reject(new Error("store closed"));
      return new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        outbox.push({ id, op, args });
        keepAlive();
        // Everything asked in this turn of the event loop travels in one message.
        if (!scheduled) {
          scheduled = true;
          setImmediate(send);
        }
      });
    },
    async close() {
      if (!closing) {
        closing = true;
        keepAlive();
        send();
        if (!failure) worker.postMessage({ type: "close" } satisfies ToWriter);
      }
      await exited;
    },
  };
  return ready.then(() => {
    keepAlive();
    return writer;
  });
}
