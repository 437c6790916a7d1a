/** One numbered schema change of one dialect. */
export interface Migration {
  version: number;
  /** What it does, for logs and reviews. */
  name: string;
  sql: string;
}

/** The one table (both dialects) that records which migrations ran: `(version, applied_at)`. */
export const MIGRATIONS_TABLE = "schema_migrations";

/**
 * The migrations still to run, in order. Versions must be 1, 2, 3, … with no gap, so two
 * branches that both add "version 4" fail loudly instead of skipping one.
 *
 * @example
 * for (const m of pendingMigrations(sqliteMigrations, [1, 2])) db.exec(m.sql);
 */
export function pendingMigrations(migrations: readonly Migration[], applied: Iterable<number>): Migration[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const done = new Set(applied);
  const newest = Math.max(0, ...done);
  if (newest > migrations.length) {
    throw new Error(`the database is at schema version ${newest}, newer than this build knows (${migrations.length})`);
  }
  return migrations.filter((m) => !done.has(m.version));
}

/** SQL types that differ between the dialects, for DDL written once. */
export interface DialectTypes {
  /** Epoch milliseconds and sizes beyond 32 bits. */
  bigint: string;
  bytes: string;
}

/**
 * The upload tables (spec §4), the same DDL for both dialects. `IF NOT EXISTS`: databases made
 * before the versioned runner created them unversioned, and must adopt them as they are.
 *
 * @example
 * uploadTablesSql({ bigint: "BIGINT", bytes: "BYTEA" })
 */
export function uploadTablesSql(types: DialectTypes): string {
  return `
    CREATE TABLE IF NOT EXISTS uploads (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      status TEXT NOT NULL,
      filename TEXT NOT NULL,
      content_type TEXT NOT NULL,
      size ${types.bigint} NOT NULL,
      sha256 TEXT,
      part_size ${types.bigint} NOT NULL,
      part_count INTEGER NOT NULL,
      origin TEXT NOT NULL,
      version INTEGER NOT NULL DEFAULT 0,
      created_at ${types.bigint} NOT NULL,
      expires_at ${types.bigint} NOT NULL,
      completed_at ${types.bigint}
    );
    CREATE INDEX IF NOT EXISTS uploads_status_expires ON uploads (status, expires_at);
    CREATE TABLE IF NOT EXISTS upload_parts (
      upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
      number INTEGER NOT NULL,
      size ${types.bigint} NOT NULL,
      etag TEXT NOT NULL,
      PRIMARY KEY (upload_id, number)
    );
    CREATE TABLE IF NOT EXISTS upload_signing_keys (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      key ${types.bytes} NOT NULL
    );`;
}

/**
 * A job's W3C trace context as received on submit (spec §8.6), the same on both dialects.
 *
 * @example
 * { version: 5, name: "trace context of jobs", sql: traceContextColumnsSql }
 */
export const traceContextColumnsSql = `
  ALTER TABLE jobs ADD COLUMN traceparent TEXT;
  ALTER TABLE jobs ADD COLUMN tracestate TEXT;`;

/**
 * Indexes of the fairness claim and the retention sweep, the same on both dialects.
 *
 * @example
 * { version: 3, name: "claim fairness and retention indexes", sql: fairnessAndRetentionIndexesSql }
 */
export const fairnessAndRetentionIndexesSql = `
  -- Running jobs per tenant (the per-tenant limit of the claim): an index-only count.
  CREATE INDEX jobs_running_tenant ON jobs (tenant) WHERE status = 'running';
  -- Ended jobs by end time (the retention sweep).
  CREATE INDEX jobs_completed ON jobs (completed_at) WHERE completed_at IS NOT NULL;`;

/**
 * The events a job's webhook gets (spec §3.1.1): a JSON array, NULL for the terminal events
 * only (every job stored before the column existed), the same on both dialects.
 *
 * @example
 * { version: 6, name: "webhook events chosen per job", sql: webhookEventsColumnSql }
 */
export const webhookEventsColumnSql = "ALTER TABLE jobs ADD COLUMN webhook_events TEXT;";
