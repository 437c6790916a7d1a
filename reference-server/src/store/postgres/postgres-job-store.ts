import { randomBytes } from "node:crypto";
import pg from "pg";
import { guardPool, POOL_FAULT_OPTIONS } from "./pg-pool-guard.ts";
import { sendsWebhookEvent } from "async-jobs/protocol";
import type { JobEvent, Problem } from "async-jobs/types";
import { createChangeNotifier } from "../../change-notifier.ts";
import { newId } from "../../new-id.ts";
import { candidateWindow, pickClaims, saturatedTenants } from "../claim-fairness.ts";
import { cachedJobText, cachedJobTextOf, toJobEvent } from "../job-representation.ts";
import { decodeJobRow, encodeEnd, type JobRow } from "../job-row.ts";
import type { JobStore, JobStoreOptions, Lease, StoredJob } from "../job-store.ts";
import { decodeDeliveryRow, decodeEventRow, type DeliveryRow, type EventRow } from "../outbox-row.ts";
import { type AttemptDecision, onAttemptFailed, onCancelRequested, onLeaseExpired, unprocessableJob } from "../job-transitions.ts";
import { translateErrors } from "../store-errors.ts";
import { createJobBatches } from "./job-batches.ts";
import { postgresJobStatements } from "./job-statements.ts";
import { DEFAULT_CHANNEL, listenForChanges } from "./listen-for-changes.ts";
import { fromPostgresError, hasNul } from "./postgres-errors.ts";
import { migratePostgresDatabase } from "./schema.ts";
import { createTransactions, type Tx } from "./transaction.ts";

export interface PostgresJobStoreOptions extends JobStoreOptions {
  /** `postgres://user@host:port/database` */
  url: string;
  /** Connections in this process's pool (the LISTEN connection is one more). @default 10 */
  poolSize?: number;
  /** The NOTIFY channel; every process of one deployment must use the same. @default "async_jobs" */
  channel?: string;
}

/** The Postgres store; `listenerPid` names the LISTEN connection's backend (tests terminate it). */
export interface PostgresJobStore extends JobStore {
  listenerPid(): number | undefined;
}

type Ending = "succeeded" | "failed" | "canceled";

/**
 * The scale-out store: PostgreSQL through a `pg` pool, so API and worker processes on many
 * machines share one queue. Claims take due jobs with `FOR UPDATE SKIP LOCKED` in the order of
 * the `jobs_claim` index; every transition checks state (and lease token) in its `WHERE`, so a
 * terminal job never changes and a lost lease cannot finish a job. Leases run on the database's
 * clock. Every change NOTIFYs in its own transaction; a dedicated LISTEN connection turns other
 * processes' notifications into `changes` events, so a long poll here wakes when a worker
 * elsewhere commits. Hot paths (submit, claim, complete without webhook, progress) are single
 * statements, and concurrent submits and completes share them (group commit): a commit that
 * NOTIFYs holds a global lock through its WAL flush, so one commit per call would cap
 * throughput at the disk's sync rate.
 *
 * @example
 * const store = await openPostgresJobStore({ url: "postgres://app@db/jobs" });
 * const outcome = await store.createJob({ tenant: "t1", type: "conformance.echo", input: {}, metadata: {}, maxAttempts: 3, webhookUrl: null });
 */
