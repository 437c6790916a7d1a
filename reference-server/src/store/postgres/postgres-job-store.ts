import { randomBytes } from "node:crypto";
import pg from "pg";
import { guardPool, POOL_FAULT_OPTIONS } from "./pg-pool-guard.ts";
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
import { createGroupCommit } from "./group-commit.ts";
import { DEFAULT_CHANNEL, encodeChange, listenForChanges } from "./listen-for-changes.ts";
import { postgresMigrations } from "./postgres-migrations.ts";

export interface PostgresJobStoreOptions {
  /** `postgres://user@host:port/database` */
  url: string;
  /** Connections in this process's pool (the LISTEN connection is one more). @default 10 */
  poolSize?: number;
  /** The NOTIFY channel; every process of one deployment must use the same. @default "async_jobs" */
  channel?: string;
  changes?: ChangeNotifier;
  /** Delay of a webhook event's first delivery (the schedule's first entry). @default 0 */
  webhookFirstDelayMs?: number;
  /** Injected clock (all times are the application's, as in the SQLite store). @default Date.now */
  now?: () => number;
  log?: (message: string, error?: unknown) => void;
}

interface JobRow {
  id: string;
  tenant: string;
  type: string;
  status: JobStatus;
  input: string;
  metadata: string;
  progress_percent: number | null;
  progress_message: string | null;
  attempt: number;
  max_attempts: number;
  result: string | null;
  error: string | null;
  cancel_requested: boolean;
  webhook_url: string | null;
  // BIGINT columns arrive as strings (pg keeps int8 exact by default).
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  version: number;
  run_at: string;
  lease_token: string | null;
  lease_expires_at: string | null;
}

const COLUMNS = [
  "id", "tenant", "type", "status", "input", "metadata", "progress_percent", "progress_message", "attempt",
  "max_attempts", "result", "error", "cancel_requested", "webhook_url", "created_at", "updated_at", "started_at",
  "completed_at", "version", "run_at", "lease_token", "lease_expires_at",
];
// Columns are named, never `*`: a prepared statement's result shape must survive a later migration.
const cols = (alias?: string) => COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(", ");

const num = (value: string | null) => (value === null ? null : Number(value));

function fromRow(row: JobRow): StoredJob {
  return {
    id: row.id,
    tenant: row.tenant,
    type: row.type,
    status: row.status,
    input: JSON.parse(row.input),
    metadata: JSON.parse(row.metadata),
    progress: row.progress_percent === null ? null : { percent: row.progress_percent, message: row.progress_message },
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    result: row.result === null ? null : JSON.parse(row.result),
    error: row.error === null ? null : JSON.parse(row.error),
    cancelRequested: row.cancel_requested,
    webhookUrl: row.webhook_url,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    startedAt: num(row.started_at),
    completedAt: num(row.completed_at),
    version: row.version,
    runAt: Number(row.run_at),
    leaseToken: row.lease_token,
    leaseExpiresAt: num(row.lease_expires_at),
  };
}

/** The Postgres store; `listenerPid` names the LISTEN connection's backend (tests terminate it). */
export interface PostgresJobStore extends JobStore {
  listenerPid(): number | undefined;
}

/** A transaction's client plus the changes it will announce (NOTIFY before COMMIT, emit after). */
interface Tx {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  announce(change: Change, tenant?: string): void;
}

/**
 * The scale-out store: PostgreSQL through a `pg` pool, so API and worker processes on many
 * machines share one queue. Claims take due jobs with `FOR UPDATE SKIP LOCKED` in the order of
 * the `jobs_claim` index; every transition checks state (and lease token) in its `WHERE`, so a
 * terminal job never changes and a lost lease cannot finish a job. Every change NOTIFYs in its
 * own transaction; a dedicated LISTEN connection turns other processes' notifications into
 * `changes` events, so a long poll here wakes when a worker elsewhere commits. Hot paths
 * (submit, claim, complete without webhook, progress) are single statements, and concurrent
 * submits and completes share them (group commit): a commit that NOTIFYs holds a global lock
 * through its WAL flush, so one commit per call would cap throughput at the disk's sync rate.
 *
 * @example
 * const store = await openPostgresJobStore({ url: "postgres://app@db/jobs" });
 * const outcome = await store.createJob({ tenant: "t1", type: "conformance.echo", input: {}, metadata: {}, maxAttempts: 3, webhookUrl: null });
 */
