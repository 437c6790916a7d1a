import type Database from "better-sqlite3";
import type { StoredPart } from "../../blobs/blob-store.ts";
import { translateErrors } from "../store-errors.ts";
import { decodeUploadRow, type UploadRow } from "../upload-row.ts";
import type { NewUpload, UploadStore } from "../upload-store.ts";
import { fromSqliteError, openSqliteDatabase } from "./open-sqlite-database.ts";
import { migrateSqliteDatabase } from "./schema.ts";

function prepareUploadStatements(db: Database.Database) {
  return {
    insert: db.prepare<[NewUpload]>(
      `INSERT INTO uploads (id, tenant, status, filename, content_type, size, sha256, part_size, part_count, origin,
        version, created_at, expires_at, completed_at)
       VALUES (@id, @tenant, 'pending', @filename, @contentType, @size, @sha256, @partSize, @partCount, @origin,
        0, @createdAt, @expiresAt, NULL)`,
    ),
    get: db.prepare<[string], UploadRow>("SELECT * FROM uploads WHERE id = ?"),
    parts: db.prepare<[string], StoredPart>("SELECT number, size, etag FROM upload_parts WHERE upload_id = ? ORDER BY number"),
    part: db.prepare<[string, number], StoredPart>("SELECT number, size, etag FROM upload_parts WHERE upload_id = ? AND number = ?"),
    bump: db.prepare<[string, number]>("UPDATE uploads SET version = version + 1 WHERE id = ? AND status = 'pending' AND expires_at > ?"),
    upsertPart: db.prepare<[string, number, number, string]>(
      `INSERT INTO upload_parts (upload_id, number, size, etag) VALUES (?, ?, ?, ?)
       ON CONFLICT (upload_id, number) DO UPDATE SET size = excluded.size, etag = excluded.etag`,
    ),
    complete: db.prepare<[string | null, number, string, number, number]>(
      `UPDATE uploads SET status = 'completed', sha256 = ?, completed_at = ?
       WHERE id = ? AND status = 'pending' AND version = ? AND expires_at > ?`,
    ),
    abort: db.prepare<[number, string, number]>(
      "UPDATE uploads SET status = 'aborted', completed_at = ? WHERE id = ? AND status = 'pending' AND expires_at > ?",
    ),
    pending: db.prepare<[string, string, number, number], UploadRow>(
      `SELECT * FROM uploads WHERE tenant = ? AND status = 'pending' AND id < ? AND expires_at > ?
       ORDER BY id DESC LIMIT ?`,
    ),
    expired: db.prepare<[number, number], { id: string }>(
      "SELECT id FROM uploads WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
    ),
    markExpired: db.prepare<[string, number]>("UPDATE uploads SET status = 'expired' WHERE id = ? AND status = 'pending' AND expires_at <= ?"),
    dropParts: db.prepare<[string]>("DELETE FROM upload_parts WHERE upload_id = ?"),
    purge: db.prepare<[number, number], { id: string }>(
      `DELETE FROM uploads WHERE (status IN ('aborted', 'expired') AND expires_at < ?)
         OR (status = 'completed' AND completed_at < ?) RETURNING id`,
    ),
    getKey: db.prepare<[], { key: Buffer }>("SELECT key FROM upload_signing_keys WHERE id = 1"),
    putKey: db.prepare<[Buffer]>("INSERT INTO upload_signing_keys (id, key) VALUES (1, ?) ON CONFLICT (id) DO NOTHING"),
  };
}

/**
 * The {@link UploadStore} on SQLite (better-sqlite3, WAL). Give it the path of the jobs
 * database (it opens its own connection, which WAL lets live beside the job store's) or an open
 * handle to share.
 *
 * @example
 * const uploads = openSqliteUploadStore("./data/jobs.db"); await uploads.migrate();
 */
export function openSqliteUploadStore(database: string | Database.Database, options: { now?: () => number } = {}): UploadStore {
  const owned = typeof database === "string";
  const db = owned ? openSqliteDatabase(database, { busyTimeoutMs: 5_000 }) : database;
  db.pragma("foreign_keys = ON");
  const now = options.now ?? Date.now;
  // Prepared after migrate(): the tables may not exist before.
  let statements: ReturnType<typeof prepareUploadStatements> | undefined;
  const sql = () => (statements ??= prepareUploadStatements(db));

  // BEGIN IMMEDIATE: several processes writing the same file otherwise fail with SQLITE_BUSY mid-transaction.
  const putPart = db.transaction((id: string, part: StoredPart, at: number) => {
    if (sql().bump.run(id, at).changes === 0) return "not_pending" as const;
    const replaced = sql().part.get(id, part.number) ?? null;
    sql().upsertPart.run(id, part.number, part.size, part.etag);
    return { replaced };
  });
  const markExpired = db.transaction((id: string, at: number) => {
    if (sql().markExpired.run(id, at).changes === 0) return false;
    sql().dropParts.run(id);
    return true;
  });

  const store: UploadStore = {
    async migrate() {
      migrateSqliteDatabase(db, now());
    },
    async createUpload(upload) {
      sql().insert.run(upload);
    },
    async getUpload(id) {
      const row = sql().get.get(id);
      return row ? decodeUploadRow(row) : null;
    },
    async listParts(id) {
      return sql().parts.all(id);
    },
    async putPart(id, part, at) {
      return putPart.immediate(id, part, at);
    },
    async completeUpload(id, version, sha256, at) {
      return sql().complete.run(sha256, at, id, version, at).changes === 1;
    },
    async abortUpload(id, at) {
      return sql().abort.run(at, id, at).changes === 1;
    },
    async listPending({ tenant, now: at, beforeId, limit }) {
      // Every id sorts before "~" (ids are ASCII letters, digits and "_"): no cursor, no bound.
      return sql().pending.all(tenant, beforeId ?? "~", at, limit).map(decodeUploadRow);
    },
    async listExpired(at, limit) {
      return sql().expired.all(at, limit).map((row) => row.id);
    },
    async markExpired(id, at) {
      return markExpired.immediate(id, at);
    },
    async purgeEnded({ endedBefore, completedBefore }) {
      return sql().purge.all(endedBefore, completedBefore).map((row) => row.id);
    },
    async signingKey(create) {
      const existing = sql().getKey.get();
      if (existing) return new Uint8Array(existing.key);
      sql().putKey.run(Buffer.from(create()));
      const row = sql().getKey.get();
      if (!row) throw new Error("upload signing key missing after insert");
      return new Uint8Array(row.key);
    },
    async close() {
      if (owned) db.close();
    },
  };
  return translateErrors(store, fromSqliteError);
}
