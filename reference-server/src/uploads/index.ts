import type { FastifyInstance, FastifyRequest } from "fastify";
import type { BlobStore } from "../blobs/blob-store.ts";
import { createLocalDiskBlobStore } from "../blobs/local-disk-blob-store.ts";
import { createFileChecksumJobType } from "../job-types/file-checksum.ts";
import { createFileGzipJobType } from "../job-types/file-gzip.ts";
import type { JobTypeDefinition } from "../job-types/job-type-definition.ts";
import { createPostgresUploadStore } from "../store/postgres/postgres-upload-store.ts";
import { createSqliteUploadStore } from "../store/sqlite/sqlite-upload-store.ts";
import type { UploadStore } from "../store/upload-store.ts";
import { createUploadHandlers, registerPartBodyParser } from "./upload-handlers.ts";
import { createUploadService, type UploadService, type UploadServiceOptions } from "./upload-service.ts";

/** What the server core gives the uploads feature. */
export interface UploadsFeatureDeps extends Omit<UploadServiceOptions, "store" | "blobs"> {
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
}

/** The uploads feature as the core wires it: handlers, job types and housekeeping. */
export interface UploadsFeature {
  /** Fastify handlers keyed by operationId, for fastify-openapi-glue's service. */
  handlers: ReturnType<typeof createUploadHandlers>;
  /** `file.checksum` and `file.gzip`. */
  jobTypes: JobTypeDefinition[];
  /** Adds the streaming `application/octet-stream` parser part PUTs need; call before the routes. */
  registerContentTypeParsers(app: FastifyInstance): void;
  /** Creates the upload tables (idempotent). */
  migrate(): Promise<void>;
  /** Expires pending uploads past their time, deletes their parts and stale outputs. */
  cleanupExpired(): Promise<{ expired: number; purged: number; outputs: number }>;
  /** Runs {@link UploadsFeature.cleanupExpired} every `everyMs` until `close()`; errors go to `onError`. */
  scheduleCleanup(everyMs: number, onError?: (error: unknown) => void): void;
  /** The HTTP-agnostic service (tests, CLI). */
  service: UploadService;
  close(): Promise<void>;
}

function openUploadStore(store: string | UploadStore): UploadStore {
  if (typeof store !== "string") return store;
  if (/^postgres(ql)?:\/\//.test(store)) return createPostgresUploadStore(store);
  return createSqliteUploadStore(store.replace(/^sqlite:/, ""));
}

/**
 * Builds the uploads feature (spec §4 and the file job types of §2).
 *
 * @example
 * const uploads = createUploadsFeature({ store: "sqlite:./data/jobs.db", blobs: "./data/blobs", minPartSize: 5 * 2 ** 20 });
 * await uploads.migrate();
 * // openapiGlue service: { ...coreHandlers, ...uploads.handlers }; registry: [conformanceEcho, ...uploads.jobTypes]
 */
export function createUploadsFeature(deps: UploadsFeatureDeps): UploadsFeature {
  const { store: storeOption, blobs: blobsOption, tenantOf, publicUrl, ...serviceOptions } = deps;
  const store = openUploadStore(storeOption);
  if (typeof blobsOption === "string" && blobsOption.startsWith("s3://")) throw new Error("open s3:// blob stores with openBlobStore()");
  const blobs = typeof blobsOption === "string" ? createLocalDiskBlobStore(blobsOption) : blobsOption;
  const service = createUploadService({ ...serviceOptions, store, blobs });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  return {
    handlers: createUploadHandlers(service, {
      tenantOf: tenantOf ?? ((request) => (request as FastifyRequest & { tenant: string }).tenant),
      publicUrl,
    }),
    jobTypes: [createFileChecksumJobType(service), createFileGzipJobType(service)],
    registerContentTypeParsers: registerPartBodyParser,
    migrate: () => store.migrate(),
    cleanupExpired: () => service.cleanupExpired(),
    scheduleCleanup(everyMs, onError = () => {}) {
      clearInterval(timer);
      timer = setInterval(() => {
        running ??= service
          .cleanupExpired()
          .catch(onError)
          .finally(() => {
            running = undefined;
          });
      }, everyMs);
      timer.unref();
    },
    service,
    async close() {
      clearInterval(timer);
      await running;
      await blobs.close();
      await store.close();
    },
  };
}
