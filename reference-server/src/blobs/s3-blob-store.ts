import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Readable } from "node:stream";
import type { ByteRange } from "async-jobs/protocol";
import { assertSafeId, type BlobStore, PartRefusedError, type StoredPart } from "./blob-store.ts";
import { parseS3Location, type S3Location } from "./s3-location.ts";

/** Options of {@link createS3BlobStore}. */
export interface S3BlobStoreOptions {
  /** A ready client (tests); by default one built from the location and the AWS credential chain. */
  client?: S3Client;
  /** Notes worth an operator's eye (e.g. a server without `ListParts`). @default () => {} */
  log?: (message: string) => void;
  /**
   * Chunk size of job outputs written as multipart uploads (S3's minimum part is 5 MiB).
   * @default 8388608
   */
  outputPartSize?: number;
}

// S3 error codes that mean "this server does not implement that call" (test servers).
const UNSUPPORTED = new Set(["MethodNotAllowed", "NotImplemented"]);
const errorName = (error: unknown) => (error as { name?: string; Code?: string } | null)?.name ?? "";

/**
 * Builds the S3 client of a location. Credentials come from the standard AWS chain (env
 * variables, shared config, instance roles); checksums only where S3 requires them, so a
 * presigned `UploadPart` URL carries no checksum a browser would have to compute.
 *
 * @example
 * const client = createS3Client(parseS3Location("s3://bucket?endpoint=http://127.0.0.1:9000&forcePathStyle=true"));
 */
