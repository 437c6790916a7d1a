import type Database from "better-sqlite3";
import { type EndColumns, jobColumns, type JobRow, type NewJobRow } from "../job-row.ts";
import { type DeliveryRow, EVENT_TRACE, type EventRow } from "../outbox-row.ts";

const COLS = jobColumns();

/** What the store uses of a better-sqlite3 statement. */
export interface PreparedStatement<P extends unknown[] | {}, R> {
  run(...params: P extends unknown[] ? P : [P]): Database.RunResult;
  get(...params: P extends unknown[] ? P : [P]): R | undefined;
  all(...params: P extends unknown[] ? P : [P]): R[];
}

/**
 * Every statement of the SQLite job store, prepared once per connection (parsing is a
 * measurable share of a submit). Statements only: which one runs when is the store's business.
 *
 * @example
 * const q = prepareJobStatements(db); q.getJob.get(id, tenant);
 */
export function prepareJobStatements(db: Database.Database) {
  // Typed as our own {@link PreparedStatement}: the driver's type cannot be named in a declaration build.
  const stmt = <P extends unknown[] | {} = unknown[], R = unknown>(sql: string): PreparedStatement<P, R> =>
    db.prepare<P, R>(sql) as unknown as PreparedStatement<P, R>;
  return {
    getJob: stmt<[string, string], JobRow>(`SELECT ${COLS} FROM jobs WHERE id = ? AND tenant = ?`),
    // Status reads: the values alone, in column order (see jobRowOfValues).
    getJobValues: db.prepare(`SELECT ${COLS} FROM jobs WHERE id = ? AND tenant = ?`).raw(true) as unknown as PreparedStatement<[string, string], unknown[]>,
    getJobById: stmt<[string], JobRow>(`SELECT ${COLS} FROM jobs WHERE id = ?`),
    // A status read's first look: the version alone, a single value (pluck), about half the cost of the row.
    getJobVersion: db.prepare("SELECT version FROM jobs WHERE id = ? AND tenant = ?").pluck(true) as unknown as PreparedStatement<[string, string], number>,
    // Of many jobs (a JSON object of id: version last seen, null if none), those whose version moved, in one call.
    movedVersions: db
      .prepare("SELECT j.id, j.version FROM json_each(?) AS seen JOIN jobs AS j ON j.id = seen.key WHERE j.version IS NOT seen.value")
      .raw(true) as unknown as PreparedStatement<[string], [string, number]>,
    // RETURNING: the stored row comes back from the insert itself, no second lookup.
    insertJob: stmt<[NewJobRow], JobRow>(
      `INSERT INTO jobs (id, tenant, type, status, input, metadata, attempt, max_attempts, cancel_requested, webhook_url,
         webhook_events, created_at, updated_at, version, run_at, traceparent, tracestate)
       VALUES (@id, @tenant, @type, 'queued', @input, @metadata, 0, @max_attempts, 0, @webhook_url, @webhook_events, @now, @now, 1, @now, @traceparent, @tracestate)
       RETURNING ${COLS}`,
    ),
    // The group commit's per-item savepoints.
    savepoint: stmt("SAVEPOINT item"),
    release: stmt("RELEASE item"),
    rollbackTo: stmt("ROLLBACK TO item"),
    findKey: stmt<[string, string, number], { fingerprint: string; job_id: string }>(
      "SELECT fingerprint, job_id FROM idempotency_keys WHERE tenant = ? AND key = ? AND expires_at > ?",
    ),
    upsertKey: stmt<[string, string, string, string, number]>(
      `INSERT INTO idempotency_keys (tenant, key, fingerprint, job_id, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant, key) DO UPDATE SET fingerprint = excluded.fingerprint, job_id = excluded.job_id, expires_at = excluded.expires_at`,
    ),
    claimable: stmt<[number, number], { id: string; tenant: string }>(
      "SELECT id, tenant FROM jobs WHERE status = 'queued' AND run_at <= ? ORDER BY run_at, id LIMIT ?",
    ),
    // The fair claim's candidates: tenants at their limit (a JSON array) are left out.
    claimableExcept: stmt<[number, string, number], { id: string; tenant: string }>(
      `SELECT id, tenant FROM jobs WHERE status = 'queued' AND run_at <= ?
         AND tenant NOT IN (SELECT value FROM json_each(?)) ORDER BY run_at, id LIMIT ?`,
    ),
    runningPerTenant: stmt<[], { tenant: string; n: number }>(
      "SELECT tenant, count(*) AS n FROM jobs WHERE status = 'running' GROUP BY tenant",
    ),
    claim: stmt<[string, number, number, number, string], JobRow>(
      `UPDATE jobs SET status = 'running', attempt = attempt + 1, progress_percent = NULL, progress_message = NULL,
         lease_token = ?, lease_expires_at = ?, started_at = COALESCE(started_at, ?), updated_at = ?, version = version + 1
       WHERE id = ? AND status = 'queued' RETURNING ${COLS}`,
    ),
    heartbeat: stmt<[number, string, string], { cancel_requested: number }>(
      "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_token = ? AND status = 'running' RETURNING cancel_requested",
    ),
    leased: stmt<[string, string], JobRow>(`SELECT ${COLS} FROM jobs WHERE id = ? AND lease_token = ? AND status = 'running'`),
    setProgress: stmt<[number, string | null, number, string]>(
      "UPDATE jobs SET progress_percent = ?, progress_message = ?, updated_at = ?, version = version + 1 WHERE id = ?",
    ),
    end: stmt<[EndColumns & { at: number; id: string }], JobRow>(
      `UPDATE jobs SET status = @status, result = @result, error = @error, completed_at = @at, updated_at = @at,
         version = version + 1, lease_token = NULL, lease_expires_at = NULL WHERE id = @id RETURNING ${COLS}`,
    ),
    // A running job's end by its lease holder: lease check and end in one statement.
    endHeld: stmt<[EndColumns & { at: number; id: string; lease_token: string }], { webhook_url: string | null }>(
      `UPDATE jobs SET status = @status, result = @result, error = @error, completed_at = @at, updated_at = @at,
         version = version + 1, lease_token = NULL, lease_expires_at = NULL
       WHERE id = @id AND lease_token = @lease_token AND status = 'running' RETURNING webhook_url`,
    ),
    // `refund` gives the attempt back (a drained job did not really run).
    requeue: stmt<[{ run_at: number; refund: number; at: number; id: string }]>(
      `UPDATE jobs SET status = 'queued', run_at = @run_at, attempt = attempt - @refund,
         progress_percent = CASE WHEN @refund THEN NULL ELSE progress_percent END,
         progress_message = CASE WHEN @refund THEN NULL ELSE progress_message END,
         lease_token = NULL, lease_expires_at = NULL, updated_at = @at, version = version + 1 WHERE id = @id`,
    ),
    flagCancel: stmt<[number, string]>("UPDATE jobs SET cancel_requested = 1, updated_at = ?, version = version + 1 WHERE id = ?"),
    expiredLeases: stmt<[number], { id: string }>(
      "SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT 500",
    ),
    insertEvent: stmt<[string, string, string, string, string, string, number, number]>(
      `INSERT INTO events (id, tenant, job_id, type, url, payload, state, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    ),
    // Tenants whose delivery slots are full are skipped, so their backlog never fills a claim.
    dueEvents: stmt<[number, string, number], { id: string }>(
      "SELECT id FROM events WHERE state = 'pending' AND next_attempt_at <= ? AND tenant NOT IN (SELECT value FROM json_each(?)) ORDER BY next_attempt_at LIMIT ?",
    ),
    // Counted only up to the cap being checked (spec §1.10: 503 past a queued-jobs cap).
    countQueued: stmt<[number], { n: number }>("SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs WHERE status = 'queued' LIMIT ?)"),
    countQueuedOfTenant: stmt<[string, number], { n: number }>(
      "SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs WHERE status = 'queued' AND tenant = ? LIMIT ?)",
    ),
    deferEvent: stmt<[number, string]>(
      "UPDATE events SET attempts = attempts - 1, next_attempt_at = ? WHERE id = ? AND state = 'pending' AND attempts > 0",
    ),
    claimEvent: stmt<[number, string], EventRow>(
      `UPDATE events SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND state = 'pending' RETURNING id, tenant, job_id, type, url, payload, attempts, ${EVENT_TRACE}`,
    ),
    insertDelivery: stmt<[string, number, number | null, string | null, number, number | null, string]>(
      `INSERT OR REPLACE INTO deliveries (event_id, attempt, status_code, error, at, next_attempt_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateEvent: stmt<[string, number, string]>("UPDATE events SET state = ?, next_attempt_at = ? WHERE id = ?"),
    deliveries: stmt<[string], DeliveryRow>(
      "SELECT d.* FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.job_id = ? ORDER BY d.at, d.attempt",
    ),
    // Metrics: queue depth and oldest queued job by type (the jobs_claim index covers status = 'queued').
    queueStats: stmt<[], { type: string; queued: number; oldest: number }>(
      "SELECT type, COUNT(*) AS queued, MIN(created_at) AS oldest FROM jobs WHERE status = 'queued' GROUP BY type",
    ),
    // Retention: ended jobs past their lifetime, with their events and deliveries; spent keys.
    endedBefore: stmt<[number, number], { id: string }>(
      "SELECT id FROM jobs WHERE completed_at IS NOT NULL AND completed_at < ? ORDER BY completed_at LIMIT ?",
    ),
    deleteDeliveries: stmt<[string]>("DELETE FROM deliveries WHERE event_id IN (SELECT id FROM events WHERE job_id = ?)"),
    deleteEvents: stmt<[string]>("DELETE FROM events WHERE job_id = ?"),
    deleteJob: stmt<[string]>("DELETE FROM jobs WHERE id = ?"),
    deleteExpiredKeys: stmt<[number, number]>(
      "DELETE FROM idempotency_keys WHERE (tenant, key) IN (SELECT tenant, key FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)",
    ),
    // A job whose row cannot be decoded still leaves `running` (lease recovery in isolation).
    failUndecodable: stmt<[{ error: string; at: number; id: string }]>(
      `UPDATE jobs SET status = 'failed', error = @error, completed_at = @at, updated_at = @at, version = version + 1,
         lease_token = NULL, lease_expires_at = NULL WHERE id = @id AND status = 'running'`,
    ),
  };
}

/** The prepared statements of one SQLite job store. */
export type JobStatements = ReturnType<typeof prepareJobStatements>;