export async function openPostgresJobStore(options: PostgresJobStoreOptions): Promise<PostgresJobStore> {
  const now = options.now ?? Date.now;
  const changes = options.changes ?? createChangeNotifier();
  const firstDelay = options.webhookFirstDelayMs ?? 0;
  const maxRunning = options.maxRunningPerTenant ?? Infinity;
  const channel = options.channel ?? DEFAULT_CHANNEL;
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  const log = options.log ?? (() => {});
  // Names this store instance in its notifications: it emits its own changes right after commit
  // and ignores their echo from LISTEN.
  const origin = randomBytes(4).toString("hex");
  const sql = postgresJobStatements(
    (status, alias = "") => `pg_notify('${channel}', concat_ws(' ', 'j', '${origin}', ${status}, ${alias}id, ${alias}tenant))`,
  );

  // A client's connection may die (restart, terminate): the pool drops it; do not crash (issue 20).
  const pool = guardPool(
    new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, application_name: "async-jobs", ...POOL_FAULT_OPTIONS }),
    log,
  );
  const transaction = createTransactions(pool, { channel, origin, changes });
  const migrate = () => migratePostgresDatabase(pool, now());
  // Named statements are parsed and planned once per connection.
  const run = <R extends pg.QueryResultRow = any>(name: string, text: string, values: unknown[]) =>
    pool.query<R>({ name, text, values });
  const emitJob = (id: string, status: string) => changes.emit({ kind: "job", jobId: id, status });

  // ---- persisting decisions inside a transaction --------------------------------------------
  /** Ends a locked job and writes its outbox event in the same transaction. */
  async function endInTx(tx: Tx, id: string, status: Ending, result: unknown, error: Problem | null) {
    const at = now();
    const columns = encodeEnd(status, result, error);
    const { rows } = await tx.query<JobRow>(sql.end, [id, status, columns.result, columns.error, at]);
    const job = decodeJobRow(rows[0]!);
    if (job.webhookUrl !== null && sendsWebhookEvent(job.webhookEvents, `job.${status}`)) await insertEventInTx(tx, job, toJobEvent(job));
    tx.announce({ kind: "job", jobId: id, status }, job.tenant);
    return job;
  }

  /** Writes a job's webhook event to the outbox, in the caller's transaction. */
  async function insertEventInTx(tx: Tx, job: StoredJob, event: JobEvent) {
    const at = now();
    await tx.query(sql.insertEvent, [newId("evt", at), job.tenant, job.id, event.type, job.webhookUrl, JSON.stringify(event), at + firstDelay, at]);
    tx.announce({ kind: "outbox" });
  }

  async function applyInTx(tx: Tx, job: StoredJob, decision: AttemptDecision) {
    if (decision.kind === "end") return void (await endInTx(tx, job.id, decision.status, null, decision.error));
    await tx.query(sql.requeue, [job.id, decision.runAt, now()]);
    tx.announce({ kind: "job", jobId: job.id, status: "queued" }, job.tenant);
  }

  async function lockLeased(tx: Tx, lease: Lease): Promise<StoredJob | undefined> {
    const { rows } = await tx.query<JobRow>(sql.lockLeased, [lease.id, lease.leaseToken]);
    return rows[0] ? decodeJobRow(rows[0]) : undefined;
  }

  /** A job recovery could not process: failed without reading its row, or left for the next sweep. */
  async function failUnprocessable(tx: Tx, id: string, cause: unknown) {
    log(`job ${id} could not be recovered from its lost lease; failing it`, cause);
    const failed = await tx.isolated(() => tx.query<{ tenant: string }>(sql.failUnprocessable, [id, JSON.stringify(unprocessableJob(cause)), now()]));
    if (!failed.ok) return log(`job ${id} could not be failed either; skipped`, failed.error);
    const tenant = failed.value.rows[0]?.tenant;
    if (tenant !== undefined) tx.announce({ kind: "job", jobId: id, status: "failed" }, tenant);
  }

  const batches = createJobBatches({ run, sql, now, emitJob });

  async function endLeased(lease: Lease, status: Ending, result: unknown, error: Problem | null) {
    if (await batches.endPlain({ lease, status, result, error })) return true;
    // The lease is lost, or the job has a webhook and needs its outbox row.
    return transaction(async (tx) => {
      if (!(await lockLeased(tx, lease))) return false;
      await endInTx(tx, lease.id, status, result, error);
      return true;
    });
  }

  /** The fair claim: oldest due jobs of tenants below their limit (claim-fairness.ts). */
  function claimFairly(at: number, limit: number, leaseMs: number) {
    return transaction(async (tx) => {
      // Fair claims of every process take turns, so each counts the others' committed claims
      // and the limit holds exactly (a claim is a few ms; only deployments with a limit pay it).
      await tx.query(sql.fairClaimLock);
      const counts = await tx.query<{ tenant: string; n: number }>(sql.runningPerTenant);
      const running = new Map(counts.rows.map((r) => [r.tenant, r.n]));
      const candidates = await tx.query<{ id: string; tenant: string }>(sql.claimCandidates, [
        at,
        saturatedTenants(running, maxRunning),
        candidateWindow(limit),
      ]);
      const picked = pickClaims(candidates.rows, running, limit, maxRunning);
      if (picked.length === 0) return [];
      const { rows } = await tx.query<JobRow>(sql.claimPicked, [at, picked, leaseMs]);
      for (const row of rows) tx.announce({ kind: "job", jobId: row.id, status: "running" }, row.tenant);
      return rows;
    });
  }

  let closed = false;
  await migrate();
  const listener = listenForChanges({
    url: options.url,
    channel,
    log,
    onChange(from, change) {
      if (from !== origin) changes.emit(change);
    },
    onReconnect() {
      // Notifications sent while disconnected are gone: everyone waiting re-reads.
      for (const id of [...changes.watchedJobIds()]) changes.emit({ kind: "job", jobId: id, status: "unknown" });
      changes.emit({ kind: "external" });
    },
  });
  try {
    await listener.ready;
  } catch (error) {
    await listener.close();
    await pool.end();
    throw error;
  }

  const store: PostgresJobStore = {
    changes,
    listenerPid: () => listener.backendPid(),
    migrate,

    async createJob(command) {
      const key = command.idempotency;
      for (let round = 0; round < 3; round++) {
        const row = await batches.insertJob(command);
        if (row) return { kind: "created", job: decodeJobRow(row) };
        if (!key) throw new Error("createJob inserted nothing without an idempotency key");
        const found = await run<JobRow & { fingerprint: string; key_job_id: string }>("find_keyed_job", sql.findKeyedJob, [
          command.tenant,
          key.key,
          now(),
        ]);
        const existing = found.rows[0];
        if (!existing) continue; // the key expired in between: try to take it again
        if (existing.fingerprint !== key.fingerprint) return { kind: "key_reused" };
        if (existing.id !== null) return { kind: "replayed", job: decodeJobRow(existing) };
        // The key outlived its job: free it and create the job anew.
        await pool.query(sql.freeKey, [command.tenant, key.key, existing.key_job_id]);
      }
      throw new Error(`could not create a job for idempotency key ${key?.key}`);
    },

    async findIdempotencyKey(tenant, key) {
      if (hasNul(key)) return undefined;
      const { rows } = await run<{ fingerprint: string; job_id: string }>("find_key", sql.findKey, [tenant, key, now()]);
      return rows[0] ? { fingerprint: rows[0].fingerprint, jobId: rows[0].job_id } : undefined;
    },

    async countQueued(tenant, atMost) {
      const { rows } = await pool.query<{ n: string }>(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs WHERE status = 'queued' AND ($1::text IS NULL OR tenant = $1) LIMIT $2) q",
        [tenant, atMost],
      );
      return Number(rows[0]!.n);
    },

    async getJob(tenant, id) {
      if (hasNul(id)) return undefined;
      const row = await batches.getJob(tenant, id);
      return row ? decodeJobRow(row) : undefined;
    },

    async readJobText(tenant, id) {
      if (hasNul(id)) return undefined;
      // The row comes in the same batched round trip either way (a version lookup alone would add
      // one); an unchanged version is answered with its text, without decoding the row again.
      const row = await batches.getJob(tenant, id);
      if (row === undefined) return undefined;
      return cachedJobTextOf(row.id, row.version) ?? cachedJobText(decodeJobRow(row));
    },

    async listJobs(query) {
      if (hasNul(query.type ?? "") || hasNul(query.beforeId ?? "")) return [];
      // Keyset pagination on the time-sortable id: a page never repeats or skips a job (spec §2).
      const where = ["tenant = $1"];
      const values: unknown[] = [query.tenant];
      if (query.beforeId !== undefined) {
        values.push(query.beforeId);
        where.push(`id < $${values.length}`);
      }
      if (query.statuses?.length) {
        values.push(query.statuses);
        where.push(`status = ANY($${values.length}::text[])`);
      }
      if (query.type !== undefined) {
        values.push(query.type);
        where.push(`type = $${values.length}`);
      }
      values.push(query.limit);
      const { rows } = await pool.query<JobRow>(
        `SELECT * FROM jobs WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT $${values.length}`,
        values,
      );
      return rows.map(decodeJobRow);
    },

    requestCancel(tenant, id) {
      if (hasNul(id)) return Promise.resolve({ kind: "not_found" });
      return transaction(async (tx) => {
        const { rows } = await tx.query<JobRow>(sql.lockJob, [id, tenant]);
        if (!rows[0]) return { kind: "not_found" };
        const job = decodeJobRow(rows[0]);
        const decision = onCancelRequested(job);
        switch (decision.kind) {
          case "cancel_now":
            await tx.query(sql.flagCancel, [id, now()]);
            return { kind: "canceled", job: await endInTx(tx, id, "canceled", null, null) };
          case "flag_running": {
            const updated = await tx.query<JobRow>(sql.flagCancel, [id, now()]);
            // A distinct status so the worker holding the job aborts it at once, in any process.
            tx.announce({ kind: "job", jobId: id, status: "cancel_requested" }, tenant);
            return { kind: "cancel_requested", job: decodeJobRow(updated.rows[0]!) };
          }
          case "already_flagged":
            return { kind: "cancel_requested", job };
          default:
            return { kind: decision.kind, job };
        }
      });
    },

    async claimJobs({ limit, leaseMs, now: at0 }) {
      if (limit <= 0) return [];
      const at = at0 ?? now();
      let rows: JobRow[];
      if (maxRunning === Infinity) {
        rows = (await run<JobRow>("claim_jobs", sql.claim, [at, limit, leaseMs])).rows;
        for (const row of rows) emitJob(row.id, "running");
      } else {
        rows = await claimFairly(at, limit, leaseMs);
      }
      return rows.map(decodeJobRow).sort((a, b) => a.runAt - b.runAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async heartbeat(leases, leaseMs) {
      const result = new Map<string, { state: "held" | "lost"; cancelRequested: boolean }>();
      if (leases.length === 0) return result;
      const { rows } = await run<{ id: string; cancel_requested: boolean }>("heartbeat", sql.heartbeat, [
        leaseMs,
        leases.map((l) => l.id),
        leases.map((l) => l.leaseToken),
      ]);
      const held = new Map(rows.map((r) => [r.id, r.cancel_requested]));
      for (const lease of leases) {
        const cancel = held.get(lease.id);
        result.set(lease.id, cancel === undefined ? { state: "lost", cancelRequested: false } : { state: "held", cancelRequested: cancel });
      }
      return result;
    },

    async reportProgress(lease, percent, message) {
      const value = Math.max(0, Math.min(100, percent));
      const { rows } = await run<{ held: boolean; updated: number; percent: number | null; message: string | null }>(
        "report_progress",
        sql.progress,
        [lease.id, lease.leaseToken, value, message ?? null, now()],
      );
      const row = rows[0]!;
      if (row.updated > 0) {
        emitJob(lease.id, "running");
        return true;
      }
      // Not written: either the lease is gone, the percent would go down, or nothing changed.
      return row.held && row.percent === value && row.message === (message ?? null);
    },

    enqueueLifecycleEvent(lease, type) {
      return transaction(async (tx) => {
        // Locked while the lease holds: an end committing meanwhile waits, so its event comes after.
        const { rows } = await tx.query<JobRow>(sql.lockLeased, [lease.id, lease.leaseToken]);
        const job = rows[0] ? decodeJobRow(rows[0]) : undefined;
        if (!job || job.webhookUrl === null) return false;
        await insertEventInTx(tx, job, toJobEvent(job, type));
        return true;
      });
    },

    completeJob(lease, result) {
      return endLeased(lease, "succeeded", result, null);
    },

    failJob(lease, error, retryAt) {
      if (retryAt === undefined) return endLeased(lease, "failed", null, error);
      return transaction(async (tx) => {
        const job = await lockLeased(tx, lease);
        if (!job) return false;
        await applyInTx(tx, job, onAttemptFailed(job, { error, retryAt }));
        return true;
      });
    },

    cancelRunningJob(lease) {
      return endLeased(lease, "canceled", null, null);
    },

    async releaseJob(lease) {
      // The attempt did not really happen: give it back so max_attempts still counts real ones.
      const { rowCount } = await run("release_job", sql.release, [lease.id, lease.leaseToken, now()]);
      if (rowCount !== 1) return false;
      emitJob(lease.id, "queued");
      return true;
    },

    async recoverExpiredLeases(at) {
      // Every worker process calls this every few hundred ms: a cheap probe (on jobs_lease) first.
      const probe = await run("expired_probe", sql.expiredProbe, [at ?? null]);
      if (probe.rowCount === 0) return 0;
      return transaction(async (tx) => {
        const { rows } = await tx.query<JobRow>(sql.lockExpired, [at ?? null]);
        for (const row of rows) {
          // Its own savepoint: a row that cannot be processed rolls back alone (issue 13, finding 1).
          const recovered = await tx.isolated(async () => {
            const job = decodeJobRow(row);
            await applyInTx(tx, job, onLeaseExpired(job, now()));
          });
          if (!recovered.ok) await failUnprocessable(tx, row.id, recovered.error);
        }
        return rows.length;
      });
    },

    async queueStats() {
      const { rows } = await pool.query<{ type: string; queued: number; oldest: string }>(sql.queueStats);
      return rows.map((r) => ({ type: r.type, queued: r.queued, oldestCreatedAt: Number(r.oldest) }));
    },

    async purgeExpired({ now: at, jobsEndedBefore, limit }) {
      const jobs = await pool.query(sql.purgeJobs, [jobsEndedBefore, limit]);
      const keys = await pool.query(sql.purgeKeys, [at, limit]);
      return { jobs: jobs.rowCount ?? 0, keys: keys.rowCount ?? 0 };
    },

    async claimDueEvents({ limit, leaseMs, now: at0, skipTenants = [] }) {
      if (limit <= 0) return [];
      const at = at0 ?? now();
      const { rows } = await run<EventRow>("claim_events", sql.claimEvents, [at, limit, at + leaseMs, [...skipTenants]]);
      return rows.map(decodeEventRow).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async deferEvent(eventId, until) {
      await run("defer_event", sql.deferEvent, [eventId, until]);
    },

    async recordDelivery(record) {
      await run("record_delivery", sql.recordDelivery, [
        record.eventId,
        record.attempt,
        record.statusCode,
        record.error,
        record.at,
        record.nextAttemptAt,
        record.state,
        record.nextAttemptAt ?? record.at,
      ]);
    },

    async listDeliveries(tenant, jobId) {
      if (hasNul(jobId)) return undefined;
      // One row per delivery, or one with null columns for a job without any (LEFT JOIN).
      const { rows } = await run<DeliveryRow | { event_id: null }>("list_deliveries", sql.deliveries, [jobId, tenant]);
      if (rows.length === 0) return undefined;
      return rows.filter((r): r is DeliveryRow => r.event_id !== null).map(decodeDeliveryRow);
    },

    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await pool.end();
    },
  };
  return translateErrors(store, fromPostgresError);
}
