// async-jobs/uploads: presigned, chunked, parallel, resumable uploads (spec §4).
// Entry files only re-export.
export { uploadFile, defaultUploadFileOptions, type UploadFileOptions } from "./upload-file.ts";
export type { UploadProgress } from "./progress.ts";
export { createUploadToken, type CreateUploadTokenOptions } from "./create-upload-token.ts";
export { listUploads, listUploadPages, type ListUploadsOptions } from "./list-uploads.ts";
export { parseUploadHandleState, type UploadHandle, type UploadHandleState } from "./upload-handle.ts";
export {
  createMemoryResumeStore,
  createLocalStorageResumeStore,
  defaultResumeStore,
  resumeKey,
  type UploadResumeStore,
  type KeyValueStorage,
} from "./resume-store.ts";
export { sourceFingerprint } from "./fingerprint.ts";
export {
  toPartSource,
  blobSource,
  bytesSource,
  streamSource,
  fileFingerprint,
  type PartSource,
  type PartBody,
  type StreamingPartBody,
  type UploadSource,
} from "./part-source.ts";
export type { PartRequest, PartTransport } from "./part-transport.ts";
export { createFetchPartTransport } from "./fetch-part-transport.ts";
export { createXhrPartTransport } from "./xhr-part-transport.ts";
export { partRanges, type PartRange } from "./part-ranges.ts";
export { planParts, s3PartLimits, defaultPartSize, type PartPlan, type PlanPartsOptions } from "../protocol/part-plan.ts";
export { createSha256, sha256OfChunks, type Sha256, type CreateSha256 } from "./sha256-stream.ts";
