import type { Upload } from "async-jobs/types";
import type { UploadRecord } from "../store/upload-store.ts";

/** What an Upload shows of its record as stored, in both its full view and the listing. */
export type UploadFields = Pick<Upload, "filename" | "content_type" | "size" | "sha256" | "part_size" | "part_count" | "expires_at">;

/**
 * The fields of an upload's JSON that come straight from its record (spec §4.1), shared by
 * `GET /v1/uploads/{id}` and the pending-uploads listing (spec §8.4).
 *
 * @example
 * const json = { id: record.id, status, ...uploadFields(record), parts }
 */
export function uploadFields(record: UploadRecord): UploadFields {
  return {
    filename: record.filename,
    content_type: record.contentType,
    size: record.size,
    sha256: record.sha256,
    part_size: record.partSize,
    part_count: record.partCount,
    expires_at: new Date(record.expiresAt).toISOString(),
  };
}
