import pg from "pg";
import { guardPool, POOL_FAULT_OPTIONS } from "./pg-pool-guard.ts";
import type { StoredPart } from "../../blobs/blob-store.ts";
import type { NewUpload, UploadRecord, UploadState, UploadStore } from "../upload-store.ts";

// Sizes reach 5 TiB and times are epoch ms: BIGINT, read back as strings by pg, turned into numbers here.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  status TEXT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT,
  part_size BIGINT NOT NULL,
  part_count INTEGER NOT NULL,
  origin TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  completed_at BIGINT
);
CREATE INDEX IF NOT EXISTS uploads_status_expires ON uploads (status, expires_at);
CREATE TABLE IF NOT EXISTS upload_parts (
  upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  size BIGINT NOT NULL,
  etag TEXT NOT NULL,
  PRIMARY KEY (upload_id, number)
);
CREATE TABLE IF NOT EXISTS upload_signing_keys (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key BYTEA NOT NULL
);
`;

interface Row {
  id: string;
  tenant: string;
  status: UploadState;
  filename: string;
  content_type: string;
  size: string;
  sha256: string | null;
  part_size: string;
  part_count: number;
  origin: string;
  version: number;
  created_at: string;
  expires_at: string;
  completed_at: string | null;
}

const toRecord = (row: Row): UploadRecord => ({
  id: row.id,
  tenant: row.tenant,
  status: row.status,
  filename: row.filename,
  contentType: row.content_type,
  size: Number(row.size),
  sha256: row.sha256,
  partSize: Number(row.part_size),
  partCount: row.part_count,
  origin: row.origin,
  version: row.version,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  completedAt: row.completed_at === null ? null : Number(row.completed_at),
});

const toPart = (row: { number: number; size: string; etag: string }): StoredPart => ({
  number: row.number,
  size: Number(row.size),
  etag: row.etag,
});

/**
 * The {@link UploadStore} on PostgreSQL (pg). Give it a connection string (it owns a small
 * pool) or a pool to share with the job store.
 *
 * @example
 * const uploads = createPostgresUploadStore("postgres://app@db/jobs"); await uploads.migrate();
 */
export function createPostgresUploadStore(database: string | pg.Pool): UploadStore {
  const owned = typeof database === "string";
  // Guarded: without an 'error' listener one terminated idle connection crashed the process (issue 20).
  const pool = owned
    ? guardPool(new pg.Pool({ connectionString: database, max: 10, application_name: "async-jobs-uploads", ...POOL_FAULT_OPTIONS }))
    : database;

  async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    async migrate() {
      // Serialised across processes: concurrent CREATE TABLE IF NOT EXISTS can still collide.
      await inTransaction(async (client) => {
        await client.query("SELECT pg_advisory_xact_lock(hashtext('async-jobs uploads migrate'))");
        await client.query(SCHEMA);
      });
    },
    async createUpload(u: NewUpload) {
      await pool.query(
        `INSERT INTO uploads (id, tenant, status, filename, content_type, size, sha256, part_size, part_count, origin,
          version, created_at, expires_at, completed_at)
         VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, NULL)`,
        [u.id, u.tenant, u.filename, u.contentType, u.size, u.sha256, u.partSize, u.partCount, u.origin, u.createdAt, u.expiresAt],
      );
    },
    async getUpload(id) {
      // Postgres TEXT cannot hold U+0000; no upload id contains one (never a 5xx).
      if (id.includes("\u0000")) return null;
      const { rows } = await pool.query<Row>("SELECT * FROM uploads WHERE id = $1", [id]);
      return rows[0] ? toRecord(rows[0]) : null;
    },
    async listParts(id) {
      const { rows } = await pool.query("SELECT number, size, etag FROM upload_parts WHERE upload_id = $1 ORDER BY number", [id]);
      return rows.map(toPart);
    },
    async putPart(id, part, now) {
      return inTransaction(async (client) => {
        // The row lock orders this against complete, abort and expiry of the same upload.
        const bumped = await client.query(
          "UPDATE uploads SET version = version + 1 WHERE id = $1 AND status = 'pending' AND expires_at > $2",
          [id, now],
        );
        if (bumped.rowCount === 0) return "not_pending" as const;
        const previous = await client.query("SELECT number, size, etag FROM upload_parts WHERE upload_id = $1 AND number = $2", [
          id,
          part.number,
        ]);
        await client.query(
          `INSERT INTO upload_parts (upload_id, number, size, etag) VALUES ($1, $2, $3, $4)
           ON CONFLICT (upload_id, number) DO UPDATE SET size = excluded.size, etag = excluded.etag`,
          [id, part.number, part.size, part.etag],
        );
        return { replaced: previous.rows[0] ? toPart(previous.rows[0]) : null };
      });
    },
    async completeUpload(id, version, sha256, now) {
      const result = await pool.query(
        `UPDATE uploads SET status = 'completed', sha256 = $1, completed_at = $2
         WHERE id = $3 AND status = 'pending' AND version = $4 AND expires_at > $2`,
        [sha256, now, id, version],
      );
      return result.rowCount === 1;
    },
    async abortUpload(id, now) {
      const result = await pool.query(
        "UPDATE uploads SET status = 'aborted', completed_at = $1 WHERE id = $2 AND status = 'pending' AND expires_at > $1",
        [now, id],
      );
      return result.rowCount === 1;
    },
    async listExpired(now, limit) {
      const { rows } = await pool.query<{ id: string }>(
        "SELECT id FROM uploads WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
        [now, limit],
      );
      return rows.map((row) => row.id);
    },
    async markExpired(id, now) {
      return inTransaction(async (client) => {
        const result = await client.query(
          "UPDATE uploads SET status = 'expired' WHERE id = $1 AND status = 'pending' AND expires_at <= $2",
          [id, now],
        );
        if (result.rowCount === 0) return false;
        await client.query("DELETE FROM upload_parts WHERE upload_id = $1", [id]);
        return true;
      });
    },
    async purgeEnded(before) {
      const { rows } = await pool.query<{ id: string }>(
        "DELETE FROM uploads WHERE status IN ('aborted', 'expired') AND expires_at < $1 RETURNING id",
        [before],
      );
      return rows.map((row) => row.id);
    },
    async signingKey(create) {
      await pool.query("INSERT INTO upload_signing_keys (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", [
        Buffer.from(create()),
      ]);
      const { rows } = await pool.query<{ key: Buffer }>("SELECT key FROM upload_signing_keys WHERE id = 1");
      if (!rows[0]) throw new Error("upload signing key missing after insert");
      return new Uint8Array(rows[0].key);
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}
