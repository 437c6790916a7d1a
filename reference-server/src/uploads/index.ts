import { randomBytes } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { OperationsPlugin } from "../http/create-app.ts";
import type { BlobStore } from "../blobs/blob-store.ts";
import { createLocalDiskBlobStore } from "../blobs/local-disk-blob-store.ts";
import { createFileChecksumJobType } from "../job-types/file-checksum.ts";
import { createFileGzipJobType } from "../job-types/file-gzip.ts";
import type { JobTypeDefinition } from "../job-types/job-type-definition.ts";
import { openPostgresUploadStore } from "../store/postgres/postgres-upload-store.ts";
import { openSqliteUploadStore } from "../store/sqlite/sqlite-upload-store.ts";
import type { UploadStore } from "../store/upload-store.ts";
import type { UploadHandlersOptions } from "./upload-handlers.ts";
import { createPendingUploadsLister } from "./list-pending-uploads.ts";
import { createUploadsPlugin } from "./uploads-plugin.ts";
import { createUploadService, type UploadService, type UploadServiceOptions } from "./upload-service.ts";

/** What the server core gives the uploads feature. */
export interface UploadsFeatureDeps
  extends Omit<UploadServiceOptions, "store" | "blobs">,
    Pick<UploadHandlersOptions, "partMinBytesPerS" | "requestTimeoutMs"> {
  /**
   * The same `--store` value as the job store (`sqlite:./data/jobs.db`, a bare SQLite path, or
   * `postgres://…`), or an {@link UploadStore} to use as is.
   */
  store: string | UploadStore;
  /** `--blob-dir` (local disk, or a shared filesystem), or a {@link BlobStore} (S3: `openBlobStore`). */
  blobs: string | BlobStore;
  /**
   * The authenticated tenant of a request.
   * @default (request) => request.tenant
   */
  tenantOf?: (request: FastifyRequest) => string;
  /** Base URL for signed URLs (behind a proxy); by default the origin each client used. */
  publicUrl?: string;
  /** Path the protocol is mounted under (a fastify plugin's prefix), for signed URLs. @default "" */
  basePath?: string;
}

/** The uploads feature as the core wires it: handlers, job types and housekeeping. */
export interface UploadsFeature {
  /** The fastify plugin serving the upload operations (`createApp({ plugins: [uploads.plugin] })`). */
  plugin: OperationsPlugin;
  /** `file.checksum` and `file.gzip`. */
  jobTypes: JobTypeDefinition[];
  /** Creates the upload tables (idempotent). */
  migrate(): Promise<void>;
  /**
   * Expires pending uploads past their time, deletes their parts and stale outputs, and ended
   * and completed uploads past their retention. The server's retention sweep runs it.
   */
  cleanupExpired(): Promise<{ expired: number; purged: number; outputs: number }>;
  /** The HTTP-agnostic service (tests, CLI). */
  service: UploadService;
  /** The deployment's random key kept in the upload store (the part-URL key), the same in every process. */
  signingKey(): Promise<Uint8Array>;
  close(): Promise<void>;
}

function openUploadStore(store: string | UploadStore): UploadStore {
  if (typeof store !== "string") return store;
  if (/^postgres(ql)?:\/\//.test(store)) return openPostgresUploadStore(store);
  return openSqliteUploadStore(store.replace(/^sqlite:/, ""));
}

/**
 * Builds the uploads feature (spec §4 and the file job types of §2).
 *
 * @example
 * const uploads = createUploadsFeature({ store: "sqlite:./data/jobs.db", blobs: "./data/blobs", minPartSize: 5 * 2 ** 20 });
 * await uploads.migrate();
 * // createApp({ handlers, plugins: [uploads.plugin] }); registry: [conformanceEcho, ...uploads.jobTypes]
 */
export function createUploadsFeature(deps: UploadsFeatureDeps): UploadsFeature {
  const { store: storeOption, blobs: blobsOption, tenantOf, publicUrl, partMinBytesPerS, requestTimeoutMs, basePath, ...serviceOptions } = deps;
  const store = openUploadStore(storeOption);
  if (typeof blobsOption === "string" && blobsOption.startsWith("s3://")) throw new Error("open s3:// blob stores with openBlobStore()");
  const blobs = typeof blobsOption === "string" ? createLocalDiskBlobStore(blobsOption) : blobsOption;
  const service = createUploadService({ ...serviceOptions, store, blobs });
  return {
    plugin: createUploadsPlugin(
      service,
      { tenantOf, publicUrl, partMinBytesPerS, requestTimeoutMs, basePath },
      createPendingUploadsLister(store, { now: serviceOptions.now }),
    ),
    jobTypes: [createFileChecksumJobType(service), createFileGzipJobType(service)],
    migrate: () => store.migrate(),
    cleanupExpired: () => service.cleanupExpired(),
    service,
    signingKey: () => store.signingKey(() => randomBytes(32)),
    async close() {
      await blobs.close();
      await store.close();
    },
  };
}
