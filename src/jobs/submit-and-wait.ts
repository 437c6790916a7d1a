import type { BaseClient } from "../client/create-base-client.ts";
import type { JobTypeMap } from "../types.ts";
import { awaitJobUntil, defaultAwaitJobOptions, type AwaitJobOptions } from "./await-job.ts";
import { submit, type SubmitOptions } from "./submit.ts";
import type { JobRequest, JobTypeName, SucceededJob } from "./typed-job.ts";

/** Options of `submitAndWait`: those of `submit` and of `awaitJob`. */
export type SubmitAndWaitOptions<T extends JobTypeMap, K extends JobTypeName<T>> = Omit<SubmitOptions, "waitSeconds"> &
  AwaitJobOptions<T, K>;

/**
 * Submits a job with `Prefer: wait` (a fast job ends in one round trip; not with `onProgress`,
 * which needs the steps in between) and waits for it with `awaitJob`. Returns the succeeded job, typed by its `type`; throws `JobFailedError`,
 * `JobCanceledError`, `TimeoutError`, `ApiError` or `NetworkError`. The submit is idempotent:
 * a retried submit never makes a second job.
 *
 * @example
 * const job = await submitAndWait(client, { type: "file.checksum", input: { upload_id } })
 * job.result.sha256 // typed
 */
export async function submitAndWait<T extends JobTypeMap, K extends JobTypeName<T>>(
  client: BaseClient<T>,
  job: JobRequest<T, K>,
  options: SubmitAndWaitOptions<T, K> = {},
): Promise<SucceededJob<T, K>> {
  const deadline = options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.deadlineMs;
  const remainingS = Math.floor((deadline - Date.now()) / 1000);
  // A held submit answers only at the end; with onProgress the caller wants the steps between,
  // so the submit returns at once and the ETag long polls report each change.
  const waitSeconds = options.onProgress ? 0 : Math.min(options.waitSeconds ?? defaultAwaitJobOptions.waitSeconds, remainingS);
  const { job: submitted } = await submit(client, job, { ...options, waitSeconds: Math.max(0, waitSeconds) });
  options.onProgress?.(submitted);
  return awaitJobUntil(client, submitted.id, options, deadline, submitted);
}
