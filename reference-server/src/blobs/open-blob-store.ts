import type { BlobStore } from "./blob-store.ts";
import { createLocalDiskBlobStore } from "./local-disk-blob-store.ts";

/**
 * Opens the blob store a `--blobs` value names: `s3://bucket/prefix?…` is S3 (or any
 * S3-compatible store), anything else a local directory (`--blob-dir`). The AWS SDK is loaded
 * only for S3 (half a second of start-up that a local-disk server does not pay).
 *
 * @example
 * await openBlobStore("s3://uploads/prod?region=eu-west-1"); await openBlobStore("./data/blobs");
 */
export async function openBlobStore(location: string, log?: (message: string) => void): Promise<BlobStore> {
  if (!location.startsWith("s3://")) return createLocalDiskBlobStore(location);
  const { createS3BlobStore } = await import("./s3-blob-store.ts");
  return createS3BlobStore(location, log ? { log } : {});
}
