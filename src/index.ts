// The `async-jobs` entry: re-exports only.
export { createClient, type ApiPromise, type AsyncJobsClient, type JobsApi, type UploadsApi, type WithJobTypeSchemas } from "./client/create-client.ts";
export * from "./jobs/index.ts";
export * from "./errors.ts";
export { uploadFile } from "./client/lazy-upload-file.ts";
export type { UploadFileOptions, UploadProgress } from "./uploads/index.ts";
export type * from "./types.ts";
