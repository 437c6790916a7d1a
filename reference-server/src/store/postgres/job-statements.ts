import { jobColumns } from "../job-row.ts";
import { EVENT_TRACE } from "../outbox-row.ts";

const COLS = jobColumns();

/**
 * The database's clock in epoch milliseconds. Leases are set and checked with it, never with a
 * process's clock: processes on several machines disagree, and a worker whose clock runs behind
 * would otherwise see its lease expire early (or a fast one hold a dead worker's lease too long).
 * `now()` is stable within a statement, so index conditions can use it.
 */
export const DB_NOW_MS = "(extract(epoch FROM now()) * 1000)::bigint";

/**
 * The SQL of the Postgres job store. `notify(status, alias)` is the select-list expression that
 * NOTIFYs one job change per returned row (its channel and origin are the store's).
 *
 * @example
 * const sql = postgresJobStatements((status, alias = "") => `pg_notify(…)`);
 */
export function postgresJobStatements(notify: (status: string, alias?: string) => string) {
  const claimSet = `status = 'running', attempt = j.attempt + 1, progress_percent = NULL, progress_message = NULL,
      lease_token = gen_random_uuid()::text, lease_expires_at = ${DB_NOW_MS} + $3, started_at = COALESCE(j.started_at, $1),
      updated_at = $1, version = j.version + 1`;
  return {
    // One statement is one transaction: the keys, the jobs and the NOTIFY of a whole batch commit
    // together (group commit). A live key (ON CONFLICT … WHERE expired fails) inserts no job; a
    // concurrent first insert of the same key makes this wait for it, then insert nothing. Keys go
    // in (tenant, key) order so two processes' batches lock them in the same order.
    createJobs: `
      WITH input AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[],
          $9::text[], $10::bigint[], $12::text[], $13::text[], $14::text[])
        AS u(id, tenant, type, input, metadata, max_attempts, webhook_url, key, fingerprint, key_expires_at, traceparent, tracestate, webhook_events)
      ), k AS (
        INSERT INTO idempotency_keys AS k (tenant, key, fingerprint, job_id, expires_at)
        SELECT tenant, key, fingerprint, id, key_expires_at FROM input WHERE key IS NOT NULL ORDER BY tenant, key
        ON CONFLICT (tenant, key) DO UPDATE
          SET fingerprint = excluded.fingerprint, job_id = excluded.job_id, expires_at = excluded.expires_at
          WHERE k.expires_at <= $11
        RETURNING job_id
      ), inserted AS (
        INSERT INTO jobs (id, tenant, type, status, input, metadata, attempt, max_attempts, cancel_requested, webhook_url,
          webhook_events, created_at, updated_at, version, run_at, traceparent, tracestate)
        SELECT id, tenant, type, 'queued', input, metadata, 0, max_attempts, false, webhook_url, webhook_events, $11, $11, 1, $11, traceparent, tracestate
        FROM input WHERE key IS NULL OR id IN (SELECT job_id FROM k)
        ORDER BY id
        RETURNING ${COLS}
      )
      -- One NOTIFY per batch, naming its first job: a job nobody can know of yet has no waiter,
      -- and workers only need to hear that there is work (one per job cost every listening
      -- process a message per submit). Evaluated once; not at all when nothing was inserted.
      SELECT *, (SELECT ${notify("'queued'")} FROM (SELECT min(id) AS id, min(tenant) AS tenant FROM inserted) first) AS notified
      FROM inserted`,
    findKeyedJob: `
      SELECT k.fingerprint, k.job_id AS key_job_id, ${jobColumns("j")}
      FROM idempotency_keys k LEFT JOIN jobs j ON j.id = k.job_id
      WHERE k.tenant = $1 AND k.key = $2 AND k.expires_at > $3`,
    findKey: "SELECT fingerprint, job_id FROM idempotency_keys WHERE tenant = $1 AND key = $2 AND expires_at > $3",
    freeKey: "DELETE FROM idempotency_keys WHERE tenant = $1 AND key = $2 AND job_id = $3",
    // Concurrent status reads in one statement (job-batches.ts); the caller checks each tenant.
    getJobs: `SELECT ${COLS} FROM jobs WHERE id = ANY($1::text[])`,
    lockJob: `SELECT ${COLS} FROM jobs WHERE id = $1 AND tenant = $2 FOR UPDATE`,
    lockLeased: `SELECT ${COLS} FROM jobs WHERE id = $1 AND lease_token = $2 AND status = 'running' FOR UPDATE`,
    flagCancel: `UPDATE jobs SET cancel_requested = true, updated_at = $2, version = version + 1 WHERE id = $1 RETURNING ${COLS}`,
    // MATERIALIZED: the locked id set is computed once; the inner scan walks jobs_claim in order.
    claim: `
      WITH next AS MATERIALIZED (
        SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
      )
      UPDATE jobs j SET ${claimSet}
      FROM next WHERE j.id = next.id AND j.status = 'queued'
      RETURNING ${jobColumns("j")}, ${notify("'running'", "j.")} AS notified`,
    // The fair claim (a per-tenant limit) reads counts and candidates, picks in claim-fairness.ts,
    // then claims the picked ids ($2) in the same transaction.
    fairClaimLock: "SELECT pg_advisory_xact_lock(hashtext('async-jobs fair claim'))",
    runningPerTenant: "SELECT tenant, count(*)::int AS n FROM jobs WHERE status = 'running' GROUP BY tenant",
    claimCandidates: `
      SELECT id, tenant FROM jobs WHERE status = 'queued' AND run_at <= $1 AND tenant <> ALL($2::text[])
      ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
    claimPicked: `
      UPDATE jobs j SET ${claimSet}
      WHERE j.id = ANY($2::text[]) AND j.status = 'queued'
      RETURNING ${jobColumns("j")}`,
    heartbeat: `
      UPDATE jobs j SET lease_expires_at = ${DB_NOW_MS} + $1
      FROM unnest($2::text[], $3::text[]) AS l(id, token)
      WHERE j.id = l.id AND j.lease_token = l.token AND j.status = 'running'
      RETURNING j.id, j.cancel_requested`,
    // Percent never goes down within an attempt (spec §2); the guard is re-checked on the
    // latest row version, so concurrent reports cannot break it.
    progress: `
      WITH cur AS (SELECT progress_percent, progress_message FROM jobs WHERE id = $1 AND lease_token = $2 AND status = 'running'),
      u AS (
        UPDATE jobs SET progress_percent = $3, progress_message = $4, updated_at = $5, version = version + 1
        WHERE id = $1 AND lease_token = $2 AND status = 'running'
          AND (progress_percent IS NULL OR progress_percent < $3 OR (progress_percent = $3 AND progress_message IS DISTINCT FROM $4))
        RETURNING ${notify("'running'")}
      )
      SELECT EXISTS (SELECT 1 FROM cur) AS held, (SELECT count(*) FROM u)::int AS updated,
        (SELECT progress_percent FROM cur) AS percent, (SELECT progress_message FROM cur) AS message`,
    // Jobs without a webhook end in one statement per batch; one with a webhook needs its outbox row
    // built from the ended job, which the transaction path does.
    endPlain: `
      UPDATE jobs j SET status = u.status, result = u.result, error = u.error, completed_at = $6, updated_at = $6,
        version = j.version + 1, lease_token = NULL, lease_expires_at = NULL
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, token, status, result, error)
      WHERE j.id = u.id AND j.lease_token = u.token AND j.status = 'running' AND j.webhook_url IS NULL
      RETURNING j.id, ${notify("j.status", "j.")} AS notified`,
    end: `
      UPDATE jobs SET status = $2, result = $3, error = $4, completed_at = $5, updated_at = $5, version = version + 1,
        lease_token = NULL, lease_expires_at = NULL WHERE id = $1 RETURNING ${COLS}`,
    insertEvent: `
      INSERT INTO events (id, tenant, job_id, type, url, payload, state, attempts, next_attempt_at, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8)`,
    requeue: `
      UPDATE jobs SET status = 'queued', run_at = $2, lease_token = NULL, lease_expires_at = NULL, updated_at = $3,
        version = version + 1 WHERE id = $1`,
    release: `
      UPDATE jobs SET status = 'queued', run_at = $3, attempt = attempt - 1, progress_percent = NULL, progress_message = NULL,
        lease_token = NULL, lease_expires_at = NULL, updated_at = $3, version = version + 1
      WHERE id = $1 AND lease_token = $2 AND status = 'running'
      RETURNING ${notify("'queued'")}`,
    // $1: an explicit "now" (tests, tools) or NULL for the database's clock.
    // Metrics: queue depth and oldest queued job by type.
    queueStats: "SELECT type, COUNT(*)::int AS queued, MIN(created_at)::bigint AS oldest FROM jobs WHERE status = 'queued' GROUP BY type",
    expiredProbe: `SELECT 1 FROM jobs WHERE status = 'running' AND lease_expires_at < COALESCE($1::bigint, ${DB_NOW_MS}) LIMIT 1`,
    // SKIP LOCKED: every worker process runs this; each expired job is handled by one of them.
    lockExpired: `
      SELECT ${COLS} FROM jobs WHERE status = 'running' AND lease_expires_at < COALESCE($1::bigint, ${DB_NOW_MS})
      ORDER BY lease_expires_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
    failUnprocessable: `
      UPDATE jobs SET status = 'failed', error = $2, completed_at = $3, updated_at = $3, version = version + 1,
        lease_token = NULL, lease_expires_at = NULL WHERE id = $1 AND status = 'running' RETURNING tenant`,
    claimEvents: `
      WITH due AS MATERIALIZED (
        SELECT id FROM events WHERE state = 'pending' AND next_attempt_at <= $1 AND NOT (tenant = ANY($4::text[]))
        ORDER BY next_attempt_at, id LIMIT $2
        FOR UPDATE SKIP LOCKED
      )
      UPDATE events e SET attempts = e.attempts + 1, next_attempt_at = $3 FROM due WHERE e.id = due.id
      RETURNING e.id, e.tenant, e.job_id, e.type, e.url, e.payload, e.attempts, ${EVENT_TRACE}`,
    deferEvent: "UPDATE events SET attempts = attempts - 1, next_attempt_at = $2 WHERE id = $1 AND state = 'pending' AND attempts > 0",
    recordDelivery: `
      WITH d AS (
        INSERT INTO deliveries (event_id, attempt, status_code, error, at, next_attempt_at, state)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (event_id, attempt) DO UPDATE SET status_code = excluded.status_code, error = excluded.error,
          at = excluded.at, next_attempt_at = excluded.next_attempt_at, state = excluded.state
      )
      UPDATE events SET state = $7, next_attempt_at = $8 WHERE id = $1`,
    deliveries: `
      SELECT j.id AS job_id, d.event_id, d.attempt, d.status_code, d.error, d.at, d.next_attempt_at, d.state
      FROM jobs j LEFT JOIN events e ON e.job_id = j.id LEFT JOIN deliveries d ON d.event_id = e.id
      WHERE j.id = $1 AND j.tenant = $2
      ORDER BY d.at, d.attempt`,
    // Retention: ended jobs past their lifetime go with their events and deliveries.
    purgeJobs: `
      WITH ended AS (
        SELECT id FROM jobs WHERE completed_at IS NOT NULL AND completed_at < $1 ORDER BY completed_at LIMIT $2
        FOR UPDATE SKIP LOCKED
      ), ev AS (SELECT id FROM events WHERE job_id IN (SELECT id FROM ended)),
      d AS (DELETE FROM deliveries WHERE event_id IN (SELECT id FROM ev)),
      e AS (DELETE FROM events WHERE id IN (SELECT id FROM ev))
      DELETE FROM jobs WHERE id IN (SELECT id FROM ended)`,
    purgeKeys: `
      DELETE FROM idempotency_keys WHERE (tenant, key) IN
        (SELECT tenant, key FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2)`,
  };
}
