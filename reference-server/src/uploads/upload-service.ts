import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { type ByteRange, formatContentRange, parseRange, partSizeOf, planParts, samePartETag } from "async-jobs/protocol";
import type { Part, PartList, Upload } from "async-jobs/types";
import { type BlobStore, PartRefusedError, SizeMismatchError, type StoredPart } from "../blobs/blob-store.ts";
import type { UploadRecord, UploadState, UploadStore } from "../store/upload-store.ts";
import { hashStream } from "./hash-stream.ts";
import { uploadFields } from "./upload-fields.ts";
import { newId } from "../new-id.ts";
import { createUrlSigner, type UrlSigner } from "./signed-url.ts";
import { UploadError } from "./upload-error.ts";
import type { ServerMetrics } from "../metrics/server-metrics.ts";
import { defaultServerConfig } from "../config.ts";

/** Options of the uploads feature; the server's `config.ts` maps its flags onto them. */
export interface UploadServiceOptions {
  store: UploadStore;
  blobs: BlobStore;
  /**
   * Smallest part but the last (`--min-part-size`). Tests use small values.
   * @default defaultServerConfig.minPartSize
   */
  minPartSize?: number;
  /**
   * Part size when the client gives no hint (raised to `minPartSize`).
   * @default 8388608
   */
  defaultPartSize?: number;
  /**
   * Lifetime of a signed part URL in seconds (`--part-url-ttl-s`).
   * @default defaultServerConfig.partUrlTtlS
   */
  partUrlTtlS?: number;
  /**
   * Lifetime of a signed download URL (and of the output behind it) in seconds.
   * @default defaultServerConfig.downloadUrlTtlS
   */
  downloadUrlTtlS?: number;
  /**
   * A pending upload expires this long after it is created (spec §4: 24 h).
   * @default defaultServerConfig.uploadTtlMs
   */
  uploadTtlMs?: number;
  /**
   * Aborted and expired uploads are forgotten this long after their expiry.
   * @default defaultServerConfig.retainEndedUploadsMs
   */
  retainEndedMs?: number;
  /**
   * Completed uploads (and their bytes) are deleted this long after completion (retention).
   * @default 604800000
   */
  retainCompletedMs?: number;
  /** URL signing key; by default one random key kept in the upload store, shared by every process. */
  signingKey?: Uint8Array;
  /** `--metrics`: completed uploads and their bytes are counted. */
  metrics?: Pick<ServerMetrics, "uploadCompleted">;
  /** Clock (epoch ms), injectable for tests. @default Date.now */
  now?: () => number;
}

/**
 * How many parts carry signed URLs in an Upload (spec §4).
 *
 * @example
 * upload.parts.filter((p) => p.url).length <= SIGNED_PARTS_LIMIT
 */
export const SIGNED_PARTS_LIMIT = 100;

/** A completed upload opened for reading by a job. */
export interface CompletedUpload {
  record: UploadRecord;
  parts: StoredPart[];
  read(range?: ByteRange): Readable;
}

/** What the download handler serves. */
export type DownloadAnswer =
  | { kind: "whole"; size: number; body: Readable }
  | { kind: "range"; size: number; range: ByteRange; body: Readable };

/** The HTTP-agnostic uploads logic; handlers translate to and from HTTP. */
export type UploadService = ReturnType<typeof createUploadService>;


/**
 * Creates the uploads service over an upload store and a blob store.
 *
 * @example
 * const uploads = createUploadService({ store, blobs, minPartSize: 64 * 1024 });
 * const upload = await uploads.create("acme", "http://127.0.0.1:8080", { filename: "a.bin", content_type: "application/octet-stream", size: 10 });
 */
