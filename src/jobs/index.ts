// The `async-jobs/jobs` entry: re-exports only.
export { createBaseClient, type BaseClient } from "../client/create-base-client.ts";
export { defaultClientOptions, environmentVariables, type ClientOptions, type RetryOptions } from "../client/client-options.ts";
export type { RetryClock } from "../internal/retry-policy.ts";
export { submit, type SubmitOptions, type Submission } from "./submit.ts";
export { getJob, type GetJobOptions } from "./get-job.ts";
export { cancelJob, type CancelJobOptions } from "./cancel-job.ts";
export { listJobs, listJobPages, type ListJobsOptions, type JobPage } from "./list-jobs.ts";
export { listJobTypes } from "./list-job-types.ts";
export { awaitJob, defaultAwaitJobOptions, type AwaitJobOptions, type PollOptions } from "./await-job.ts";
export { watchJob, defaultWatchJobOptions, type WatchJobOptions } from "./watch-job.ts";
export { watchMany, type WatchManyOptions, type WatchManyTarget } from "./watch-many.ts";
export { createJobToken, type CreateJobTokenOptions } from "./create-job-token.ts";
export { submitAndWait, type SubmitAndWaitOptions } from "./submit-and-wait.ts";
export { prepareJob, resumeJob, type JobHandle, type JobHandleOptions, type JobHandleState } from "./job-handle.ts";
export type { JobRequest, JobTypeName, SucceededJob, TypedJob } from "./typed-job.ts";
export type { JobTypeSchema, JobTypeSchemas, JobTypesOfSchemas, StandardSchemaIssue, StandardSchemaResult, StandardSchemaV1 } from "./job-type-schemas.ts";
// The error tree, without the webhook verifier's error (async-jobs/webhooks has it): nothing here throws it.
export {
  ApiError,
  AsyncJobsError,
  JobCanceledError,
  JobFailedError,
  NetworkError,
  ResultValidationError,
  TimeoutError,
  isApiError,
  isAsyncJobsError,
  isJobCanceledError,
  isJobFailedError,
  isNetworkError,
  isResultValidationError,
  isTimeoutError,
  type RateLimitInfo,
  type SdkProblemCode,
  type ValidationIssue,
} from "../errors.ts";