export function createS3Client(location: S3Location): S3Client {
  return new S3Client({
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
    ...(location.region ? { region: location.region } : {}),
    forcePathStyle: location.forcePathStyle,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/**
 * A {@link BlobStore} on an S3-compatible bucket: an upload is a multipart upload at
 * `<prefix>uploads/<upload id>` whose parts clients PUT straight to S3 through presigned
 * `UploadPart` URLs; outputs live at `<prefix>outputs/<blob id>` and are downloaded through
 * presigned `GetObject` URLs. The S3 UploadId is kept beside the object
 * (`<prefix>uploads/<upload id>.multipart-id`), so every API process and worker finds it.
 *
 * @example
 * const blobs = createS3BlobStore("s3://my-bucket/async-jobs?region=eu-west-1");
 * const url = await blobs.direct!.presignPart("upl_1", 1, 5242880, Date.now(), 3600);
 */
export function createS3BlobStore(location: S3Location | string, options: S3BlobStoreOptions = {}): BlobStore {
  const where = typeof location === "string" ? parseS3Location(location) : location;
  const client = options.client ?? createS3Client(where);
  const log = options.log ?? (() => {});
  const outputPartSize = options.outputPartSize ?? 8 * 1024 ** 2;
  const Bucket = where.bucket;
  const uploadKey = (uploadId: string) => {
    assertSafeId(uploadId);
    return `${where.prefix}uploads/${uploadId}`;
  };
  const markerKey = (uploadId: string) => `${uploadKey(uploadId)}.multipart-id`;
  const outputKey = (blobId: string) => {
    assertSafeId(blobId);
    return `${where.prefix}outputs/${blobId}`;
  };

  // Upload id → S3 UploadId; the marker object is the truth, this only saves a GET.
  const multipartIds = new Map<string, string>();
  let listingUnsupported = false;

  async function beginMultipart(uploadId: string): Promise<void> {
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket, Key: uploadKey(uploadId), ContentType: "application/octet-stream" }),
    );
    if (!created.UploadId) throw new Error("S3 answered CreateMultipartUpload without an UploadId");
    await client.send(new PutObjectCommand({ Bucket, Key: markerKey(uploadId), Body: created.UploadId, ContentType: "text/plain" }));
    multipartIds.set(uploadId, created.UploadId);
  }

  /** The S3 UploadId of an upload, or `null` when none was begun (or it was dropped). */
  async function multipartIdOf(uploadId: string): Promise<string | null> {
    const cached = multipartIds.get(uploadId);
    if (cached) return cached;
    try {
      const answer = await client.send(new GetObjectCommand({ Bucket, Key: markerKey(uploadId) }));
      const id = (await answer.Body?.transformToString())?.trim();
      if (!id) return null;
      multipartIds.set(uploadId, id);
      return id;
    } catch (error) {
      if (errorName(error) === "NoSuchKey") return null;
      throw error;
    }
  }

  async function requireMultipartId(uploadId: string): Promise<string> {
    const id = await multipartIdOf(uploadId);
    if (!id) throw new Error(`no multipart upload for ${uploadId}`);
    return id;
  }

  /** A lazy `GetObject` stream: the request starts when the stream is first read. */
  function readObject(Key: string, range?: ByteRange): Readable {
    async function* body() {
      const answer = await client.send(
        new GetObjectCommand({ Bucket, Key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      if (answer.Body) yield* answer.Body as AsyncIterable<Uint8Array>;
    }
    return Readable.from(body(), { objectMode: false });
  }

  /** Whether an object exists (`HeadObject`). */
  async function exists(Key: string): Promise<boolean> {
    try {
      await client.send(new HeadObjectCommand({ Bucket, Key }));
      return true;
    } catch (error) {
      if (errorName(error) === "NotFound" || errorName(error) === "NoSuchKey") return false;
      throw error;
    }
  }

  async function deleteQuietly(Key: string) {
    await client.send(new DeleteObjectCommand({ Bucket, Key }));
  }

  return {
    createUpload: beginMultipart,

    async writePart() {
      throw new Error("S3 blob store: parts go straight to S3 through presigned UploadPart URLs");
    },
    async deletePart() {
      // S3 keeps one version per part number; a replaced part is gone already.
    },

    async completeParts(uploadId, parts) {
      const UploadId = await requireMultipartId(uploadId);
      try {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: uploadKey(uploadId),
            UploadId,
            MultipartUpload: {
              Parts: [...parts].sort((a, b) => a.number - b.number).map((p) => ({ PartNumber: p.number, ETag: p.etag })),
            },
          }),
        );
      } catch (error) {
        const name = errorName(error);
        // Sealed by an earlier complete that stopped before our store recorded it: done already.
        if (name === "NoSuchUpload" && (await exists(uploadKey(uploadId)))) return;
        if (name === "InvalidPart" || name === "InvalidPartOrder" || name === "EntityTooSmall") {
          throw new PartRefusedError(`S3 refused the listed parts (${name}): ${(error as Error).message}`);
        }
        throw error;
      }
    },

    async reopenUpload(uploadId) {
      await deleteQuietly(uploadKey(uploadId));
      multipartIds.delete(uploadId);
      await beginMultipart(uploadId);
    },

    readUpload(uploadId, _parts, range) {
      return readObject(uploadKey(uploadId), range);
    },

    async deleteUpload(uploadId) {
      const UploadId = await multipartIdOf(uploadId);
      if (UploadId) {
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket, Key: uploadKey(uploadId), UploadId }));
        } catch (error) {
          const name = errorName(error);
          if (UNSUPPORTED.has(name)) log("S3 server does not implement AbortMultipartUpload; its parts stay until a lifecycle rule drops them");
          else if (name !== "NoSuchUpload") throw error;
        }
      }
      await deleteQuietly(uploadKey(uploadId));
      await deleteQuietly(markerKey(uploadId));
      multipartIds.delete(uploadId);
    },

    async writeBlob(blobId, source) {
      const Key = outputKey(blobId);
      let size = 0;
      let buffered: Uint8Array[] = [];
      let bufferedBytes = 0;
      let UploadId: string | undefined;
      const parts: { PartNumber: number; ETag: string }[] = [];
      const flush = async () => {
        if (!UploadId) {
          const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType: "application/octet-stream" }));
          UploadId = created.UploadId;
        }
        const PartNumber = parts.length + 1;
        const body = Buffer.concat(buffered);
        buffered = [];
        bufferedBytes = 0;
        const answer = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.byteLength }));
        parts.push({ PartNumber, ETag: answer.ETag ?? "" });
      };
      try {
        for await (const chunk of source) {
          size += chunk.byteLength;
          buffered.push(chunk);
          bufferedBytes += chunk.byteLength;
          // Memory stays at one output part, however large the output.
          if (bufferedBytes >= outputPartSize) await flush();
        }
        if (!UploadId) {
          const body = Buffer.concat(buffered);
          await client.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.byteLength, ContentType: "application/octet-stream" }));
          return { size };
        }
        if (bufferedBytes > 0) await flush();
        await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
        return { size };
      } catch (error) {
        if (UploadId) {
          await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => {});
        }
        throw error;
      }
    },

    async statBlob(blobId) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: outputKey(blobId) }));
        return { size: head.ContentLength ?? 0 };
      } catch (error) {
        if (errorName(error) === "NotFound" || errorName(error) === "NoSuchKey") return null;
        throw error;
      }
    },

    readBlob(blobId, range) {
      return readObject(outputKey(blobId), range);
    },

    async deleteBlob(blobId) {
      await deleteQuietly(outputKey(blobId));
    },

    async deleteBlobsBefore(olderThanMs) {
      let removed = 0;
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: `${where.prefix}outputs/`, ContinuationToken }));
        for (const object of page.Contents ?? []) {
          if (object.Key && object.LastModified && object.LastModified.getTime() < olderThanMs) {
            await deleteQuietly(object.Key);
            removed += 1;
          }
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return removed;
    },

    async close() {
      if (!options.client) client.destroy();
    },

    direct: {
      async presignPart(uploadId, number, size, nowMs, ttlS) {
        const UploadId = await requireMultipartId(uploadId);
        // ContentLength is signed: S3 itself refuses a body of another size (403).
        const command = new UploadPartCommand({ Bucket, Key: uploadKey(uploadId), UploadId, PartNumber: number, ContentLength: size });
        return getSignedUrl(client, command, { expiresIn: ttlS, signingDate: new Date(nowMs) });
      },

      async listParts(uploadId) {
        if (listingUnsupported) return null;
        const UploadId = await multipartIdOf(uploadId);
        if (!UploadId) return [];
        const parts: StoredPart[] = [];
        let PartNumberMarker: string | undefined;
        try {
          do {
            const page = await client.send(new ListPartsCommand({ Bucket, Key: uploadKey(uploadId), UploadId, PartNumberMarker }));
            for (const p of page.Parts ?? []) {
              if (p.PartNumber !== undefined && p.ETag) parts.push({ number: p.PartNumber, size: p.Size ?? 0, etag: p.ETag });
            }
            PartNumberMarker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
          } while (PartNumberMarker);
        } catch (error) {
          const name = errorName(error);
          if (name === "NoSuchUpload") return (await exists(uploadKey(uploadId))) ? "sealed" : [];
          if (UNSUPPORTED.has(name)) {
            listingUnsupported = true;
            log("S3 server does not implement ListParts: resume shows no stored parts, complete trusts the client's ETags");
            return null;
          }
          throw error;
        }
        return parts.sort((a, b) => a.number - b.number);
      },

      async presignDownload(blobId, nowMs, ttlS) {
        const command = new GetObjectCommand({ Bucket, Key: outputKey(blobId), ResponseContentType: "application/octet-stream" });
        return getSignedUrl(client, command, { expiresIn: ttlS, signingDate: new Date(nowMs) });
      },
    },
  };
}
