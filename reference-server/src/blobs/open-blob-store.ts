import type { BlobStore } from "./blob-store.ts";
import { createLocalDiskBlobStore } from "./local-disk-blob-store.ts";
import { createS3BlobStore } from "./s3-blob-store.ts";

/**
 * Opens the blob store a `--blobs` value names: `s3://bucket/prefix?…` is S3 (or any
 * S3-compatible store), anything else a local directory (`--blob-dir`).
 *
 * @example
 * openBlobStore("s3://uploads/prod?region=eu-west-1"); openBlobStore("./data/blobs");
 */
export function openBlobStore(location: string, log?: (message: string) => void): BlobStore {
  return location.startsWith("s3://") ? createS3BlobStore(location, log ? { log } : {}) : createLocalDiskBlobStore(location);
}
