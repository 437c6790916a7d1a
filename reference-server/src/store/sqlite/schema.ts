import type Database from "better-sqlite3";
import { fairnessAndRetentionIndexesSql, MIGRATIONS_TABLE, type Migration, pendingMigrations, traceContextColumnsSql, webhookEventsColumnSql, uploadTablesSql } from "../schema-migrations.ts";

/**
 * Ordered schema migrations of the SQLite database (jobs and uploads alike); each runs once,
 * recorded in `schema_migrations`. Version 1 is the schema the first release created.
 */
export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "jobs, idempotency keys, events, deliveries",
    sql: `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     tenant TEXT NOT NULL,
     type TEXT NOT NULL,
     status TEXT NOT NULL,
     input TEXT NOT NULL,
     metadata TEXT NOT NULL,
     progress TEXT,
     attempt INTEGER NOT NULL DEFAULT 0,
     max_attempts INTEGER NOT NULL,
     result TEXT,
     error TEXT,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     webhook_url TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     started_at INTEGER,
     completed_at INTEGER,
     version INTEGER NOT NULL DEFAULT 1,
     run_at INTEGER NOT NULL,
     lease_token TEXT,
     lease_expires_at INTEGER
   );
   -- The claim query's ORDER BY is exactly (run_at, id) over queued jobs: no sort per claim.
   CREATE INDEX jobs_claim ON jobs (run_at, id) WHERE status = 'queued';
   CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'running';
   CREATE INDEX jobs_tenant ON jobs (tenant, id);
   CREATE TABLE idempotency_keys (
     tenant TEXT NOT NULL,
     key TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     job_id TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (tenant, key)
   ) WITHOUT ROWID;
   CREATE TABLE events (
     id TEXT PRIMARY KEY,
     tenant TEXT NOT NULL,
     job_id TEXT NOT NULL,
     type TEXT NOT NULL,
     url TEXT NOT NULL,
     payload TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX events_due ON events (next_attempt_at) WHERE state = 'pending';
   CREATE INDEX events_job ON events (job_id);
   CREATE TABLE deliveries (
     event_id TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     status_code INTEGER,
     error TEXT,
     at INTEGER NOT NULL,
     next_attempt_at INTEGER,
     state TEXT NOT NULL,
     PRIMARY KEY (event_id, attempt)
   ) WITHOUT ROWID;`,
  },
  { version: 2, name: "uploads (adopts the tables of earlier unversioned releases)", sql: uploadTablesSql({ bigint: "INTEGER", bytes: "BLOB" }) },
  {
    version: 3,
    name: "progress as two columns, as on Postgres (one row codec for both)",
    sql: `ALTER TABLE jobs ADD COLUMN progress_percent REAL;
   ALTER TABLE jobs ADD COLUMN progress_message TEXT;
   UPDATE jobs SET progress_percent = json_extract(progress, '$.percent'), progress_message = json_extract(progress, '$.message')
     WHERE progress IS NOT NULL;
   ALTER TABLE jobs DROP COLUMN progress;
   CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);`,
  },
  { version: 4, name: "claim fairness and retention indexes", sql: fairnessAndRetentionIndexesSql },
  {
    version: 5,
    name: "pending uploads by tenant (the pending-uploads listing)",
    // Listing is tenant = ? AND status = 'pending' ORDER BY id DESC (spec §8.4): a backward scan.
    sql: "CREATE INDEX uploads_pending_tenant ON uploads (tenant, id) WHERE status = 'pending';",
  },
  { version: 6, name: "webhook events chosen per job", sql: webhookEventsColumnSql },
  { version: 7, name: "trace context of jobs", sql: traceContextColumnsSql },
];

/**
 * Brings a SQLite database to the newest schema in one `BEGIN IMMEDIATE` transaction (so
 * several processes opening one file migrate it once). Idempotent.
 *
 * @example
 * migrateSqliteDatabase(db, Date.now());
 */
export function migrateSqliteDatabase(db: Database.Database, now: number): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`);
    const applied = db.prepare(`SELECT version FROM ${MIGRATIONS_TABLE}`).pluck().all() as number[];
    for (const migration of pendingMigrations(sqliteMigrations, applied)) {
      db.exec(migration.sql);
      db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, applied_at) VALUES (?, ?)`).run(migration.version, now);
    }
  }).immediate();
}
