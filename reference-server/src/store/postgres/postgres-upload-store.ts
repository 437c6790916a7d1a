import pg from "pg";
import { guardPool, POOL_FAULT_OPTIONS } from "./pg-pool-guard.ts";
import { translateErrors } from "../store-errors.ts";
import { decodePartRow, decodeUploadRow, type UploadRow } from "../upload-row.ts";
import type { NewUpload, UploadStore } from "../upload-store.ts";
import { fromPostgresError, hasNul } from "./postgres-errors.ts";
import { migratePostgresDatabase } from "./schema.ts";

/**
 * The {@link UploadStore} on PostgreSQL (pg). Give it a connection string (it owns a small
 * pool) or a pool to share with the job store.
 *
 * @example
 * const uploads = openPostgresUploadStore("postgres://app@db/jobs"); await uploads.migrate();
 */
export function openPostgresUploadStore(database: string | pg.Pool, options: { now?: () => number } = {}): UploadStore {
  const owned = typeof database === "string";
  const now = options.now ?? Date.now;
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

  const store: UploadStore = {
    migrate: () => migratePostgresDatabase(pool, now()),
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
      if (hasNul(id)) return null;
      const { rows } = await pool.query<UploadRow>("SELECT * FROM uploads WHERE id = $1", [id]);
      return rows[0] ? decodeUploadRow(rows[0]) : null;
    },
    async listParts(id) {
      const { rows } = await pool.query("SELECT number, size, etag FROM upload_parts WHERE upload_id = $1 ORDER BY number", [id]);
      return rows.map(decodePartRow);
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
        return { replaced: previous.rows[0] ? decodePartRow(previous.rows[0]) : null };
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
    async listPending({ tenant, now: at, beforeId, limit }) {
      if (hasNul(tenant) || hasNul(beforeId ?? "")) return [];
      // Keyset paging in byte order, as the uploads_pending_tenant index is built (spec §8.4).
      const before = beforeId === undefined ? "" : `AND id COLLATE "C" < $4`;
      const { rows } = await pool.query<UploadRow>(
        `SELECT * FROM uploads WHERE tenant = $1 AND status = 'pending' AND expires_at > $2 ${before}
         ORDER BY id COLLATE "C" DESC LIMIT $3`,
        beforeId === undefined ? [tenant, at, limit] : [tenant, at, limit, beforeId],
      );
      return rows.map(decodeUploadRow);
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
    async purgeEnded({ endedBefore, completedBefore }) {
      const { rows } = await pool.query<{ id: string }>(
        `DELETE FROM uploads WHERE (status IN ('aborted', 'expired') AND expires_at < $1)
           OR (status = 'completed' AND completed_at < $2) RETURNING id`,
        [endedBefore, completedBefore],
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
  return translateErrors(store, fromPostgresError);
}
