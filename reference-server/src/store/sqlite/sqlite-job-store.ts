import { randomUUID } from "node:crypto";
import { sendsWebhookEvent } from "async-jobs/protocol";
import type { JobEvent, Problem } from "async-jobs/types";
import { type Change, createChangeNotifier } from "../../change-notifier.ts";
import { newId } from "../../new-id.ts";
import { candidateWindow, pickClaims, saturatedTenants } from "../claim-fairness.ts";
import { toJobEvent } from "../job-representation.ts";
import { decodeJobRow, encodeEnd, encodeNewJob } from "../job-row.ts";
import type { JobStore, JobStoreOptions, Lease, OutboxEvent, StoredJob } from "../job-store.ts";
import { decodeDeliveryRow, decodeEventRow } from "../outbox-row.ts";
import { type AttemptDecision, onAttemptFailed, onCancelRequested, onLeaseExpired, unprocessableJob } from "../job-transitions.ts";
import { translateErrors } from "../store-errors.ts";
import { prepareJobStatements } from "./job-statements.ts";
import { fromSqliteError, openSqliteDatabase } from "./open-sqlite-database.ts";
import { migrateSqliteDatabase } from "./schema.ts";
import { createWriteBatches } from "./write-batches.ts";

export interface SqliteJobStoreOptions extends JobStoreOptions {
  /** Database file; its directory is created. `:memory:` for throwaway stores. */
  path: string;
  /** How often other processes' commits are looked for while someone waits. @default 15 */
  watchIntervalMs?: number;
  /** How long a write waits for another process's write lock before it is a `StoreBusyError`. @default 10000 */
  busyTimeoutMs?: number;
}

