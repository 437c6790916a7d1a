import pg from "pg";
import { fairnessAndRetentionIndexesSql, MIGRATIONS_TABLE, type Migration, pendingMigrations, traceContextColumnsSql, webhookEventsColumnSql, uploadTablesSql } from "../schema-migrations.ts";

/**
 * Ordered schema migrations of the Postgres database (jobs and uploads alike); each runs once,
 * recorded in `schema_migrations`. Times are epoch milliseconds (BIGINT) as in the SQLite store.
 * Ids are compared byte-wise (`COLLATE "C"`): ULIDs sort by time only in byte order, and list
 * cursors depend on that whatever the database's default collation is.
 */
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "jobs, idempotency keys, events, deliveries",
    sql: `CREATE TABLE jobs (
     id TEXT COLLATE "C" PRIMARY KEY,
     tenant TEXT NOT NULL,
     type TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
     input TEXT NOT NULL,
     metadata TEXT NOT NULL,
     progress_percent DOUBLE PRECISION,
     progress_message TEXT,
     attempt INTEGER NOT NULL DEFAULT 0,
     max_attempts INTEGER NOT NULL,
     result TEXT,
     error TEXT,
     cancel_requested BOOLEAN NOT NULL DEFAULT false,
     webhook_url TEXT,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     started_at BIGINT,
     completed_at BIGINT,
     version INTEGER NOT NULL DEFAULT 1,
     run_at BIGINT NOT NULL,
     lease_token TEXT,
     lease_expires_at BIGINT
   );
   -- The claim's ORDER BY is exactly (run_at, id) over queued jobs: an index scan, no sort.
   CREATE INDEX jobs_claim ON jobs (run_at, id) WHERE status = 'queued';
   CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'running';
   -- Listing is tenant = $1 ORDER BY id DESC: a backward scan of this index.
   CREATE INDEX jobs_tenant ON jobs (tenant, id);
   CREATE TABLE idempotency_keys (
     tenant TEXT NOT NULL,
     key TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     job_id TEXT COLLATE "C" NOT NULL,
     expires_at BIGINT NOT NULL,
     PRIMARY KEY (tenant, key)
   );
   CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
   CREATE TABLE events (
     id TEXT COLLATE "C" PRIMARY KEY,
     tenant TEXT NOT NULL,
     job_id TEXT COLLATE "C" NOT NULL,
     type TEXT NOT NULL,
     url TEXT NOT NULL,
     payload TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at BIGINT NOT NULL,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX events_due ON events (next_attempt_at, id) WHERE state = 'pending';
   CREATE INDEX events_job ON events (job_id);
   CREATE TABLE deliveries (
     event_id TEXT COLLATE "C" NOT NULL,
     attempt INTEGER NOT NULL,
     status_code INTEGER,
     error TEXT,
     at BIGINT NOT NULL,
     next_attempt_at BIGINT,
     state TEXT NOT NULL,
     PRIMARY KEY (event_id, attempt)
   );`,
  },
  { version: 2, name: "uploads (adopts the tables of earlier unversioned releases)", sql: uploadTablesSql({ bigint: "BIGINT", bytes: "BYTEA" }) },
  { version: 3, name: "claim fairness and retention indexes", sql: fairnessAndRetentionIndexesSql },
  {
    version: 4,
    name: "pending uploads by tenant (the pending-uploads listing)",
    // Listing orders by id COLLATE "C" (byte order, as ULIDs sort by time; upload ids predate
    // the "C" column collation): the index has the same collation, so it is a backward scan.
    sql: `CREATE INDEX uploads_pending_tenant ON uploads (tenant, id COLLATE "C") WHERE status = 'pending';`,
  },
  { version: 5, name: "webhook events chosen per job", sql: webhookEventsColumnSql },
  { version: 6, name: "trace context of jobs", sql: traceContextColumnsSql },
];

// Releases before the one runner recorded the job tables' versions here.
const LEGACY_TABLE = "job_store_migrations";

/**
 * Brings a Postgres database to the newest schema in one transaction, under an advisory lock
 * (several processes start at once: one migrates, the others wait and then find it done).
 * Idempotent; adopts the version table of earlier releases.
 *
 * @example
 * await migratePostgresDatabase(pool, Date.now());
 */
export async function migratePostgresDatabase(pool: pg.Pool, now: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext('async-jobs migrate'))");
    await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`);
    const legacy = await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [LEGACY_TABLE]);
    if (legacy.rows[0]!.found) {
      await client.query(`INSERT INTO ${MIGRATIONS_TABLE} SELECT version, applied_at FROM ${LEGACY_TABLE} ON CONFLICT DO NOTHING`);
      await client.query(`DROP TABLE ${LEGACY_TABLE}`);
    }
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`);
    for (const migration of pendingMigrations(postgresMigrations, rows.map((r) => r.version))) {
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, applied_at) VALUES ($1, $2)`, [migration.version, now]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