export function createUploadService(options: UploadServiceOptions) {
  const { store, blobs } = options;
  const now = options.now ?? Date.now;
  const minPartSize = options.minPartSize ?? defaultServerConfig.minPartSize;
  const partUrlTtlS = options.partUrlTtlS ?? defaultServerConfig.partUrlTtlS;
  const downloadUrlTtlS = options.downloadUrlTtlS ?? defaultServerConfig.downloadUrlTtlS;
  const uploadTtlMs = options.uploadTtlMs ?? defaultServerConfig.uploadTtlMs;
  const retainEndedMs = options.retainEndedMs ?? defaultServerConfig.retainEndedUploadsMs;
  const retainCompletedMs = options.retainCompletedMs ?? defaultServerConfig.uploadRetentionMs;

  let signer: Promise<UrlSigner> | undefined;
  const getSigner = () =>
    (signer ??= (options.signingKey ? Promise.resolve(options.signingKey) : store.signingKey(() => randomBytes(32))).then(
      createUrlSigner,
    ));

  /** The status clients see: a pending upload past its expiry is expired even before cleanup ran. */
  const statusOf = (record: UploadRecord, at: number): UploadState =>
    record.status === "pending" && record.expiresAt <= at ? "expired" : record.status;

  async function getOwned(tenant: string, id: string): Promise<UploadRecord> {
    const record = await store.getUpload(id);
    // Another tenant's upload is answered exactly like a missing one (spec §1).
    if (!record || record.tenant !== tenant) throw new UploadError("not_found", `No upload ${id}.`);
    return record;
  }

  async function signedPart(signerNow: UrlSigner, record: UploadRecord, number: number, at: number): Promise<Part & { etag: null }> {
    const size = partSizeOf(record, number);
    const expires = Math.floor(at / 1000) + partUrlTtlS;
    // A store clients reach directly (S3) signs its own URL; parts then never touch the API.
    const url = blobs.direct
      ? await blobs.direct.presignPart(record.id, number, size, expires * 1000 - partUrlTtlS * 1000, partUrlTtlS)
      : `${record.origin}/v1/uploads/${encodeURIComponent(record.id)}/parts/${number}?${signerNow.signPart({ uploadId: record.id, number, size, expires })}`;
    return {
      number,
      size,
      etag: null,
      url,
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      url_expires_at: new Date(expires * 1000).toISOString(),
    };
  }

  /**
   * The stored parts of an upload: a direct store lists a pending upload's parts itself (they
   * never passed through us); `null` when it cannot. Completed uploads' parts are in our store.
   */
  async function storedPartsOf(record: UploadRecord): Promise<StoredPart[] | null> {
    if (!blobs.direct || record.status !== "pending") return store.listParts(record.id);
    const listed = await blobs.direct.listParts(record.id);
    // Joined by a complete that stopped before it finished: the parts it recorded are the truth.
    return listed === "sealed" ? store.listParts(record.id) : listed;
  }

  async function view(record: UploadRecord, stored: readonly StoredPart[]): Promise<Upload> {
    const at = now();
    const status = statusOf(record, at);
    const signerNow = status === "pending" ? await getSigner() : undefined;
    const etags = new Map(stored.map((part) => [part.number, part.etag]));
    const parts: Part[] = [];
    for (let number = 1; number <= record.partCount; number += 1) {
      const etag = etags.get(number) ?? null;
      parts.push(
        signerNow && number <= SIGNED_PARTS_LIMIT
          ? { ...(await signedPart(signerNow, record, number, at)), etag }
          : { number, size: partSizeOf(record, number), etag },
      );
    }
    return { id: record.id, status, ...uploadFields(record), parts };
  }

  const notPending = (record: UploadRecord, status = statusOf(record, now())) =>
    new UploadError("upload_not_pending", `Upload ${record.id} is ${status}.`);

  return {
    /** `POST /v1/uploads`: plans the parts and signs the first 100. */
    async create(
      tenant: string,
      origin: string,
      body: { filename: string; content_type: string; size: number; sha256?: string; part_size?: number },
    ): Promise<Upload> {
      const plan = planParts(body.size, { partSize: body.part_size, minPartSize, defaultPartSize: options.defaultPartSize });
      const at = now();
      const upload = {
        id: newId("upl", at),
        tenant,
        filename: body.filename,
        contentType: body.content_type,
        size: body.size,
        sha256: body.sha256?.toLowerCase() ?? null,
        partSize: plan.partSize,
        partCount: plan.partCount,
        origin,
        createdAt: at,
        expiresAt: at + uploadTtlMs,
      };
      await blobs.createUpload(upload.id);
      await store.createUpload(upload);
      return view({ ...upload, status: "pending", version: 0, completedAt: null }, []);
    },

    /** `GET /v1/uploads/{id}`: the resume point. */
    async get(tenant: string, id: string): Promise<Upload> {
      const record = await getOwned(tenant, id);
      return view(record, (await storedPartsOf(record)) ?? []);
    },

    /** `DELETE /v1/uploads/{id}`: aborts a pending upload and drops its parts. */
    async abort(tenant: string, id: string): Promise<void> {
      const record = await getOwned(tenant, id);
      if (record.status === "aborted") return; // DELETE is idempotent
      if (!(await store.abortUpload(id, now()))) {
        const again = await getOwned(tenant, id);
        if (again.status !== "aborted") throw notPending(again);
      }
      await blobs.deleteUpload(id);
    },

    /** `POST /v1/uploads/{id}/part-urls`: fresh signed URLs (also the renewal of expired ones). */
    async partUrls(tenant: string, id: string, numbers: readonly number[]): Promise<PartList> {
      const record = await getOwned(tenant, id);
      const outside = numbers.find((n) => !Number.isInteger(n) || n < 1 || n > record.partCount);
      if (outside !== undefined) {
        throw new UploadError("invalid_part", `The upload has ${record.partCount} parts; part ${outside} does not exist.`);
      }
      if (statusOf(record, now()) !== "pending") throw notPending(record);
      const at = now();
      const signerNow = await getSigner();
      const etags = new Map(((await storedPartsOf(record)) ?? []).map((part) => [part.number, part.etag]));
      const parts = await Promise.all(numbers.map(async (n) => ({ ...(await signedPart(signerNow, record, n, at)), etag: etags.get(n) ?? null })));
      return { parts };
    },

    /**
     * `PUT` of a signed part URL: streams the body to the blob store and records the part.
     * Resolves with the ETag (quoted, exactly as stored).
     */
    async putPart(request: {
      uploadId: string;
      number: number;
      size: number;
      expires: number;
      signature: string;
      /** The `Content-Length` header, when sent: a wrong one is refused before reading. */
      contentLength?: number | undefined;
      body: AsyncIterable<Uint8Array>;
    }): Promise<string> {
      const { uploadId, number, size } = request;
      const refusal = (await getSigner()).verifyPart({ uploadId, number, size, expires: request.expires }, request.signature, now());
      if (refusal === "url_expired") {
        throw new UploadError("url_expired", `This signed URL expired at ${new Date(request.expires * 1000).toISOString()}.`);
      }
      if (refusal) throw new UploadError("invalid_signature", "The URL's signature does not match.");
      const record = await store.getUpload(uploadId);
      if (!record || number > record.partCount || partSizeOf(record, number) !== size) {
        throw new UploadError("not_found", `No part ${number} of upload ${uploadId}.`);
      }
      if (statusOf(record, now()) !== "pending") throw notPending(record);
      const mismatch = (received: number, tooLong: boolean) =>
        new UploadError(
          "size_mismatch",
          tooLong ? `Part ${number} must be ${size} bytes; more were sent.` : `Part ${number} must be ${size} bytes; ${received} were sent.`,
        );
      if (request.contentLength !== undefined && request.contentLength !== size) {
        throw mismatch(request.contentLength, request.contentLength > size);
      }
      let part: StoredPart;
      try {
        part = await blobs.writePart(uploadId, number, request.body, size);
      } catch (error) {
        if (error instanceof SizeMismatchError) throw mismatch(error.received, error.tooLong);
        // A DELETE or expiry racing this PUT removed the upload's directory under us (spec §4.3).
        const again = await store.getUpload(uploadId);
        if (!again || statusOf(again, now()) !== "pending") throw notPending(again ?? record, again ? statusOf(again, now()) : "expired");
        throw error;
      }
      const recorded = await store.putPart(uploadId, part, now());
      if (recorded === "not_pending") {
        // Completed, aborted or expired while we streamed: keep the file only if it is the recorded one.
        const current = (await store.listParts(uploadId)).find((p) => p.number === number);
        if (current?.etag !== part.etag) await blobs.deletePart(uploadId, part);
        const again = await store.getUpload(uploadId);
        throw notPending(again ?? record, again ? statusOf(again, now()) : "expired");
      }
      if (recorded.replaced && recorded.replaced.etag !== part.etag) await blobs.deletePart(uploadId, recorded.replaced);
      return part.etag;
    },

    /** `POST /v1/uploads/{id}/complete`, with the checks in the contract's order (spec §4). */
    async complete(
      tenant: string,
      id: string,
      body: { parts: readonly { number: number; etag: string }[]; sha256?: string },
    ): Promise<Upload> {
      // A part stored while we verified bumps the version; verify again then (rare, bounded).
      for (let attempt = 1; ; attempt += 1) {
        const record = await getOwned(tenant, id);
        const outside = body.parts.find((p) => p.number < 1 || p.number > record.partCount);
        if (outside) {
          throw new UploadError("invalid_part", `The upload has ${record.partCount} parts; part ${outside.number} does not exist.`);
        }
        const listed = new Map<number, string>();
        for (const p of body.parts) {
          const previous = listed.get(p.number);
          if (previous !== undefined && !samePartETag(previous, p.etag)) {
            throw new UploadError("invalid_part", `Part ${p.number} is listed twice with different ETags.`);
          }
          listed.set(p.number, p.etag);
        }
        const listedStored = await storedPartsOf(record);
        // A store that cannot list its parts: take the client's ETags; completeParts checks them.
        const stored = listedStored ?? [...listed].map(([number, etag]) => ({ number, size: partSizeOf(record, number), etag }));
        const storedBy = new Map(stored.map((p) => [p.number, p]));
        const declared = (body.sha256 ?? record.sha256)?.toLowerCase() ?? null;
        const status = statusOf(record, now());
        if (status === "completed") {
          const same =
            listed.size === record.partCount &&
            [...listed].every(([n, etag]) => samePartETag(etag, storedBy.get(n)?.etag ?? "")) &&
            (body.sha256 === undefined || body.sha256.toLowerCase() === record.sha256);
          if (same) return view(record, stored);
          throw notPending(record, status);
        }
        if (status !== "pending") throw notPending(record, status);
        for (let n = 1; n <= record.partCount; n += 1) {
          if (!listed.has(n)) throw new UploadError("upload_incomplete", `Part ${n} is not listed.`);
          if (!storedBy.has(n)) throw new UploadError("upload_incomplete", `Part ${n} is not stored yet.`);
        }
        for (const [n, etag] of listed) {
          if (!samePartETag(etag, storedBy.get(n)?.etag ?? "")) {
            throw new UploadError("invalid_part", `Part ${n}'s ETag ${etag} is not the stored one.`);
          }
        }
        let version = record.version;
        if (blobs.direct) {
          // Parts the API never saw: record them, so the completed upload reads from our store.
          for (const part of stored) await store.putPart(id, part, now());
          version = (await store.getUpload(id))?.version ?? version;
        }
        try {
          try {
            await blobs.completeParts(id, stored);
          } catch (error) {
            if (error instanceof PartRefusedError) throw new UploadError("invalid_part", error.message);
            throw error;
          }
          if (declared !== null) {
            const { sha256 } = await hashStream(blobs.readUpload(id, stored));
            if (sha256 !== declared) {
              // The upload stays pending (spec §4.5); an S3 store must take the parts again.
              await blobs.reopenUpload(id);
              throw new UploadError("checksum_mismatch", "The stored bytes do not hash to the declared sha256.");
            }
          }
        } catch (error) {
          // A part replaced mid-read makes the read fail; the version tells us, so verify again.
          const again = await store.getUpload(id);
          if (attempt < 5 && again && again.version !== version) continue;
          throw error;
        }
        if (await store.completeUpload(id, version, declared, now())) {
          options.metrics?.uploadCompleted(record.size);
          return view({ ...record, status: "completed", sha256: declared, completedAt: now() }, stored);
        }
        if (attempt >= 5) throw notPending(record);
      }
    },

    /**
     * The completed upload of `tenant` a job refers to, or `null` (spec §4: anything else is
     * `422 invalid_input`).
     */
    async openCompleted(tenant: string, id: string): Promise<CompletedUpload | null> {
      const record = await store.getUpload(id);
      if (!record || record.tenant !== tenant || record.status !== "completed") return null;
      const parts = await store.listParts(id);
      return { record, parts, read: (range) => blobs.readUpload(id, parts, range) };
    },

    /** Stores a job's output and signs a download URL for it (e.g. `file.gzip`). */
    async createDownload(
      origin: string,
      source: AsyncIterable<Uint8Array>,
    ): Promise<{ size: number; download: { url: string; expires_at: string } }> {
      const blobId = newId("dl", now());
      const { size } = await blobs.writeBlob(blobId, source);
      const expires = Math.floor(now() / 1000) + downloadUrlTtlS;
      // A direct store (S3) serves the output itself, Range included, through its own URL.
      const url = blobs.direct
        ? await blobs.direct.presignDownload(blobId, expires * 1000 - downloadUrlTtlS * 1000, downloadUrlTtlS)
        : `${origin}/v1/downloads/${blobId}?${(await getSigner()).signDownload({ blobId, expires })}`;
      return { size, download: { url, expires_at: new Date(expires * 1000).toISOString() } };
    },

    /** `GET` of a signed download URL, with single `Range` support (`206`, `416`). */
    async download(request: { blobId: string; expires: number; signature: string; range?: string | undefined }): Promise<DownloadAnswer> {
      const { blobId, expires } = request;
      const refusal = (await getSigner()).verifyDownload({ blobId, expires }, request.signature, now());
      if (refusal === "url_expired") {
        throw new UploadError("url_expired", `This signed URL expired at ${new Date(expires * 1000).toISOString()}.`);
      }
      if (refusal) throw new UploadError("invalid_signature", "The URL's signature does not match.");
      const info = /^[A-Za-z0-9_-]{1,200}$/.test(blobId) ? await blobs.statBlob(blobId) : null;
      if (!info) throw new UploadError("not_found", `No file ${blobId}.`);
      const wanted = parseRange(request.range, info.size);
      if (wanted.kind === "unsatisfiable") {
        throw new UploadError("invalid_request", `The file has ${info.size} bytes.`, { "content-range": formatContentRange(undefined, info.size) });
      }
      if (wanted.kind === "whole") return { kind: "whole", size: info.size, body: blobs.readBlob(blobId) };
      return { kind: "range", size: info.size, range: wanted.range, body: blobs.readBlob(blobId, wanted.range) };
    },

    /**
     * Expires pending uploads past their time and drops their parts; forgets long-ended uploads
     * and outputs whose download URLs have expired. Safe to run from several processes.
     */
    async cleanupExpired(): Promise<{ expired: number; purged: number; outputs: number }> {
      const at = now();
      let expired = 0;
      for (;;) {
        const ids = await store.listExpired(at, 100);
        for (const id of ids) {
          // Bytes first: a crash in between leaves a row to retry, never orphaned bytes.
          await blobs.deleteUpload(id);
          if (await store.markExpired(id, at)) expired += 1;
        }
        if (ids.length < 100) break;
      }
      const purged = await store.purgeEnded({ endedBefore: at - retainEndedMs, completedBefore: at - retainCompletedMs });
      // Bytes after rows (an abort interrupted between its row and its bytes also leaves bytes behind).
      for (const id of purged) await blobs.deleteUpload(id);
      const outputs = await blobs.deleteBlobsBefore(at - downloadUrlTtlS * 1000);
      return { expired, purged: purged.length, outputs };
    },
  };
}
