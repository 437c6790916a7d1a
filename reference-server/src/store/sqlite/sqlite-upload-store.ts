import Database from "better-sqlite3";
import type { StoredPart } from "../../blobs/blob-store.ts";
import type { NewUpload, UploadRecord, UploadState, UploadStore } from "../upload-store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  status TEXT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT,
  part_size INTEGER NOT NULL,
  part_count INTEGER NOT NULL,
  origin TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX IF NOT EXISTS uploads_status_expires ON uploads (status, expires_at);
CREATE TABLE IF NOT EXISTS upload_parts (
  upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  PRIMARY KEY (upload_id, number)
);
CREATE TABLE IF NOT EXISTS upload_signing_keys (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key BLOB NOT NULL
);
`;

interface Row {
  id: string;
  tenant: string;
  status: UploadState;
  filename: string;
  content_type: string;
  size: number;
  sha256: string | null;
  part_size: number;
  part_count: number;
  origin: string;
  version: number;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
}

const toRecord = (row: Row): UploadRecord => ({
  id: row.id,
  tenant: row.tenant,
  status: row.status,
  filename: row.filename,
  contentType: row.content_type,
  size: row.size,
  sha256: row.sha256,
  partSize: row.part_size,
  partCount: row.part_count,
  origin: row.origin,
  version: row.version,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  completedAt: row.completed_at,
});

/**
 * The {@link UploadStore} on SQLite (better-sqlite3, WAL). Give it the path of the jobs
 * database (it opens its own connection, which WAL lets live beside the job store's) or an open
 * handle to share.
 *
 * @example
 * const uploads = createSqliteUploadStore("./data/jobs.db"); await uploads.migrate();
 */
export function createSqliteUploadStore(database: string | Database.Database): UploadStore {
  const owned = typeof database === "string";
  const db = owned ? new Database(database) : database;
  if (owned) {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL"); // an acknowledged upload or part survives a crash
    db.pragma("busy_timeout = 5000");
  }
  db.pragma("foreign_keys = ON");
  let statements: ReturnType<typeof prepare> | undefined;
  const prepare = () => ({
    insert: db.prepare(
      `INSERT INTO uploads (id, tenant, status, filename, content_type, size, sha256, part_size, part_count, origin,
        version, created_at, expires_at, completed_at)
       VALUES (@id, @tenant, 'pending', @filename, @contentType, @size, @sha256, @partSize, @partCount, @origin,
        0, @createdAt, @expiresAt, NULL)`,
    ),
    get: db.prepare<[string], Row>("SELECT * FROM uploads WHERE id = ?"),
    parts: db.prepare<[string], StoredPart>("SELECT number, size, etag FROM upload_parts WHERE upload_id = ? ORDER BY number"),
    part: db.prepare<[string, number], StoredPart>("SELECT number, size, etag FROM upload_parts WHERE upload_id = ? AND number = ?"),
    bump: db.prepare<[string, number]>(
      "UPDATE uploads SET version = version + 1 WHERE id = ? AND status = 'pending' AND expires_at > ?",
    ),
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
    expired: db.prepare<[number, number], { id: string }>(
      "SELECT id FROM uploads WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
    ),
    markExpired: db.prepare<[string, number]>(
      "UPDATE uploads SET status = 'expired' WHERE id = ? AND status = 'pending' AND expires_at <= ?",
    ),
    dropParts: db.prepare<[string]>("DELETE FROM upload_parts WHERE upload_id = ?"),
    purge: db.prepare<[number], { id: string }>(
      "DELETE FROM uploads WHERE status IN ('aborted', 'expired') AND expires_at < ? RETURNING id",
    ),
    getKey: db.prepare<[], { key: Buffer }>("SELECT key FROM upload_signing_keys WHERE id = 1"),
    putKey: db.prepare<[Buffer]>("INSERT INTO upload_signing_keys (id, key) VALUES (1, ?) ON CONFLICT (id) DO NOTHING"),
  });
  const sql = () => (statements ??= prepare());

  // BEGIN IMMEDIATE: several processes writing the same file otherwise fail with SQLITE_BUSY mid-transaction.
  const putPart = db.transaction((id: string, part: StoredPart, now: number) => {
    if (sql().bump.run(id, now).changes === 0) return "not_pending" as const;
    const replaced = sql().part.get(id, part.number) ?? null;
    sql().upsertPart.run(id, part.number, part.size, part.etag);
    return { replaced };
  });
  const markExpired = db.transaction((id: string, now: number) => {
    if (sql().markExpired.run(id, now).changes === 0) return false;
    sql().dropParts.run(id);
    return true;
  });

  return {
    async migrate() {
      db.exec(SCHEMA);
    },
    async createUpload(upload: NewUpload) {
      sql().insert.run(upload);
    },
    async getUpload(id) {
      const row = sql().get.get(id);
      return row ? toRecord(row) : null;
    },
    async listParts(id) {
      return sql().parts.all(id);
    },
    async putPart(id, part, now) {
      return putPart.immediate(id, part, now);
    },
    async completeUpload(id, version, sha256, now) {
      return sql().complete.run(sha256, now, id, version, now).changes === 1;
    },
    async abortUpload(id, now) {
      return sql().abort.run(now, id, now).changes === 1;
    },
    async listExpired(now, limit) {
      return sql().expired.all(now, limit).map((row) => row.id);
    },
    async markExpired(id, now) {
      return markExpired.immediate(id, now);
    },
    async purgeEnded(before) {
      return sql().purge.all(before).map((row) => row.id);
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
}
