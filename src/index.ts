// The `async-jobs` entry: re-exports only (STYLE §2).
export { createClient, type AsyncJobsClient, type JobsApi, type UploadsApi } from "./client/create-client.ts";
export * from "./jobs/index.ts";
export * from "./errors.ts";
export type * from "./types.ts";
