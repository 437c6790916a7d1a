import type { Problem } from "async-jobs/types";
import { createChangeNotifier } from "../../change-notifier.ts";
import { newId } from "../../new-id.ts";
import { decodeJobRow, encodeEnd, encodeNewJob, jobRowOfValues } from "../job-row.ts";
import { cachedJobText, cachedJobTextOf } from "../job-representation.ts";
import type { JobStore, JobStoreOptions, Lease } from "../job-store.ts";
import { decodeDeliveryRow, decodeEventRow } from "../outbox-row.ts";
import { translateErrors } from "../store-errors.ts";
import { prepareJobStatements } from "./job-statements.ts";
import { readsPerTurn } from "./reads-per-turn.ts";
import { fromSqliteError, openSqliteDatabase } from "./open-sqlite-database.ts";
import { migrateSqliteDatabase } from "./schema.ts";
import { startSqliteWriter } from "./sqlite-writer.ts";

export interface SqliteJobStoreOptions extends JobStoreOptions {
  /** Database file; its directory is created. (Not `:memory:`: the writer thread opens the file too.) */
  path: string;
  /** How often other processes' commits are looked for when no commit signal came (see commit-signal.ts); at most 15 ms where the signal file gives no change events. @default 100 */
  watchIntervalMs?: number;
  /** How long a write waits for another process's write lock before it is a `StoreBusyError`. @default 10000 */
  busyTimeoutMs?: number;
}

/**
 * The embedded store: better-sqlite3 in WAL mode with `synchronous=FULL`, so a commit is on
 * disk before it resolves. Writes go to a writer thread (sqlite-writer-thread.ts) that commits
 * the writes arriving together in one `BEGIN IMMEDIATE` transaction and one fsync (group
 * commit), so neither the statements nor the fsync block the event loop. Reads run here, on a
 * connection of their own (WAL: they never wait for the writer); a write resolves only after
 * its commit, so a read after it sees it. `BEGIN IMMEDIATE` also lets several processes
 * (serve + worker) share the file.
 *
 * @example
 * const store = await openSqliteJobStore({ path: "./data/jobs.db" });
 */
