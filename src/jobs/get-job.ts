import type { BaseClient } from "../client/create-base-client.ts";
import { parseRetryAfter } from "../internal/retry-after.ts";
import { request } from "../internal/request.ts";
import type { JobTypeMap } from "../types.ts";
import type { TypedJob } from "./typed-job.ts";

/** Options of `getJob`. */
export interface GetJobOptions {
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/**
 * Reads a job's current state (`GET /v1/jobs/{id}`). Throws `ApiError` `not_found` for an
 * unknown id (or one of another tenant).
 *
 * @example
 * const job = await getJob(client, "job_01JD3Z9A7C1E2F3G4H5J6K7M8N")
 */
export async function getJob<T extends JobTypeMap>(
  client: BaseClient<T>,
  id: string,
  options: GetJobOptions = {},
): Promise<TypedJob<T>> {
  const { data } = await request(client, (api, init) => api.GET("/v1/jobs/{id}", { ...init, params: { path: { id } } }), {
    signal: options.signal,
  });
  return data as unknown as TypedJob<T>;
}

/** One conditional or long-poll read (`jobStream`'s answer from a server that answered JSON), as `awaitJob` needs it. */
export interface JobState<T extends JobTypeMap> {
  /** The job, or `undefined` on `304 Not Modified`. */
  job: TypedJob<T> | undefined;
  etag: string | undefined;
  /** The server's suggested poll interval (`Retry-After`). */
  retryAfterMs: number | undefined;
  /** The server honoured `Prefer: wait` (it said so in `Preference-Applied`). */
  longPolled: boolean;
}

/**
 * What one read says: the job (none on `304`), its ETag (else the one sent), the server's
 * `Retry-After`, and whether it held the read (`Preference-Applied: wait=…`, spec §2.4.1).
 *
 * @example
 * const state = jobStateOf(response, job, 20, etag)
 */
export function jobStateOf<T extends JobTypeMap>(response: Response, job: TypedJob<T> | undefined, waitSeconds: number, etag: string | undefined): JobState<T> {
  return {
    job,
    etag: response.headers.get("etag") ?? etag,
    retryAfterMs: parseRetryAfter(response.headers),
    longPolled: waitSeconds > 0 && /\bwait\s*=/.test(response.headers.get("preference-applied") ?? ""),
  };
}
