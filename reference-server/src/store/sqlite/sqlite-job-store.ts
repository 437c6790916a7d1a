import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { JobStatus, Problem } from "async-jobs/types";
import { type Change, type ChangeNotifier, createChangeNotifier } from "../../change-notifier.ts";
import { newId } from "../../new-id.ts";
import { attemptsExhausted, toJobEvent } from "../job-representation.ts";
import type {
  CancelOutcome,
  CreateJobCommand,
  CreateJobOutcome,
  DeliveryRecord,
  HeartbeatResult,
  JobStore,
  Lease,
  ListJobsQuery,
  OutboxEvent,
  StoredJob,
} from "../job-store.ts";
import { sqliteMigrations } from "./migrations.ts";

export interface SqliteJobStoreOptions {
  /** Database file; its directory is created. `:memory:` for throwaway stores. */
  path: string;
  changes?: ChangeNotifier;
  /** Delay of a webhook event's first delivery (the schedule's first entry). @default 0 */
  webhookFirstDelayMs?: number;
  /** How often other processes' commits are looked for while someone waits. @default 15 */
  watchIntervalMs?: number;
  /** Injected clock. @default Date.now */
  now?: () => number;
}

interface JobRow {
  id: string;
  tenant: string;
  type: string;
  status: JobStatus;
  input: string;
  metadata: string;
  progress: string | null;
  attempt: number;
  max_attempts: number;
  result: string | null;
  error: string | null;
  cancel_requested: number;
  webhook_url: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
  version: number;
  run_at: number;
  lease_token: string | null;
  lease_expires_at: number | null;
}

function fromRow(row: JobRow): StoredJob {
  return {
    id: row.id,
    tenant: row.tenant,
    type: row.type,
    status: row.status,
    input: JSON.parse(row.input),
    metadata: JSON.parse(row.metadata),
    progress: row.progress === null ? null : JSON.parse(row.progress),
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    result: row.result === null ? null : JSON.parse(row.result),
    error: row.error === null ? null : JSON.parse(row.error),
    cancelRequested: row.cancel_requested === 1,
    webhookUrl: row.webhook_url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    version: row.version,
    runAt: row.run_at,
    leaseToken: row.lease_token,
    leaseExpiresAt: row.lease_expires_at,
  };
}

type Write<T> = { run: (emit: (change: Change) => void) => T; resolve: (value: T) => void; reject: (error: unknown) => void };

/**
 * The embedded store: better-sqlite3 in WAL mode with `synchronous=FULL`, so a commit is on
 * disk before it resolves. Writes queued in the same tick share one `BEGIN IMMEDIATE`
 * transaction and one fsync (group commit): durable submits at the disk's sync rate times the
 * batch size. `BEGIN IMMEDIATE` also lets several processes (serve + worker) share the file.
 *
 * @example
 * const store = await openSqliteJobStore({ path: "./data/jobs.db" });
 */