export async function openSqliteJobStore(options: SqliteJobStoreOptions): Promise<JobStore> {
  if (options.path === ":memory:") throw new Error("The SQLite job store needs a file (its writer thread opens it too), not :memory:.");
  const db = openSqliteDatabase(options.path, { busyTimeoutMs: options.busyTimeoutMs });
  db.pragma("foreign_keys = OFF");
  const now = options.now ?? Date.now;
  const changes = options.changes ?? createChangeNotifier();

  // Migrated before the writer starts, so it prepares its statements against the newest schema.
  migrateSqliteDatabase(db, now());
  const q = prepareJobStatements(db);
  // Status reads, the hottest read: those of one event-loop turn share a read transaction.
  const versionOf = readsPerTurn(db, (id: string, tenant: string) => q.getJobVersion.get(id, tenant));

  // ---- other processes' commits -------------------------------------------------------------
  // The writer sees them (PRAGMA data_version, checked when another process bumps the commit
  // signal and every watchIntervalMs); then the watched jobs are re-read and those whose
  // version moved are announced, so a long poll here wakes on a worker's change in another process.
  // The version each watched job was last seen at: a waiter subscribes, then reads the job
  // (getJob), and that read's version is the one a change must differ from. Without it, the
  // first re-read after waiters park finds all of them new and wakes every one for nothing (500
  // reads at once on each API process in bench/scale.ts, its slowest wakes). Each is kept as the
  // text of a JSON member (`"job_…":7`): a re-read hands SQLite one object of them and gets back
  // only the jobs whose version moved, so it allocates one string instead of a row, an id and a
  // map entry per watched job. That garbage (some 45 MB per 1,000 wakes on each API process of
  // bench/scale.ts) made the scavenges that set its wake p99.
  const seenVersions = new Map<string, string>();
  const member = (id: string, version: number | null) => `${JSON.stringify(id)}:${version}`;
  const seenAt = (id: string, version: number) => {
    if (!seenVersions.has(id) && changes.isWatched(id)) seenVersions.set(id, member(id, version));
  };
  let rereadAgainAt = 0;
  let lastRereadMs = 0;
  let rereadLater: NodeJS.Timeout | undefined;
  function announceExternalChanges() {
    const started = performance.now();
    const members: string[] = [];
    for (const id of changes.watchedJobIds()) members.push(seenVersions.get(id) ?? member(id, null));
    const moved = q.movedVersions.all(`{${members.join(",")}}`);
    for (const [id, version] of moved) seenVersions.set(id, member(id, version));
    // Jobs no longer watched leave (the map never outgrows the waiters); no allocation, a walk of its keys.
    if (seenVersions.size > members.length) {
      for (const id of seenVersions.keys()) if (!changes.isWatched(id)) seenVersions.delete(id);
    }
    // A re-read costs about 0.3 µs per watched job (0.7 when it returned every one; 100 to 1,000
    // watched, quiet machine): while other processes commit without pause, it takes at most a
    // fifth of the event loop (the next one waits four times as long). Only the re-read counts:
    // the answers the announcements wake are work a change owes anyway. The cheaper of the last
    // two counts: one stretched by a GC pause or by preemption on busy cores (25 ms instead of 1)
    // would hold every wake of this process four times that long.
    const took = performance.now() - started;
    rereadAgainAt = performance.now() + 4 * Math.min(took, lastRereadMs);
    lastRereadMs = took;
    for (const [id] of moved) changes.emit({ kind: "job", jobId: id, status: "unknown" });
    changes.emit({ kind: "external" });
  }
  function onExternalCommit() {
    if (rereadLater) return;
    const wait = rereadAgainAt - performance.now();
    if (wait <= 0) return announceExternalChanges();
    rereadLater = setTimeout(() => {
      rereadLater = undefined;
      announceExternalChanges();
    }, wait);
    rereadLater.unref();
  }

  let writer;
  try {
    writer = await startSqliteWriter(
      {
        path: options.path,
        busyTimeoutMs: options.busyTimeoutMs ?? 10_000,
        watchIntervalMs: options.watchIntervalMs ?? 100,
        webhookFirstDelayMs: options.webhookFirstDelayMs ?? 0,
        maxRunningPerTenant: options.maxRunningPerTenant ?? Infinity,
      },
      {
        // Announced only after the commit, so a woken reader sees the change.
        onCommit: (committed) => committed.forEach((change) => changes.emit(change)),
        onExternal: onExternalCommit,
        log: options.log ?? (() => {}),
      },
    );
  } catch (error) {
    db.close();
    throw error;
  }
  const write = writer.write;
  /** A running job's end, decided by its worker. */
  const endRunning = (lease: Lease, status: "succeeded" | "canceled", result: unknown) =>
    write("endRunningJob", { lease, columns: encodeEnd(status, result, null), at: now() });
  let closed = false;

  const store: JobStore = {
    changes,
    async migrate() {
      migrateSqliteDatabase(db, now());
    },

    async createJob(command) {
      const at = now();
      const row = encodeNewJob(command, newId("job", at), at);
      const key = command.idempotency;
      const idempotency = key && { key: key.key, fingerprint: key.fingerprint, expiresAt: at + key.ttlMs };
      const outcome = await write("createJob", idempotency ? { row, idempotency } : { row });
      return outcome.kind === "key_reused" ? outcome : { kind: outcome.kind, job: decodeJobRow(outcome.row) };
    },

    async findIdempotencyKey(tenant, key) {
      const row = q.findKey.get(tenant, key, now());
      return row ? { fingerprint: row.fingerprint, jobId: row.job_id } : undefined;
    },

    async countQueued(tenant, atMost) {
      return (tenant === null ? q.countQueued.get(atMost) : q.countQueuedOfTenant.get(tenant, atMost))!.n;
    },

    async getJob(tenant, id) {
      const values = q.getJobValues.get(id, tenant);
      if (values === undefined) return undefined;
      const job = decodeJobRow(jobRowOfValues(values));
      seenAt(id, job.version);
      return job;
    },

    async readJobText(tenant, id) {
      // Polls of an unchanged job (most of them) cost one version lookup, with no row to fetch
      // and decode; the lookup filters by tenant, so a cached text never crosses tenants.
      const version = await versionOf(id, tenant);
      if (version === undefined) return undefined;
      const cached = cachedJobTextOf(id, version);
      if (cached !== undefined) return cached;
      // Read anew: the version may have moved since the lookup, and the newest answers.
      const job = await store.getJob(tenant, id);
      return job && cachedJobText(job);
    },

    async listJobs(query) {
      const where = ["tenant = ?"];
      const params: unknown[] = [query.tenant];
      if (query.beforeId !== undefined) {
        where.push("id < ?");
        params.push(query.beforeId);
      }
      if (query.statuses?.length) {
        where.push(`status IN (${query.statuses.map(() => "?").join(",")})`);
        params.push(...query.statuses);
      }
      if (query.type !== undefined) {
        where.push("type = ?");
        params.push(query.type);
      }
      params.push(query.limit);
      const rows = db.prepare(`SELECT * FROM jobs WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`).all(...params);
      return (rows as Parameters<typeof decodeJobRow>[0][]).map(decodeJobRow);
    },

    async requestCancel(tenant, id) {
      const outcome = await write("requestCancel", { tenant, id, at: now() });
      return outcome.kind === "not_found" ? outcome : { kind: outcome.kind, job: decodeJobRow(outcome.row) };
    },

    async claimJobs({ limit, leaseMs, now: at }) {
      return (await write("claimJobs", { limit, leaseMs, at: at ?? now() })).map(decodeJobRow);
    },

    heartbeat(leases, leaseMs) {
      return write("heartbeat", { leases, until: now() + leaseMs });
    },

    enqueueLifecycleEvent(lease, type) {
      return write("enqueueLifecycleEvent", { lease, type, at: now() });
    },

    reportProgress(lease, percent, message) {
      return write("reportProgress", { lease, percent, message: message ?? null, at: now() });
    },

    async completeJob(lease, result) {
      return endRunning(lease, "succeeded", result);
    },

    failJob(lease, error: Problem, retryAt) {
      return write("failJob", { lease, error, retryAt, at: now() });
    },

    cancelRunningJob(lease) {
      return endRunning(lease, "canceled", null);
    },

    releaseJob(lease) {
      return write("releaseJob", { lease, at: now() });
    },

    recoverExpiredLeases(expiredBefore) {
      const at = now();
      return write("recoverExpiredLeases", { expiredBefore: expiredBefore ?? at, at });
    },

    async queueStats() {
      return q.queueStats.all().map((r) => ({ type: r.type, queued: r.queued, oldestCreatedAt: r.oldest }));
    },

    purgeExpired(options) {
      return write("purgeExpired", options);
    },

    async claimDueEvents({ limit, leaseMs, now: at = now(), skipTenants = [] }) {
      // Looked for with a read first: the deliverer asks on every other process's commit, and an
      // empty claim through the writer would take the file's write lock each time for nothing.
      if (q.dueEvents.get(at, JSON.stringify(skipTenants), 1) === undefined) return [];
      return (await write("claimDueEvents", { limit, leaseMs, at, skipTenants })).map(decodeEventRow);
    },

    deferEvent(eventId, until) {
      return write("deferEvent", { eventId, until });
    },

    recordDelivery(record) {
      return write("recordDelivery", record);
    },

    async listDeliveries(tenant, jobId) {
      if (!q.getJob.get(jobId, tenant)) return undefined;
      return q.deliveries.all(jobId).map(decodeDeliveryRow);
    },

    async close() {
      if (closed) return;
      closed = true;
      // Every write already asked for is committed and answered before the file closes.
      await writer.close();
      clearTimeout(rereadLater);
      db.close();
    },
  };
  return translateErrors(store, fromSqliteError);
}
