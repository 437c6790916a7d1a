/**
 * Ordered schema migrations of the Postgres job store; each runs once, recorded in
 * `job_store_migrations` (its own table, so the upload store's schema never collides with it).
 * Times are epoch milliseconds (BIGINT) as in the SQLite store, so the injected clock rules both.
 * Ids are compared byte-wise (`COLLATE "C"`): ULIDs sort by time only in byte order, and list
 * cursors depend on that whatever the database's default collation is.
 */
export const postgresMigrations: readonly string[] = [
  `CREATE TABLE jobs (
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
];