export async function openSqliteJobStore(options: SqliteJobStoreOptions): Promise<JobStore> {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 10000");
  db.pragma("foreign_keys = OFF");
  const now = options.now ?? Date.now;
  const changes = options.changes ?? createChangeNotifier();
  const firstDelay = options.webhookFirstDelayMs ?? 0;

  migrate();

  function migrate() {
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    db.transaction(() => {
      const done = new Set(
        (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
      );
      sqliteMigrations.forEach((sql, index) => {
        if (done.has(index + 1)) return;
        db.exec(sql);
        db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(index + 1, now());
      });
    }).immediate();
  }

  const q = {
    getJob: db.prepare<[string, string], JobRow>("SELECT * FROM jobs WHERE id = ? AND tenant = ?"),
    getJobById: db.prepare<[string], JobRow>("SELECT * FROM jobs WHERE id = ?"),
    version: db.prepare<[string], { version: number }>("SELECT version FROM jobs WHERE id = ?"),
    // RETURNING *: the stored row comes back from the insert itself, no second lookup.
    insertJob: db.prepare<[Record<string, unknown>], JobRow>(
      `INSERT INTO jobs (id, tenant, type, status, input, metadata, progress, attempt, max_attempts, result, error,
         cancel_requested, webhook_url, created_at, updated_at, started_at, completed_at, version, run_at)
       VALUES (@id, @tenant, @type, 'queued', @input, @metadata, NULL, 0, @max_attempts, NULL, NULL, 0, @webhook_url,
         @now, @now, NULL, NULL, 1, @now) RETURNING *`,
    ),
    // The group commit's per-item savepoints, prepared once instead of parsed on every write.
    savepoint: db.prepare("SAVEPOINT item"),
    release: db.prepare("RELEASE item"),
    rollbackTo: db.prepare("ROLLBACK TO item"),
    findKey: db.prepare<[string, string, number], { fingerprint: string; job_id: string }>(
      "SELECT fingerprint, job_id FROM idempotency_keys WHERE tenant = ? AND key = ? AND expires_at > ?",
    ),
    upsertKey: db.prepare(
      `INSERT INTO idempotency_keys (tenant, key, fingerprint, job_id, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant, key) DO UPDATE SET fingerprint = excluded.fingerprint, job_id = excluded.job_id, expires_at = excluded.expires_at`,
    ),
    deleteExpiredKeys: db.prepare("DELETE FROM idempotency_keys WHERE expires_at <= ?"),
    claimable: db.prepare<[number, number], { id: string }>(
      "SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ? ORDER BY run_at, id LIMIT ?",
    ),
    claim: db.prepare<[string, number, number, number, string], JobRow>(
      `UPDATE jobs SET status = 'running', attempt = attempt + 1, progress = NULL, lease_token = ?,
         lease_expires_at = ?, started_at = COALESCE(started_at, ?), updated_at = ?, version = version + 1
       WHERE id = ? AND status = 'queued' RETURNING *`,
    ),
    heartbeat: db.prepare<[number, string, string], { cancel_requested: number }>(
      "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_token = ? AND status = 'running' RETURNING cancel_requested",
    ),
    leased: db.prepare<[string, string], JobRow>("SELECT * FROM jobs WHERE id = ? AND lease_token = ? AND status = 'running'"),
    setProgress: db.prepare("UPDATE jobs SET progress = ?, updated_at = ?, version = version + 1 WHERE id = ?"),
    finish: db.prepare<[string, string | null, string | null, number, number, string], JobRow>(
      `UPDATE jobs SET status = ?, result = ?, error = ?, completed_at = ?, updated_at = ?, version = version + 1,
         lease_token = NULL, lease_expires_at = NULL WHERE id = ? RETURNING *`,
    ),
    requeue: db.prepare(
      `UPDATE jobs SET status = 'queued', run_at = ?, attempt = attempt - ?, progress = CASE WHEN ? THEN NULL ELSE progress END,
         lease_token = NULL, lease_expires_at = NULL, updated_at = ?, version = version + 1 WHERE id = ?`,
    ),
    requestCancel: db.prepare("UPDATE jobs SET cancel_requested = 1, updated_at = ?, version = version + 1 WHERE id = ?"),
    expired: db.prepare<[number], JobRow>("SELECT * FROM jobs WHERE status = 'running' AND lease_expires_at < ? LIMIT 500"),
    insertEvent: db.prepare(
      `INSERT INTO events (id, tenant, job_id, type, url, payload, state, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    ),
    dueEvents: db.prepare<[number, string, number], { id: string }>(
      "SELECT id FROM events WHERE state = 'pending' AND next_attempt_at <= ? AND tenant NOT IN (SELECT value FROM json_each(?)) ORDER BY next_attempt_at LIMIT ?",
    ),
    deferEvent: db.prepare<[number, string]>(
      "UPDATE events SET attempts = attempts - 1, next_attempt_at = ? WHERE id = ? AND state = 'pending' AND attempts > 0",
    ),
    claimEvent: db.prepare<[number, string], { id: string; tenant: string; job_id: string; type: string; url: string; payload: string; attempts: number }>(
      "UPDATE events SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND state = 'pending' RETURNING *",
    ),
    insertDelivery: db.prepare(
      `INSERT OR REPLACE INTO deliveries (event_id, attempt, status_code, error, at, next_attempt_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateEvent: db.prepare("UPDATE events SET state = ?, next_attempt_at = ? WHERE id = ?"),
    deliveries: db.prepare<[string], { event_id: string; attempt: number; status_code: number | null; error: string | null; at: number; next_attempt_at: number | null; state: DeliveryRecord["state"] }>(
      `SELECT d.* FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.job_id = ? ORDER BY d.at, d.attempt`,
    ),
  };

  // ---- group commit -------------------------------------------------------------------------
  let queue: Write<any>[] = [];
  let scheduled = false;
  let closed = false;

  function write<T>(run: (emit: (change: Change) => void) => T): Promise<T> {
    if (closed) return Promise.reject(new Error("store closed"));
    return new Promise<T>((resolve, reject) => {
      queue.push({ run, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  }

  type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
  // One transaction function for every batch (better-sqlite3 wraps it once, not per flush).
  const runBatch = db.transaction((batch: Write<any>[], emitted: Change[], outcomes: Outcome[]) => {
    for (const item of batch) {
      // A failed statement rolls back only itself in SQLite; the others in the batch commit.
      const mark = emitted.length;
      try {
        q.savepoint.run();
        outcomes.push({ ok: true, value: item.run((change) => emitted.push(change)) });
        q.release.run();
      } catch (error) {
        q.rollbackTo.run();
        q.release.run();
        emitted.length = mark;
        outcomes.push({ ok: false, error });
      }
    }
  });

  function flush() {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const emitted: Change[] = [];
    const outcomes: Outcome[] = [];
    try {
      runBatch.immediate(batch, emitted, outcomes);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
    for (const change of emitted) changes.emit(change);
    // No data_version bookkeeping here: it does not move for this connection's own commits.
  }

  // ---- other processes' commits -------------------------------------------------------------
  // PRAGMA data_version changes when another connection commits; then the watched jobs are
  // re-read and those whose version moved are announced, so a long poll here wakes on a
  // worker's change in another process.
  const dataVersionStmt = db.prepare("PRAGMA data_version").pluck();
  const dataVersion = () => dataVersionStmt.get() as number;
  let lastDataVersion = dataVersion();
  const knownVersions = new Map<string, number>();
  const watch = setInterval(() => {
    if (closed) return;
    const current = dataVersion();
    if (current === lastDataVersion) return;
    lastDataVersion = current;
    for (const id of changes.watchedJobIds()) {
      const row = q.version.get(id);
      if (row && knownVersions.get(id) !== row.version) {
        knownVersions.set(id, row.version);
        changes.emit({ kind: "job", jobId: id, status: "unknown" });
      }
    }
    changes.emit({ kind: "external" });
  }, options.watchIntervalMs ?? 15);
  watch.unref();

  // ---- transitions (run inside the batch transaction) ---------------------------------------
  function writeEvent(job: StoredJob, at: number, emit: (change: Change) => void) {
    if (job.webhookUrl === null) return;
    const event = toJobEvent(job);
    q.insertEvent.run(newId("evt", at), job.tenant, job.id, event.type, job.webhookUrl, JSON.stringify(event), at + firstDelay, at);
    emit({ kind: "outbox" });
  }

  /** Ends a job (terminal) and writes its outbox event in the same transaction. */
  function finish(id: string, status: "succeeded" | "failed" | "canceled", result: unknown, error: Problem | null, emit: (c: Change) => void) {
    const at = now();
    const row = q.finish.get(
      status,
      status === "succeeded" ? JSON.stringify(result ?? null) : null,
      error === null ? null : JSON.stringify(error),
      at,
      at,
      id,
    );
    if (!row) return;
    const job = fromRow(row);
    writeEvent(job, at, emit);
    emit({ kind: "job", jobId: id, status });
  }

  function held(lease: Lease): StoredJob | undefined {
    const row = q.leased.get(lease.id, lease.leaseToken);
    return row ? fromRow(row) : undefined;
  }

  const store: JobStore = {
    changes,
    async migrate() {
      migrate();
    },

    createJob(command: CreateJobCommand) {
      return write<CreateJobOutcome>((emit) => {
        const at = now();
        if (command.idempotency) {
          const existing = q.findKey.get(command.tenant, command.idempotency.key, at);
          if (existing) {
            if (existing.fingerprint !== command.idempotency.fingerprint) return { kind: "key_reused" };
            const row = q.getJobById.get(existing.job_id);
            if (row) return { kind: "replayed", job: fromRow(row) };
          }
        }
        const id = newId("job", at);
        const inserted = q.insertJob.get({
          id,
          tenant: command.tenant,
          type: command.type,
          input: JSON.stringify(command.input ?? null),
          metadata: JSON.stringify(command.metadata),
          max_attempts: command.maxAttempts,
          webhook_url: command.webhookUrl,
          now: at,
        });
        if (command.idempotency) {
          const { key, fingerprint, ttlMs } = command.idempotency;
          q.upsertKey.run(command.tenant, key, fingerprint, id, at + ttlMs);
        }
        emit({ kind: "job", jobId: id, status: "queued" });
        return { kind: "created", job: fromRow(inserted!) };
      });
    },

    async findIdempotencyKey(tenant, key) {
      const row = q.findKey.get(tenant, key, now());
      return row ? { fingerprint: row.fingerprint, jobId: row.job_id } : undefined;
    },

    async countQueued(tenant, atMost) {
      const sql = tenant === null
        ? "SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs WHERE status = 'queued' LIMIT ?)"
        : "SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs WHERE status = 'queued' AND tenant = ? LIMIT ?)";
      const params = tenant === null ? [atMost] : [tenant, atMost];
      return (db.prepare(sql).get(...params) as { n: number }).n;
    },

    async getJob(tenant, id) {
      const row = q.getJob.get(id, tenant);
      return row ? fromRow(row) : undefined;
    },

    async listJobs(query: ListJobsQuery) {
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
      const rows = db.prepare(`SELECT * FROM jobs WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`).all(...params) as JobRow[];
      return rows.map(fromRow);
    },

    requestCancel(tenant, id) {
      return write<CancelOutcome>((emit) => {
        const row = q.getJob.get(id, tenant);
        if (!row) return { kind: "not_found" };
        if (row.status === "queued") {
          q.requestCancel.run(now(), id);
          finish(id, "canceled", null, null, emit);
          return { kind: "canceled", job: fromRow(q.getJobById.get(id)!) };
        }
        if (row.status === "running") {
          if (row.cancel_requested === 0) {
            q.requestCancel.run(now(), id);
            // A distinct status so workers in this process abort the job at once.
            emit({ kind: "job", jobId: id, status: "cancel_requested" });
          }
          return { kind: "cancel_requested", job: fromRow(q.getJobById.get(id)!) };
        }
        if (row.status === "canceled") return { kind: "already_canceled", job: fromRow(row) };
        return { kind: "terminal", job: fromRow(row) };
      });
    },

    claimJobs({ limit, leaseMs, now: at0 }) {
      return write((emit) => {
        const at = at0 ?? now();
        const claimed: StoredJob[] = [];
        for (const { id } of q.claimable.all(at, limit)) {
          const row = q.claim.get(randomUUID(), at + leaseMs, at, at, id);
          if (!row) continue;
          claimed.push(fromRow(row));
          emit({ kind: "job", jobId: id, status: "running" });
        }
        return claimed;
      });
    },

    heartbeat(leases, leaseMs) {
      return write(() => {
        const result = new Map<string, HeartbeatResult>();
        const until = now() + leaseMs;
        for (const lease of leases) {
          const row = q.heartbeat.get(until, lease.id, lease.leaseToken);
          result.set(lease.id, row ? { state: "held", cancelRequested: row.cancel_requested === 1 } : { state: "lost", cancelRequested: false });
        }
        return result;
      });
    },

    reportProgress(lease, percent, message) {
      return write((emit) => {
        const job = held(lease);
        if (!job) return false;
        const value = Math.max(0, Math.min(100, percent));
        // Within an attempt progress never goes down (spec §2).
        if (job.progress && value < job.progress.percent) return false;
        if (job.progress && value === job.progress.percent && (message ?? null) === job.progress.message) return true;
        q.setProgress.run(JSON.stringify({ percent: value, message: message ?? null }), now(), lease.id);
        emit({ kind: "job", jobId: lease.id, status: "running" });
        return true;
      });
    },

    completeJob(lease, result) {
      return write((emit) => {
        if (!held(lease)) return false;
        finish(lease.id, "succeeded", result, null, emit);
        return true;
      });
    },

    failJob(lease, error, retryAt) {
      return write((emit) => {
        const job = held(lease);
        if (!job) return false;
        if (retryAt === undefined) {
          finish(lease.id, "failed", null, error, emit);
        } else if (job.attempt >= job.maxAttempts) {
          finish(lease.id, "failed", null, attemptsExhausted(job.maxAttempts, `The last attempt failed: ${error.detail ?? error.code}.`), emit);
        } else {
          q.requeue.run(retryAt, 0, 0, now(), lease.id);
          emit({ kind: "job", jobId: lease.id, status: "queued" });
        }
        return true;
      });
    },

    cancelRunningJob(lease) {
      return write((emit) => {
        if (!held(lease)) return false;
        finish(lease.id, "canceled", null, null, emit);
        return true;
      });
    },

    releaseJob(lease) {
      return write((emit) => {
        if (!held(lease)) return false;
        // The attempt did not really happen: give it back so max_attempts still counts real ones.
        q.requeue.run(now(), 1, 1, now(), lease.id);
        emit({ kind: "job", jobId: lease.id, status: "queued" });
        return true;
      });
    },

    recoverExpiredLeases(at0) {
      return write((emit) => {
        const at = at0 ?? now();
        let count = 0;
        for (const row of q.expired.all(at)) {
          count++;
          if (row.cancel_requested === 1) finish(row.id, "canceled", null, null, emit);
          else if (row.attempt >= row.max_attempts) {
            finish(row.id, "failed", null, attemptsExhausted(row.max_attempts, "The job's lease was lost."), emit);
          } else {
            q.requeue.run(now(), 0, 0, now(), row.id);
            emit({ kind: "job", jobId: row.id, status: "queued" });
          }
        }
        if (count > 0) q.deleteExpiredKeys.run(at);
        return count;
      });
    },

    claimDueEvents({ limit, leaseMs, now: at0, skipTenants = [] }) {
      return write(() => {
        const at = at0 ?? now();
        const events: OutboxEvent[] = [];
        for (const { id } of q.dueEvents.all(at, JSON.stringify(skipTenants), limit)) {
          const row = q.claimEvent.get(at + leaseMs, id);
          if (!row) continue;
          events.push({ id: row.id, tenant: row.tenant, jobId: row.job_id, type: row.type, url: row.url, payload: row.payload, attempts: row.attempts });
        }
        return events;
      });
    },

    deferEvent(eventId, until) {
      return write(() => {
        q.deferEvent.run(until, eventId);
      });
    },

    recordDelivery(record) {
      return write(() => {
        q.insertDelivery.run(record.eventId, record.attempt, record.statusCode, record.error, record.at, record.nextAttemptAt, record.state);
        q.updateEvent.run(record.state, record.nextAttemptAt ?? record.at, record.eventId);
      });
    },

    async listDeliveries(tenant, jobId) {
      if (!q.getJob.get(jobId, tenant)) return undefined;
      return q.deliveries.all(jobId).map((r) => ({
        eventId: r.event_id,
        attempt: r.attempt,
        statusCode: r.status_code,
        error: r.error,
        at: r.at,
        nextAttemptAt: r.next_attempt_at,
        state: r.state,
      }));
    },

    async close() {
      if (closed) return;
      // Let queued writes commit before the file closes.
      while (queue.length > 0 || scheduled) await new Promise((r) => setImmediate(r));
      closed = true;
      clearInterval(watch);
      db.close();
    },
  };
  return store;
}
