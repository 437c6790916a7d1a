import type { StoredPart } from "../blobs/blob-store.ts";
import type { UploadRecord, UploadState } from "./upload-store.ts";

/** An `uploads` row as either driver returns it (pg returns BIGINT as a string). */
export interface UploadRow {
  id: string;
  tenant: string;
  status: UploadState;
  filename: string;
  content_type: string;
  size: number | string;
  sha256: string | null;
  part_size: number | string;
  part_count: number;
  origin: string;
  version: number;
  created_at: number | string;
  expires_at: number | string;
  completed_at: number | string | null;
}

/**
 * An upload record from its row (either dialect).
 *
 * @example
 * const upload = decodeUploadRow(row);
 */
export function decodeUploadRow(row: UploadRow): UploadRecord {
  return {
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
  };
}

/**
 * A stored part from its row (either dialect).
 *
 * @example
 * rows.map(decodePartRow)
 */
export function decodePartRow(row: { number: number; size: number | string; etag: string }): StoredPart {
  return { number: row.number, size: Number(row.size), etag: row.etag };
}
