import type { BuiltInJobTypes, JobType, JobTypeMap, Upload } from "../types.ts";
import type { PartSource } from "../uploads/part-source.ts";
import { uploadFile, type UploadFileOptions } from "../uploads/upload-file.ts";
import { awaitJob, type AwaitJobOptions } from "../jobs/await-job.ts";
import { cancelJob, type CancelJobOptions } from "../jobs/cancel-job.ts";
import { getJob, type GetJobOptions } from "../jobs/get-job.ts";
import { listJobTypes } from "../jobs/list-job-types.ts";
import { listJobs, type ListJobsOptions } from "../jobs/list-jobs.ts";
import { submitAndWait, type SubmitAndWaitOptions } from "../jobs/submit-and-wait.ts";
import { submit, type Submission, type SubmitOptions } from "../jobs/submit.ts";
import { watchJob, type WatchJobOptions } from "../jobs/watch-job.ts";
import type { JobRequest, JobTypeName, SucceededJob, TypedJob } from "../jobs/typed-job.ts";
import type { ClientOptions } from "./client-options.ts";
import { createBaseClient, type BaseClient } from "./create-base-client.ts";

/**
 * `client.jobs`: each method is a thin call of the free function of the same job in
 * `async-jobs/jobs` (`submit`, `getJob`, `cancelJob`, `listJobs`, `listJobTypes`, `awaitJob`,
 * `submitAndWait`, `watchJob`).
 *
 * @example
 * const job = await client.jobs.submitAndWait({ type: "conformance.echo", input: { value: 1 } })
 */
export interface JobsApi<T extends JobTypeMap> {
  submit<K extends JobTypeName<T>>(job: JobRequest<T, K>, options?: SubmitOptions): Promise<Submission<T, K>>;
  get(id: string, options?: GetJobOptions): Promise<TypedJob<T>>;
  cancel(id: string, options?: CancelJobOptions): Promise<TypedJob<T>>;
  list(options?: ListJobsOptions<T>): AsyncGenerator<TypedJob<T>, void, undefined>;
  types(options?: { signal?: AbortSignal }): Promise<JobType[]>;
  wait<K extends JobTypeName<T> = JobTypeName<T>>(id: string, options?: AwaitJobOptions<T, K>): Promise<SucceededJob<T, K>>;
  submitAndWait<K extends JobTypeName<T>>(job: JobRequest<T, K>, options?: SubmitAndWaitOptions<T, K>): Promise<SucceededJob<T, K>>;
  /** The job's states as they change, ending with the terminal one (`for await … of`). */
  watch(id: string, options?: WatchJobOptions): AsyncGenerator<TypedJob<T>, void, undefined>;
}

/**
 * `client.uploads`: `upload(source, options)` is a thin call of `uploadFile` from
 * `async-jobs/uploads`.
 *
 * @example
 * const upload = await client.uploads.upload(file, { onProgress: (p) => show(p) })
 */
export interface UploadsApi {
  upload(source: Blob | ArrayBuffer | ArrayBufferView | PartSource, options?: UploadFileOptions): Promise<Upload>;
  /** A stream is cut into parts as it flows; its size must be known up front. */
  upload(source: ReadableStream<Uint8Array>, options: UploadFileOptions & { size: number }): Promise<Upload>;
}

/**
 * The client: connection settings plus the `jobs` and `uploads` namespaces. A plain value;
 * every method is a thin call of a free function, which also accepts this client.
 *
 * @example
 * const client: AsyncJobsClient = createClient({ baseUrl, token })
 */
export interface AsyncJobsClient<T extends JobTypeMap = BuiltInJobTypes> extends BaseClient<T> {
  readonly jobs: JobsApi<T>;
  readonly uploads: UploadsApi;
}

/**
 * Creates a client. Pass your own job type map to type `submit`/`submitAndWait` for your job
 * types: `createClient<MyJobTypes>(…)`.
 *
 * @example
 * type MyJobTypes = BuiltInJobTypes & { "report.render": { input: { pages: number }; result: { url: string } } }
 * const client = createClient<MyJobTypes>({ baseUrl: "https://jobs.example.com", token })
 * const job = await client.jobs.submitAndWait({ type: "report.render", input: { pages: 40 } })
 * job.result.url // string
 */
export function createClient<TJobTypes extends JobTypeMap = BuiltInJobTypes>(
  options: ClientOptions,
): AsyncJobsClient<TJobTypes> {
  const base = createBaseClient<TJobTypes>(options);
  const jobs: JobsApi<TJobTypes> = {
    submit: (job, opts) => submit(base, job, opts),
    get: (id, opts) => getJob(base, id, opts),
    cancel: (id, opts) => cancelJob(base, id, opts),
    list: (opts) => listJobs(base, opts),
    types: (opts) => listJobTypes(base, opts),
    wait: (id, opts) => awaitJob(base, id, opts),
    submitAndWait: (job, opts) => submitAndWait(base, job, opts),
    watch: (id, opts) => watchJob(base, id, opts),
  };
  const uploads: UploadsApi = {
    upload: (source: never, opts?: UploadFileOptions) => uploadFile(base, source, opts),
  };
  return { ...base, jobs, uploads };
}
