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
 * what their ETags are; a blob store only keeps bytes.
 *
 * Dropping in S3 later: an `S3BlobStore` maps an upload to a multipart upload
 * (`CreateMultipartUpload` when the upload is created, keeping its UploadId beside ours), hands
 * out presigned `UploadPart` URLs instead of the reference server's signed part URLs (through an
 * optional `presignPart(uploadId, number, size, expiresAt)` the uploads service prefers when
 * present; clients only follow the URL a Part carries), reads stored parts
 * and their ETags with `ListParts` instead of getting them from our PUT handler, turns
 * `completeParts` into `CompleteMultipartUpload`, `readUpload` into a ranged `GetObject` of the
 * completed object, `deleteUpload` into `AbortMultipartUpload`/`DeleteObject`, and
 * `presignDownload` into a presigned `GetObject` (which supports `Range` natively).
 */
export interface BlobStore {
  /**
   * Streams one part into storage; a 5 GiB part never sits in memory. The part becomes visible
   * only once all of it is written (temp file + atomic rename), so readers never see half a part.
   * Rejects with {@link SizeMismatchError} as soon as the body turns out longer than `size`, or
   * at its end when shorter; nothing is kept then.
   */
  writePart(uploadId: string, number: number, source: AsyncIterable<Uint8Array>, size: number): Promise<StoredPart>;
  /** Forgets one stored version of a part (e.g. one replaced, or one written too late). */
  deletePart(uploadId: string, part: StoredPart): Promise<void>;
  /** Seals a completed upload (local disk: nothing to do; S3: `CompleteMultipartUpload`). */
  completeParts(uploadId: string, parts: readonly StoredPart[]): Promise<void>;
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
