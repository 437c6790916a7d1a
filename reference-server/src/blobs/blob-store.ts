import type { Readable } from "node:stream";
import type { ByteRange } from "async-jobs/protocol";

/** A stored part of an upload: its number, size and ETag (quoted, exactly as sent to the client). */
export interface StoredPart {
  number: number;
  size: number;
  etag: string;
}

/**
 * Where upload parts and job outputs live. The upload store (SQL) knows which parts exist and
 * what their ETags are when parts go through our own PUT handler; a blob store only keeps bytes.
 *
 * Two siblings implement it: `createLocalDiskBlobStore` (parts PUT to the API, which streams
 * them to disk) and `createS3BlobStore`, whose {@link DirectAccess} hands clients presigned S3
 * URLs so part bytes and downloads never pass through the API (see docs/object-storage.md).
 */
export interface BlobStore {
  /** Prepares storage for a new upload (S3: `CreateMultipartUpload`). */
  createUpload(uploadId: string): Promise<void>;
  /**
   * Streams one part into storage; a 5 GiB part never sits in memory. The part becomes visible
   * only once all of it is written (temp file + atomic rename), so readers never see half a part.
   * Rejects with {@link SizeMismatchError} as soon as the body turns out longer than `size`, or
   * at its end when shorter; nothing is kept then.
   */
  writePart(uploadId: string, number: number, source: AsyncIterable<Uint8Array>, size: number): Promise<StoredPart>;
  /** Forgets one stored version of a part (e.g. one replaced, or one written too late). */
  deletePart(uploadId: string, part: StoredPart): Promise<void>;
  /**
   * Seals a completed upload (local disk: nothing to do; S3: `CompleteMultipartUpload`), before
   * its checksum is verified. Rejects with {@link PartRefusedError} when the store itself finds a
   * listed part missing or with another ETag.
   */
  completeParts(uploadId: string, parts: readonly StoredPart[]): Promise<void>;
  /**
   * Undoes {@link BlobStore.completeParts} after a checksum mismatch, so the upload stays pending
   * (spec §4.5). Local disk: nothing to do, the parts are kept. S3: the completed object is
   * deleted and a new multipart upload begins, so the parts must be sent again.
   */
  reopenUpload(uploadId: string): Promise<void>;
  /** The parts, in order, as one stream; with `range`, only those bytes of the whole file. */
  readUpload(uploadId: string, parts: readonly StoredPart[], range?: ByteRange): Readable;
  /** Removes every part of an upload (abort, expiry). */
  deleteUpload(uploadId: string): Promise<void>;

  /** Streams a job's output file into storage (temp file + atomic rename); resolves with its size. */
  writeBlob(blobId: string, source: AsyncIterable<Uint8Array>): Promise<{ size: number }>;
  /** Size of a stored output, or `null` when there is none. */
  statBlob(blobId: string): Promise<{ size: number } | null>;
  /** An output file, or only `range` of it. */
  readBlob(blobId: string, range?: ByteRange): Readable;
  deleteBlob(blobId: string): Promise<void>;
  /** Removes outputs written before `olderThanMs` (epoch ms); resolves with how many. */
  deleteBlobsBefore(olderThanMs: number): Promise<number>;
  close(): Promise<void>;
  /** Present when clients reach the store directly: part and download URLs point at it. */
  direct?: DirectAccess;
}

/**
 * What a store that clients reach directly (S3) adds: its own presigned URLs, and the parts it
 * holds, which our API never saw arrive.
 */
export interface DirectAccess {
  /** A presigned `UploadPart` URL for exactly `size` bytes, valid `ttlS` seconds from `nowMs`. */
  presignPart(uploadId: string, number: number, size: number, nowMs: number, ttlS: number): Promise<string>;
  /**
   * The stored parts of a pending upload (`ListParts`); `null` when the store cannot list them
   * (a test server without `ListParts`): callers then trust the client's ETags and let
   * {@link BlobStore.completeParts} refuse wrong ones; `"sealed"` when the parts were already
   * joined by an earlier complete that did not finish (callers use the parts they recorded then).
   */
  listParts(uploadId: string): Promise<StoredPart[] | null | "sealed">;
  /** A presigned `GetObject` URL of an output (Range-capable), valid `ttlS` seconds from `nowMs`. */
  presignDownload(blobId: string, nowMs: number, ttlS: number): Promise<string>;
}

/**
 * The store refused a listed part at complete (S3 `InvalidPart`, `InvalidPartOrder`): spec §4.5's
 * `422 invalid_part`.
 *
 * @example
 * if (error instanceof PartRefusedError) throw new UploadError("invalid_part", error.message);
 */
export class PartRefusedError extends Error {
  override readonly name = "PartRefusedError";
}

/**
 * A part body that is not exactly the part's size (spec §4: `400 size_mismatch`).
 *
 * @example
 * if (error instanceof SizeMismatchError) reply(400, "size_mismatch", error.message)
 */
export class SizeMismatchError extends Error {
  override readonly name = "SizeMismatchError";
  constructor(
    readonly expected: number,
    /** Bytes received; a lower bound when the body was cut off for being too long. */
    readonly received: number,
    readonly tooLong: boolean,
  ) {
    super(
      tooLong
        ? `The part must be ${expected} bytes; more were sent.`
        : `The part must be ${expected} bytes; ${received} were sent.`,
    );
  }
}

// Ids become path segments and object keys: keep them to a safe alphabet.
const SAFE_ID = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * Throws unless `id` is safe to use as a path segment or object key.
 *
 * @example
 * assertSafeId("upl_01JD3Z8Q2W5X4V6B7N8M9K0P1R")
 */
export function assertSafeId(id: string): void {
  if (!SAFE_ID.test(id)) throw new Error(`unsafe blob id ${JSON.stringify(id)}`);
}