type Emit = (change: Change) => void;

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
  const db = openSqliteDatabase(options.path, { busyTimeoutMs: options.busyTimeoutMs });
  db.pragma("foreign_keys = OFF");
  const now = options.now ?? Date.now;
  const changes = options.changes ?? createChangeNotifier();
  const firstDelay = options.webhookFirstDelayMs ?? 0;
  const maxRunning = options.maxRunningPerTenant ?? Infinity;
  const log = options.log ?? (() => {});

  migrateSqliteDatabase(db, now());
  const q = prepareJobStatements(db);
  const batches = createWriteBatches(db, (change) => changes.emit(change));
  const write = batches.write;
  let closed = false;

  // ---- other processes' commits -------------------------------------------------------------
  // PRAGMA data_version changes when another connection commits; then the watched jobs are
  // re-read and those whose version moved are announced, so a long poll here wakes on a
  // worker's change in another process. (It does not move for this connection's own commits.)
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

  // ---- persisting decisions (inside a batch's transaction) ----------------------------------
  /** Ends a job (terminal) and writes its outbox event in the same transaction. */
  function end(id: string, status: "succeeded" | "failed" | "canceled", result: unknown, error: Problem | null, emit: Emit) {
    const at = now();
    const row = q.end.get({ ...encodeEnd(status, result, error), at, id });
    if (!row) return undefined;
    const job = decodeJobRow(row);
    if (job.webhookUrl !== null && sendsWebhookEvent(job.webhookEvents, `job.${status}`)) insertEvent(job, toJobEvent(job), emit);
    emit({ kind: "job", jobId: id, status });
    return job;
  }

  /** Writes a job's webhook event to the outbox, in the caller's transaction. */
  function insertEvent(job: StoredJob, event: JobEvent, emit: Emit) {
    const at = now();
    q.insertEvent.run(newId("evt", at), job.tenant, job.id, event.type, job.webhookUrl!, JSON.stringify(event), at + firstDelay, at);
    emit({ kind: "outbox" });
  }

  function apply(job: StoredJob, decision: AttemptDecision, emit: Emit) {
    if (decision.kind === "end") return void end(job.id, decision.status, null, decision.error, emit);
    q.requeue.run({ run_at: decision.runAt, refund: 0, at: now(), id: job.id });
    emit({ kind: "job", jobId: job.id, status: "queued" });
  }

  function held(lease: Lease): StoredJob | undefined {
    const row = q.leased.get(lease.id, lease.leaseToken);
    return row ? decodeJobRow(row) : undefined;
  }

  /** Ids to claim, oldest due first, skipping tenants at their running limit (claim-fairness.ts). */
  function claimOrder(at: number, limit: number): string[] {
    if (maxRunning === Infinity) return q.claimable.all(at, limit).map((row) => row.id);
    const running = new Map(q.runningPerTenant.all().map((row) => [row.tenant, row.n]));
    const skip = JSON.stringify(saturatedTenants(running, maxRunning));
    return pickClaims(q.claimableExcept.all(at, skip, candidateWindow(limit)), running, limit, maxRunning);
  }

  /** A job recovery could not process: failed without reading its row, or left for the next sweep. */
  function failUnprocessable(id: string, cause: unknown, emit: Emit) {
    log(`job ${id} could not be recovered from its lost lease; failing it`, cause);
    const failed = batches.isolated(() => q.failUndecodable.run({ error: JSON.stringify(unprocessableJob(cause)), at: now(), id }));
    if (failed.ok) emit({ kind: "job", jobId: id, status: "failed" });
    else log(`job ${id} could not be failed either; skipped`, failed.error);
  }

  const store: JobStore = {
    changes,
    async migrate() {
      migrateSqliteDatabase(db, now());
    },

    createJob(command) {
      return write((emit) => {
        const at = now();
        if (command.idempotency) {
          const existing = q.findKey.get(command.tenant, command.idempotency.key, at);
          if (existing) {
            if (existing.fingerprint !== command.idempotency.fingerprint) return { kind: "key_reused" };
            const row = q.getJobById.get(existing.job_id);
            if (row) return { kind: "replayed", job: decodeJobRow(row) };
          }
        }
        const id = newId("job", at);
        const inserted = q.insertJob.get(encodeNewJob(command, id, at))!;
        if (command.idempotency) {
          const { key, fingerprint, ttlMs } = command.idempotency;
          q.upsertKey.run(command.tenant, key, fingerprint, id, at + ttlMs);
        }
        emit({ kind: "job", jobId: id, status: "queued" });
        return { kind: "created", job: decodeJobRow(inserted) };
      });
    },

    async findIdempotencyKey(tenant, key) {
      const row = q.findKey.get(tenant, key, now());
      return row ? { fingerprint: row.fingerprint, jobId: row.job_id } : undefined;
    },

    async countQueued(tenant, atMost) {
      return (tenant === null ? q.countQueued.get(atMost) : q.countQueuedOfTenant.get(tenant, atMost))!.n;
    },

    async getJob(tenant, id) {
      const row = q.getJob.get(id, tenant);
      return row ? decodeJobRow(row) : undefined;
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

    requestCancel(tenant, id) {
      return write((emit) => {
        const row = q.getJob.get(id, tenant);
        if (!row) return { kind: "not_found" };
        const job = decodeJobRow(row);
        const decision = onCancelRequested(job);
        switch (decision.kind) {
          case "cancel_now":
            q.flagCancel.run(now(), id);
            return { kind: "canceled", job: end(id, "canceled", null, null, emit)! };
          case "flag_running":
            q.flagCancel.run(now(), id);
            // A distinct status so workers in this process abort the job at once.
            emit({ kind: "job", jobId: id, status: "cancel_requested" });
            return { kind: "cancel_requested", job: decodeJobRow(q.getJobById.get(id)!) };
          case "already_flagged":
            return { kind: "cancel_requested", job };
          default:
            return { kind: decision.kind, job };
        }
      });
    },

    claimJobs({ limit, leaseMs, now: at0 }) {
      return write((emit) => {
        const at = at0 ?? now();
        const claimed: StoredJob[] = [];
        for (const id of claimOrder(at, limit)) {
          const row = q.claim.get(randomUUID(), at + leaseMs, at, at, id);
          if (!row) continue;
          claimed.push(decodeJobRow(row));
          emit({ kind: "job", jobId: id, status: "running" });
        }
        return claimed;
      });
    },

    heartbeat(leases, leaseMs) {
      return write(() => {
        const result = new Map<string, { state: "held" | "lost"; cancelRequested: boolean }>();
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
        q.setProgress.run(value, message ?? null, now(), lease.id);
        emit({ kind: "job", jobId: lease.id, status: "running" });
        return true;
      });
    },

    enqueueLifecycleEvent(lease, type) {
      return write((emit) => {
        const job = held(lease);
        if (!job || job.webhookUrl === null) return false;
        insertEvent(job, toJobEvent(job, type), emit);
        return true;
      });
    },

    completeJob(lease, result) {
      return write((emit) => {
        if (!held(lease)) return false;
        end(lease.id, "succeeded", result, null, emit);
        return true;
      });
    },

    failJob(lease, error, retryAt) {
      return write((emit) => {
        const job = held(lease);
        if (!job) return false;
        apply(job, onAttemptFailed(job, { error, retryAt }), emit);
        return true;
      });
    },

    cancelRunningJob(lease) {
      return write((emit) => {
        if (!held(lease)) return false;
        end(lease.id, "canceled", null, null, emit);
        return true;
      });
    },

    releaseJob(lease) {
      return write((emit) => {
        if (!held(lease)) return false;
        // The attempt did not really happen: give it back so max_attempts still counts real ones.
        q.requeue.run({ run_at: now(), refund: 1, at: now(), id: lease.id });
        emit({ kind: "job", jobId: lease.id, status: "queued" });
        return true;
      });
    },

    recoverExpiredLeases(at0) {
      return write((emit) => {
        const expired = q.expiredLeases.all(at0 ?? now());
        for (const { id } of expired) {
          // Its own savepoint: a row that cannot be processed rolls back alone (issue 13, finding 1).
          const recovered = batches.isolated(() => {
            const job = decodeJobRow(q.getJobById.get(id)!);
            apply(job, onLeaseExpired(job, now()), emit);
          });
          if (!recovered.ok) failUnprocessable(id, recovered.error, emit);
        }
        return expired.length;
      });
    },

    async queueStats() {
      return q.queueStats.all().map((r) => ({ type: r.type, queued: r.queued, oldestCreatedAt: r.oldest }));
    },

    purgeExpired({ now: at, jobsEndedBefore, limit }) {
      return write(() => {
        const ended = q.endedBefore.all(jobsEndedBefore, limit);
        for (const { id } of ended) {
          q.deleteDeliveries.run(id);
          q.deleteEvents.run(id);
          q.deleteJob.run(id);
        }
        return { jobs: ended.length, keys: q.deleteExpiredKeys.run(at, limit).changes };
      });
    },

    claimDueEvents({ limit, leaseMs, now: at0, skipTenants = [] }) {
      return write(() => {
        const at = at0 ?? now();
        const events: OutboxEvent[] = [];
        for (const { id } of q.dueEvents.all(at, JSON.stringify(skipTenants), limit)) {
          const row = q.claimEvent.get(at + leaseMs, id);
          if (row) events.push(decodeEventRow(row));
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
      return q.deliveries.all(jobId).map(decodeDeliveryRow);
    },

    async close() {
      if (closed) return;
      await batches.close();
      closed = true;
      clearInterval(watch);
      db.close();
    },
  };
  return translateErrors(store, fromSqliteError);
}