export async function openPostgresJobStore(options: PostgresJobStoreOptions): Promise<PostgresJobStore> {
  const now = options.now ?? Date.now;
  const changes = options.changes ?? createChangeNotifier();
  const firstDelay = options.webhookFirstDelayMs ?? 0;
  const channel = options.channel ?? DEFAULT_CHANNEL;
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  const log = options.log ?? (() => {});
  // Names this store instance in its notifications: it emits its own changes right after commit
  // and ignores their echo from LISTEN.
  const origin = randomBytes(4).toString("hex");
  const notify = (status: string) => `pg_notify('${channel}', concat_ws(' ', 'j', '${origin}', ${status}, id, tenant))`;
  const notifyRow = (status: string) => `${notify(status)} AS notified`;

  // A client's connection may die (restart, terminate): the pool drops it; do not crash.
  const pool = guardPool(
    new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, application_name: "async-jobs", ...POOL_FAULT_OPTIONS }),
    log,
  );

  async function transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    const announced: { change: Change; tenant: string }[] = [];
    let broken = false;
    try {
      await client.query("BEGIN");
      const value = await work({
        query: (text, values) => client.query(text, values),
        announce: (change, tenant = "") => announced.push({ change, tenant }),
      });
      if (announced.length > 0) {
        // NOTIFY in the same transaction: delivered at commit, never for a rolled-back change.
        await client.query(`SELECT pg_notify('${channel}', p) FROM unnest($1::text[]) AS p`, [
          announced.map((a) => encodeChange(origin, a.change, a.tenant)),
        ]);
      }
      await client.query("COMMIT");
      for (const a of announced) changes.emit(a.change);
      return value;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  function emitJob(id: string, status: string) {
    changes.emit({ kind: "job", jobId: id, status });
  }

  async function migrate() {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      // Several processes start at once: one migrates, the others wait and then find it done.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('async-jobs job store migrate'))");
      await client.query(
        "CREATE TABLE IF NOT EXISTS job_store_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
      );
      const { rows } = await client.query<{ version: number }>("SELECT version FROM job_store_migrations");
      const done = new Set(rows.map((r) => r.version));
      for (const [index, sql] of postgresMigrations.entries()) {
        if (done.has(index + 1)) continue;
        await client.query(sql);
        await client.query("INSERT INTO job_store_migrations (version, applied_at) VALUES ($1, $2)", [index + 1, now()]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  // ---- statements -------------------------------------------------------------------------
  // One statement is one transaction: the keys, the jobs and the NOTIFYs of a whole batch commit
  // together (group commit). A live key (ON CONFLICT … WHERE expired fails) inserts no job; a
  // concurrent first insert of the same key makes this wait for it, then insert nothing. Keys go
  // in (tenant, key) order so two processes' batches lock them in the same order.
  const CREATE_JOBS = `
    WITH input AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[],
        $9::text[], $10::bigint[])
      AS u(id, tenant, type, input, metadata, max_attempts, webhook_url, key, fingerprint, key_expires_at)
    ), k AS (
      INSERT INTO idempotency_keys AS k (tenant, key, fingerprint, job_id, expires_at)
      SELECT tenant, key, fingerprint, id, key_expires_at FROM input WHERE key IS NOT NULL ORDER BY tenant, key
      ON CONFLICT (tenant, key) DO UPDATE
        SET fingerprint = excluded.fingerprint, job_id = excluded.job_id, expires_at = excluded.expires_at
        WHERE k.expires_at <= $11
      RETURNING job_id
    )
    INSERT INTO jobs (id, tenant, type, status, input, metadata, attempt, max_attempts, cancel_requested, webhook_url,
      created_at, updated_at, version, run_at)
    SELECT id, tenant, type, 'queued', input, metadata, 0, max_attempts, false, webhook_url, $11, $11, 1, $11
    FROM input WHERE key IS NULL OR id IN (SELECT job_id FROM k)
    ORDER BY id
    RETURNING ${cols()}, ${notifyRow("'queued'")}`;
  const FIND_KEYED_JOB = `
    SELECT k.fingerprint, k.job_id AS key_job_id, ${cols("j")}
    FROM idempotency_keys k LEFT JOIN jobs j ON j.id = k.job_id
    WHERE k.tenant = $1 AND k.key = $2 AND k.expires_at > $3`;
  // MATERIALIZED: the locked id set is computed once; the inner scan walks jobs_claim in order.
  const CLAIM = `
    WITH next AS MATERIALIZED (
      SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs j SET status = 'running', attempt = j.attempt + 1, progress_percent = NULL, progress_message = NULL,
      lease_token = gen_random_uuid()::text, lease_expires_at = $3, started_at = COALESCE(j.started_at, $1),
      updated_at = $1, version = j.version + 1
    FROM next WHERE j.id = next.id AND j.status = 'queued'
    RETURNING ${cols("j")}, pg_notify('${channel}', concat_ws(' ', 'j', '${origin}', 'running', j.id, j.tenant)) AS notified`;
  const HEARTBEAT = `
    UPDATE jobs j SET lease_expires_at = $1
    FROM unnest($2::text[], $3::text[]) AS l(id, token)
    WHERE j.id = l.id AND j.lease_token = l.token AND j.status = 'running'
    RETURNING j.id, j.cancel_requested`;
  // Percent never goes down within an attempt (spec §2); the guard is re-checked on the
  // latest row version, so concurrent reports cannot break it.
  const PROGRESS = `
    WITH cur AS (SELECT progress_percent, progress_message FROM jobs WHERE id = $1 AND lease_token = $2 AND status = 'running'),
    u AS (
      UPDATE jobs SET progress_percent = $3, progress_message = $4, updated_at = $5, version = version + 1
      WHERE id = $1 AND lease_token = $2 AND status = 'running'
        AND (progress_percent IS NULL OR progress_percent < $3 OR (progress_percent = $3 AND progress_message IS DISTINCT FROM $4))
      RETURNING ${notify("'running'")}
    )
    SELECT EXISTS (SELECT 1 FROM cur) AS held, (SELECT count(*) FROM u)::int AS updated,
      (SELECT progress_percent FROM cur) AS percent, (SELECT progress_message FROM cur) AS message`;
  // Jobs without a webhook end in one statement per batch; one with a webhook needs its outbox row
  // built from the ended job, which the transaction path below does.
  const FINISH_PLAIN = `
    UPDATE jobs j SET status = u.status, result = u.result, error = u.error, completed_at = $6, updated_at = $6,
      version = j.version + 1, lease_token = NULL, lease_expires_at = NULL
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, token, status, result, error)
    WHERE j.id = u.id AND j.lease_token = u.token AND j.status = 'running' AND j.webhook_url IS NULL
    RETURNING j.id, pg_notify('${channel}', concat_ws(' ', 'j', '${origin}', j.status, j.id, j.tenant)) AS notified`;
  const RELEASE = `
    UPDATE jobs SET status = 'queued', run_at = $3, attempt = attempt - 1, progress_percent = NULL, progress_message = NULL,
      lease_token = NULL, lease_expires_at = NULL, updated_at = $3, version = version + 1
    WHERE id = $1 AND lease_token = $2 AND status = 'running'
    RETURNING ${notify("'queued'")}`;
  const CLAIM_EVENTS = `
    WITH due AS MATERIALIZED (
      SELECT id FROM events WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2
      FOR UPDATE SKIP LOCKED
    )
    UPDATE events e SET attempts = e.attempts + 1, next_attempt_at = $3 FROM due WHERE e.id = due.id
    RETURNING e.id, e.tenant, e.job_id, e.type, e.url, e.payload, e.attempts`;
  const RECORD_DELIVERY = `
    WITH d AS (
      INSERT INTO deliveries (event_id, attempt, status_code, error, at, next_attempt_at, state)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (event_id, attempt) DO UPDATE SET status_code = excluded.status_code, error = excluded.error,
        at = excluded.at, next_attempt_at = excluded.next_attempt_at, state = excluded.state
    )
    UPDATE events SET state = $7, next_attempt_at = $8 WHERE id = $1`;
  const DELIVERIES = `
    SELECT j.id AS job_id, d.event_id, d.attempt, d.status_code, d.error, d.at, d.next_attempt_at, d.state
    FROM jobs j LEFT JOIN events e ON e.job_id = j.id LEFT JOIN deliveries d ON d.event_id = e.id
    WHERE j.id = $1 AND j.tenant = $2
    ORDER BY d.at, d.attempt`;

  // Named statements are parsed and planned once per connection.
  const run = <R extends pg.QueryResultRow = any>(name: string, text: string, values: unknown[]) =>
    pool.query<R>({ name, text, values });

  // ---- transitions inside a transaction ----------------------------------------------------
  /** Ends a locked job and writes its outbox event in the same transaction. */
  async function finishInTx(tx: Tx, id: string, status: "succeeded" | "failed" | "canceled", result: unknown, error: Problem | null) {
    const at = now();
    const { rows } = await tx.query<JobRow>(
      `UPDATE jobs SET status = $2, result = $3, error = $4, completed_at = $5, updated_at = $5, version = version + 1,
         lease_token = NULL, lease_expires_at = NULL WHERE id = $1 RETURNING ${cols()}`,
      [id, status, status === "succeeded" ? JSON.stringify(result ?? null) : null, error === null ? null : JSON.stringify(error), at],
    );
    const job = fromRow(rows[0]!);
    if (job.webhookUrl !== null) {
      const event = toJobEvent(job);
      await tx.query(
        `INSERT INTO events (id, tenant, job_id, type, url, payload, state, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8)`,
        [newId("evt", at), job.tenant, job.id, event.type, job.webhookUrl, JSON.stringify(event), at + firstDelay, at],
      );
      tx.announce({ kind: "outbox" });
    }
    tx.announce({ kind: "job", jobId: id, status }, job.tenant);
    return job;
  }

  async function requeueInTx(tx: Tx, row: JobRow, runAt: number) {
    await tx.query(
      `UPDATE jobs SET status = 'queued', run_at = $2, lease_token = NULL, lease_expires_at = NULL, updated_at = $3,
         version = version + 1 WHERE id = $1`,
      [row.id, runAt, now()],
    );
    tx.announce({ kind: "job", jobId: row.id, status: "queued" }, row.tenant);
  }

  async function lockLeased(tx: Tx, lease: Lease): Promise<JobRow | undefined> {
    const { rows } = await tx.query<JobRow>(
      `SELECT ${cols()} FROM jobs WHERE id = $1 AND lease_token = $2 AND status = 'running' FOR UPDATE`,
      [lease.id, lease.leaseToken],
    );
    return rows[0];
  }

  interface Finish {
    lease: Lease;
    status: "succeeded" | "failed" | "canceled";
    result: unknown;
    error: Problem | null;
  }
  const plainFinishes = createGroupCommit<Finish, boolean>({
    conflictKey: (f) => f.lease.id,
    async run(items) {
      const { rows } = await run<{ id: string }>("finish_plain", FINISH_PLAIN, [
        items.map((f) => f.lease.id),
        items.map((f) => f.lease.leaseToken),
        items.map((f) => f.status),
        items.map((f) => (f.status === "succeeded" ? JSON.stringify(f.result ?? null) : null)),
        items.map((f) => (f.error === null ? null : JSON.stringify(f.error))),
        now(),
      ]);
      const ended = new Set(rows.map((r) => r.id));
      for (const f of items) if (ended.has(f.lease.id)) emitJob(f.lease.id, f.status);
      return items.map((f) => ended.has(f.lease.id));
    },
  });

  async function finishLeased(lease: Lease, status: Finish["status"], result: unknown, error: Problem | null) {
    if (await plainFinishes.submit({ lease, status, result, error })) return true;
    // The lease is lost, or the job has a webhook and needs its outbox row.
    return transaction(async (tx) => {
      if (!(await lockLeased(tx, lease))) return false;
      await finishInTx(tx, lease.id, status, result, error);
      return true;
    });
  }

  const jobInserts = createGroupCommit<CreateJobCommand, JobRow | undefined>({
    conflictKey: (c) => (c.idempotency ? `${c.tenant}\u0000${c.idempotency.key}` : undefined),
    async run(commands) {
      const at = now();
      const ids = commands.map(() => newId("job", at));
      const { rows } = await run<JobRow>("create_jobs", CREATE_JOBS, [
        ids,
        commands.map((c) => c.tenant),
        commands.map((c) => c.type),
        commands.map((c) => JSON.stringify(c.input ?? null)),
        commands.map((c) => JSON.stringify(c.metadata)),
        commands.map((c) => c.maxAttempts),
        commands.map((c) => c.webhookUrl),
        commands.map((c) => c.idempotency?.key ?? null),
        commands.map((c) => c.idempotency?.fingerprint ?? null),
        commands.map((c) => (c.idempotency ? at + c.idempotency.ttlMs : null)),
        at,
      ]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const row of rows) emitJob(row.id, "queued");
      return ids.map((id) => byId.get(id));
    },
  });

  let lastKeyPurge = 0;
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

    async createJob(command: CreateJobCommand): Promise<CreateJobOutcome> {
      const key = command.idempotency;
      for (let round = 0; round < 3; round++) {
        const row = await jobInserts.submit(command);
        if (row) return { kind: "created", job: fromRow(row) };
        if (!key) throw new Error("createJob inserted nothing without an idempotency key");
        const found = await run<JobRow & { fingerprint: string; key_job_id: string }>("find_keyed_job", FIND_KEYED_JOB, [
          command.tenant,
          key.key,
          now(),
        ]);
        const existing = found.rows[0];
        if (!existing) continue; // the key expired in between: try to take it again
        if (existing.fingerprint !== key.fingerprint) return { kind: "key_reused" };
        if (existing.id !== null) return { kind: "replayed", job: fromRow(existing) };
        // The key outlived its job: free it and create the job anew.
        await pool.query("DELETE FROM idempotency_keys WHERE tenant = $1 AND key = $2 AND job_id = $3", [
          command.tenant,
          key.key,
          existing.key_job_id,
        ]);
      }
      throw new Error(`could not create a job for idempotency key ${key?.key}`);
    },

    async findIdempotencyKey(tenant, key) {
      if (hasNul(key)) return undefined;
      const { rows } = await run<{ fingerprint: string; job_id: string }>(
        "find_key",
        "SELECT fingerprint, job_id FROM idempotency_keys WHERE tenant = $1 AND key = $2 AND expires_at > $3",
        [tenant, key, now()],
      );
      return rows[0] ? { fingerprint: rows[0].fingerprint, jobId: rows[0].job_id } : undefined;
    },

    async getJob(tenant, id) {
      if (hasNul(id)) return undefined;
      const { rows } = await run<JobRow>("get_job", `SELECT ${cols()} FROM jobs WHERE id = $1 AND tenant = $2`, [id, tenant]);
      return rows[0] ? fromRow(rows[0]) : undefined;
    },

    async listJobs(query: ListJobsQuery) {
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
        `SELECT ${cols()} FROM jobs WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT $${values.length}`,
        values,
      );
      return rows.map(fromRow);
    },

    requestCancel(tenant, id) {
      if (hasNul(id)) return Promise.resolve({ kind: "not_found" });
      return transaction<CancelOutcome>(async (tx) => {
        const { rows } = await tx.query<JobRow>(`SELECT ${cols()} FROM jobs WHERE id = $1 AND tenant = $2 FOR UPDATE`, [id, tenant]);
        const row = rows[0];
        if (!row) return { kind: "not_found" };
        if (row.status === "queued") {
          await tx.query("UPDATE jobs SET cancel_requested = true WHERE id = $1", [id]);
          return { kind: "canceled", job: await finishInTx(tx, id, "canceled", null, null) };
        }
        if (row.status === "running") {
          if (row.cancel_requested) return { kind: "cancel_requested", job: fromRow(row) };
          const updated = await tx.query<JobRow>(
            `UPDATE jobs SET cancel_requested = true, updated_at = $2, version = version + 1 WHERE id = $1 RETURNING ${cols()}`,
            [id, now()],
          );
          // A distinct status so the worker holding the job aborts it at once, in any process.
          tx.announce({ kind: "job", jobId: id, status: "cancel_requested" }, tenant);
          return { kind: "cancel_requested", job: fromRow(updated.rows[0]!) };
        }
        if (row.status === "canceled") return { kind: "already_canceled", job: fromRow(row) };
        return { kind: "terminal", job: fromRow(row) };
      });
    },

    async claimJobs({ limit, leaseMs, now: at0 }) {
      if (limit <= 0) return [];
      const at = at0 ?? now();
      const { rows } = await run<JobRow>("claim_jobs", CLAIM, [at, limit, at + leaseMs]);
      const jobs = rows.map(fromRow).sort((a, b) => a.runAt - b.runAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const job of jobs) emitJob(job.id, "running");
      return jobs;
    },

    async heartbeat(leases, leaseMs) {
      const result = new Map<string, HeartbeatResult>();
      if (leases.length === 0) return result;
      const { rows } = await run<{ id: string; cancel_requested: boolean }>("heartbeat", HEARTBEAT, [
        now() + leaseMs,
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
        PROGRESS,
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

    completeJob(lease, result) {
      return finishLeased(lease, "succeeded", result, null);
    },

    failJob(lease, error, retryAt) {
      if (retryAt === undefined) return finishLeased(lease, "failed", null, error);
      return transaction(async (tx) => {
        const row = await lockLeased(tx, lease);
        if (!row) return false;
        if (row.attempt >= row.max_attempts) {
          const why = `The last attempt failed: ${error.detail ?? error.code}.`;
          await finishInTx(tx, lease.id, "failed", null, attemptsExhausted(row.max_attempts, why));
        } else {
          await requeueInTx(tx, row, retryAt);
        }
        return true;
      });
    },

    cancelRunningJob(lease) {
      return finishLeased(lease, "canceled", null, null);
    },

    async releaseJob(lease) {
      // The attempt did not really happen: give it back so max_attempts still counts real ones.
      const { rowCount } = await run("release_job", RELEASE, [lease.id, lease.leaseToken, now()]);
      if (rowCount !== 1) return false;
      emitJob(lease.id, "queued");
      return true;
    },

    async recoverExpiredLeases(at0) {
      const at = at0 ?? now();
      // Every worker process calls this every few hundred ms: a cheap probe (on jobs_lease) first.
      const probe = await run("expired_probe", "SELECT 1 FROM jobs WHERE status = 'running' AND lease_expires_at < $1 LIMIT 1", [at]);
      const count = probe.rowCount === 0 ? 0 : await transaction(async (tx) => {
        // SKIP LOCKED: every worker process runs this; each expired job is handled by one of them.
        const { rows } = await tx.query<JobRow>(
          `SELECT ${cols()} FROM jobs WHERE status = 'running' AND lease_expires_at < $1
           ORDER BY lease_expires_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
          [at],
        );
        for (const row of rows) {
          if (row.cancel_requested) await finishInTx(tx, row.id, "canceled", null, null);
          else if (row.attempt >= row.max_attempts) {
            await finishInTx(tx, row.id, "failed", null, attemptsExhausted(row.max_attempts, "The job's lease was lost."));
          } else await requeueInTx(tx, row, now()); // `at` only decides what is expired; the job is due now
        }
        return rows.length;
      });
      // Expired idempotency keys are dead weight; sweep a bounded batch now and then.
      if (now() - lastKeyPurge > 60_000) {
        lastKeyPurge = now();
        await pool.query(
          `DELETE FROM idempotency_keys WHERE (tenant, key) IN
             (SELECT tenant, key FROM idempotency_keys WHERE expires_at <= $1 LIMIT 1000)`,
          [at],
        );
      }
      return count;
    },

    async claimDueEvents({ limit, leaseMs, now: at0 }) {
      if (limit <= 0) return [];
      const at = at0 ?? now();
      const { rows } = await run<{ id: string; tenant: string; job_id: string; type: string; url: string; payload: string; attempts: number }>(
        "claim_events",
        CLAIM_EVENTS,
        [at, limit, at + leaseMs],
      );
      return rows
        .map((r): OutboxEvent => ({ id: r.id, tenant: r.tenant, jobId: r.job_id, type: r.type, url: r.url, payload: r.payload, attempts: r.attempts }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async recordDelivery(record: DeliveryRecord) {
      await run("record_delivery", RECORD_DELIVERY, [
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
      const { rows } = await run<{
        job_id: string;
        event_id: string | null;
        attempt: number;
        status_code: number | null;
        error: string | null;
        at: string;
        next_attempt_at: string | null;
        state: DeliveryRecord["state"];
      }>("list_deliveries", DELIVERIES, [jobId, tenant]);
      if (rows.length === 0) return undefined;
      return rows
        .filter((r) => r.event_id !== null)
        .map((r) => ({
          eventId: r.event_id!,
          attempt: r.attempt,
          statusCode: r.status_code,
          error: r.error,
          at: Number(r.at),
          nextAttemptAt: num(r.next_attempt_at),
          state: r.state,
        }));
    },

    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await pool.end();
    },
  };
  return store;
}

/**
 * Postgres TEXT cannot hold U+0000, so a query parameter with one fails the whole statement.
 * No stored id, type or key contains one, so such a lookup simply finds nothing (never a 5xx).
 */
function hasNul(value: string): boolean {
  return value.includes("\u0000");
}
