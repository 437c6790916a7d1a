import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { threadId, Worker } from "node:worker_threads";
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
export async function startSqliteWriter(settings: WriterSettings, hooks: WriterHooks): Promise<SqliteWriter> {
  const entry = import.meta.url.endsWith(".ts") ? await bundleSourceEntry() : new URL("./sqlite-writer-thread.js", import.meta.url);
  return connectSqliteWriter(new Worker(entry, { workerData: settings }), hooks);
}

let sourceEntry: Promise<URL> | undefined;

/**
 * The writer's entry runs from dist/ when built (tsup builds it beside the chunk that spawns
 * it). Run from the TypeScript sources (tests, the repository's bin), its module graph is
 * bundled once per process with esbuild (what tsx and tsup run on) into node_modules/.cache:
 * a loader registered in each thread instead would cost every store's start a third of a
 * second. The SDK resolves to its sources (the `async-jobs-source` condition), as the bin does.
 */
function bundleSourceEntry(): Promise<URL> {
  sourceEntry ??= (async () => {
    // A variable specifier: tsup must not bundle esbuild into dist/, which never gets here.
    const esbuildModule = "esbuild";
    const esbuild = (await import(esbuildModule)) as typeof import("esbuild");
    const built = await esbuild.build({
      entryPoints: [fileURLToPath(new URL("./sqlite-writer-thread.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      conditions: ["async-jobs-source"],
      external: ["better-sqlite3"],
      write: false,
      logLevel: "silent",
    });
    const code = built.outputFiles[0]!.text;
    // Beside the packages, so `better-sqlite3` resolves; named by content, written atomically
    // (test processes start stores at the same time).
    const require = createRequire(import.meta.url);
    const cache = join(dirname(dirname(require.resolve("better-sqlite3/package.json"))), ".cache", "async-jobs-server");
    const file = join(cache, `sqlite-writer-thread-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(cache, { recursive: true });
      const partial = `${file}.${process.pid}.${threadId}`;
      writeFileSync(partial, code);
      renameSync(partial, file);
    }
    return pathToFileURL(file);
  })();
  return sourceEntry;
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
      if (message.type === "failed") {
        const failed = new Error(`The SQLite writer thread could not start: ${message.error.message}`, { cause: fromWireError(message.error) });
        stop(failed);
        return reject(failed);
      }
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
    worker.on("error", (error: unknown) => {
      const failed = new Error(`The SQLite writer thread failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, { cause: error });
      stop(failed);
      reject(failed);
    });
    worker.on("exit", (code) => {
      const ended = new Error(closing ? "store closed" : `The SQLite writer thread exited unexpectedly (code ${code}); writes are refused until a restart.`);
      stop(ended);
      reject(ended);
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
        if (waiting.size === 1) keepAlive();
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
