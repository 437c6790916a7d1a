/** Ordered schema migrations of the SQLite store; each runs once, recorded in `schema_migrations`. */
export const sqliteMigrations: readonly string[] = [
  `CREATE TABLE jobs (
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
];
