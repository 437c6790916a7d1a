import type { BuiltInJobTypes, JobType, JobTypeMap, ScopedToken, Upload } from "../types.ts";
import type { PartSource } from "../uploads/part-source.ts";
import { uploadFile, type UploadFileOptions } from "../uploads/upload-file.ts";
import { listUploads, type ListUploadsOptions } from "../uploads/list-uploads.ts";
import type { UploadHandleState } from "../uploads/upload-handle.ts";
import type { PendingUpload } from "../types.ts";
import { awaitJob, type AwaitJobOptions } from "../jobs/await-job.ts";
import { cancelJob, type CancelJobOptions } from "../jobs/cancel-job.ts";
import { getJob, type GetJobOptions } from "../jobs/get-job.ts";
import { listJobTypes } from "../jobs/list-job-types.ts";
import { listJobs, type ListJobsOptions } from "../jobs/list-jobs.ts";
import { submitAndWait, type SubmitAndWaitOptions } from "../jobs/submit-and-wait.ts";
import { submit, type Submission, type SubmitOptions } from "../jobs/submit.ts";
import { watchJob, type WatchJobOptions } from "../jobs/watch-job.ts";
import { watchMany, type WatchManyOptions, type WatchManyTarget } from "../jobs/watch-many.ts";
import { createJobToken, type CreateJobTokenOptions } from "../jobs/create-job-token.ts";
import { createUploadToken, type CreateUploadTokenOptions } from "../uploads/create-upload-token.ts";
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
  submit<K extends JobTypeName<T>>(job: JobRequest<T, K>, options?: SubmitOptions): ApiPromise<Submission<T, K>>;
  get(id: string, options?: GetJobOptions): ApiPromise<TypedJob<T>>;
  cancel(id: string, options?: CancelJobOptions): ApiPromise<TypedJob<T>>;
  list(options?: ListJobsOptions<T>): AsyncGenerator<TypedJob<T>, void, undefined>;
  types(options?: { signal?: AbortSignal }): ApiPromise<JobType[]>;
  wait<K extends JobTypeName<T> = JobTypeName<T>>(id: string, options?: AwaitJobOptions<T, K>): ApiPromise<SucceededJob<T, K>>;
  submitAndWait<K extends JobTypeName<T>>(job: JobRequest<T, K>, options?: SubmitAndWaitOptions<T, K>): ApiPromise<SucceededJob<T, K>>;
  /** The job's states as they change, ending with the terminal one (`for await … of`). */
  watch(id: string, options?: WatchJobOptions): AsyncGenerator<TypedJob<T>, void, undefined>;
  /** Many jobs' states over one stream, ending once all are terminal (`watchMany`, spec §8.2.1). */
  watchMany(target: WatchManyTarget, options?: WatchManyOptions): AsyncGenerator<TypedJob<T>, void, undefined>;
  /** A short-lived token that can only read and watch these jobs, for a browser (`createJobToken`, spec §8.3). */
  createToken(ids: string | readonly string[], options?: CreateJobTokenOptions): ApiPromise<ScopedToken>;
}

/**
 * `client.uploads`: `upload(source, options)` is a thin call of `uploadFile` from
 * `async-jobs/uploads`.
 *
 * @example
 * const upload = await client.uploads.upload(file, { onProgress: (p) => show(p) })
 */
export interface UploadsApi {
  upload(source: Blob | ArrayBuffer | ArrayBufferView | PartSource, options?: UploadFileOptions): ApiPromise<Upload>;
  /** A stream is cut into parts as it flows; its size must be known up front. */
  upload(source: ReadableStream<Uint8Array>, options: UploadFileOptions & { size: number }): ApiPromise<Upload>;
  /** A short-lived token that can only drive this upload, for a browser (`createUploadToken`, spec §8.3). */
  createToken(id: string, options?: CreateUploadTokenOptions): ApiPromise<ScopedToken>;
  /** Continues an upload from its handle's state (`JSON.stringify(handle)`), in this process or another. */
  resume(state: UploadHandleState, source: Blob | ArrayBuffer | ArrayBufferView | PartSource, options?: UploadFileOptions): ApiPromise<Upload>;
  /** The caller's pending uploads, newest first (spec §8.4; `for await … of`). */
  list(options?: ListUploadsOptions): AsyncGenerator<PendingUpload, void, undefined>;
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
 * The promise of a client method; `.withResponse()` also gives the last HTTP answer the call
 * read (status, `X-Request-Id`, `RateLimit`), for logging and pacing. For a wait that is the
 * final poll; for an upload, the `complete` call.
 *
 * @example
 * const { data: job, response } = await client.jobs.get(id).withResponse()
 * response.headers.get("x-request-id")
 */
export type ApiPromise<T> = Promise<T> & { withResponse(): Promise<{ data: T; response: Response }> };

/** Runs one call on a view of `base` that records the answers it reads. */
function withResponse<T>(base: BaseClient<never>, run: (client: BaseClient<never>) => Promise<T>): ApiPromise<T> {
  let last: Response | undefined;
  const transport = { ...base["~transport"], onResponse: (response: Response) => (last = response) };
  const promise = run({ ...base, "~transport": transport });
  return Object.assign(promise, { withResponse: () => promise.then((data) => ({ data, response: last! })) });
}

/**
 * Creates a client. Without options it reads `ASYNC_JOBS_BASE_URL` and `ASYNC_JOBS_TOKEN`
 * (and throws a `TypeError` naming the missing one). Pass your own job type map to type `submit`/`submitAndWait` for your job
 * types: `createClient<MyJobTypes>(…)`.
 *
 * @example
 * type MyJobTypes = BuiltInJobTypes & { "report.render": { input: { pages: number }; result: { url: string } } }
 * const client = createClient<MyJobTypes>({ baseUrl: "https://jobs.example.com", token })
 * const job = await client.jobs.submitAndWait({ type: "report.render", input: { pages: 40 } })
 * job.result.url // string
 */
export function createClient<TJobTypes extends JobTypeMap = BuiltInJobTypes>(
  options?: ClientOptions,
): AsyncJobsClient<TJobTypes> {
  const base = createBaseClient<TJobTypes>(options);
  const call = <R>(run: (client: BaseClient<TJobTypes>) => Promise<R>) =>
    withResponse(base as BaseClient<never>, run as (client: BaseClient<never>) => Promise<R>);
  const jobs: JobsApi<TJobTypes> = {
    submit: (job, opts) => call((c) => submit(c, job, opts)),
    get: (id, opts) => call((c) => getJob(c, id, opts)),
    cancel: (id, opts) => call((c) => cancelJob(c, id, opts)),
    list: (opts) => listJobs(base, opts),
    types: (opts) => call((c) => listJobTypes(c, opts)),
    wait: (id, opts) => call((c) => awaitJob(c, id, opts)),
    submitAndWait: (job, opts) => call((c) => submitAndWait(c, job, opts)),
    watch: (id, opts) => watchJob(base, id, opts),
    watchMany: (target, opts) => watchMany(base, target, opts),
    createToken: (ids, opts) => call((c) => createJobToken(c, ids, opts)),
  };
  const uploads: UploadsApi = {
    upload: (source: never, opts?: UploadFileOptions) => call((c) => uploadFile(c, source, opts)),
    createToken: (id, opts) => call((c) => createUploadToken(c, id, opts)),
    resume: (state, source, opts) => call((c) => uploadFile(c, source, { ...opts, resume: state })),
    list: (opts) => listUploads(base, opts),
  };
  return { ...base, jobs, uploads };
}
