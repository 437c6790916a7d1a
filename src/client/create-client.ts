import type { BuiltInJobTypes, JobType, JobTypeMap, ScopedToken, Upload } from "../types.ts";
import type { PartSource } from "../uploads/part-source.ts";
import type { UploadFileOptions } from "../uploads/upload-file.ts";
import { uploadFile } from "./lazy-upload-file.ts";
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
import { prepareJob, resumeJob, type JobHandle, type JobHandleOptions, type JobHandleState } from "../jobs/job-handle.ts";
import type { JobRequest, JobTypeName, SucceededJob, TypedJob } from "../jobs/typed-job.ts";
import type { JobTypeSchemas, JobTypesOfSchemas } from "../jobs/job-type-schemas.ts";
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
  /** A durable handle of a job not sent yet (`prepareJob`): `onState` saves it before the submit leaves. */
  prepare<K extends JobTypeName<T>>(job: JobRequest<T, K>, options?: JobHandleOptions): JobHandle<T, K>;
  /** Continues a saved handle in this or another process (`resumeJob`). */
  resume<K extends JobTypeName<T> = JobTypeName<T>>(state: JobHandleState, options?: Pick<JobHandleOptions, "onState">): JobHandle<T, K>;
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
 * The job type map of a client given `jobTypes` schemas: the schemas' types replace those of the
 * same names.
 */
export type WithJobTypeSchemas<T extends JobTypeMap, S extends JobTypeSchemas> = keyof S extends never
  ? T
  : Omit<T, keyof S> & JobTypesOfSchemas<S>;

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
 *
 * @example
 * // Or let schemas type AND check the results (zod, or any Standard Schema):
 * const client = createClient({ baseUrl, token, jobTypes: { "report.render": { input: z.object({ pages: z.number() }), result: z.object({ url: z.url() }) } } })
 * const { result } = await client.jobs.submitAndWait({ type: "report.render", input: { pages: 40 } }) // result: { url: string }, checked
 */
export function createClient<S extends JobTypeSchemas>(
  options: ClientOptions & { jobTypes: S },
): AsyncJobsClient<WithJobTypeSchemas<BuiltInJobTypes, S>>;
export function createClient<TJobTypes extends JobTypeMap = BuiltInJobTypes>(options?: ClientOptions): AsyncJobsClient<TJobTypes>;
export function createClient<Types extends JobTypeMap>(options?: ClientOptions): AsyncJobsClient<Types> {
  const base = createBaseClient<Types>(options);
  const call = <R>(run: (client: BaseClient<Types>) => Promise<R>) =>
    withResponse(base as BaseClient<never>, run as (client: BaseClient<never>) => Promise<R>);
  const jobs: JobsApi<Types> = {
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
    prepare: (job, opts) => prepareJob(base, job, opts),
    resume: (state, opts) => resumeJob(base, state, opts),
  };
  const uploads: UploadsApi = {
    upload: (source: never, opts?: UploadFileOptions) => call((c) => uploadFile(c, source, opts)),
    createToken: (id, opts) => call((c) => createUploadToken(c, id, opts)),
    resume: (state, source, opts) => call((c) => uploadFile(c, source, { ...opts, resume: state })),
    list: (opts) => listUploads(base, opts),
  };
  return { ...base, jobs, uploads };
}
