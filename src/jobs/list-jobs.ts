import type { BaseClient } from "../client/create-base-client.ts";
import { request } from "../internal/request.ts";
import type { JobStatus, JobTypeMap } from "../types.ts";
import type { JobTypeName, TypedJob } from "./typed-job.ts";

/** Filters and paging of `listJobs`. */
export interface ListJobsOptions<T extends JobTypeMap> {
  /** Only jobs in these statuses. */
  status?: JobStatus | JobStatus[] | undefined;
  /** Only jobs of this type. */
  type?: JobTypeName<T> | undefined;
  /** Page size, 1-100. @default 20 (the server's) */
  limit?: number | undefined;
  /** Start from this `next_cursor` instead of the newest job. */
  cursor?: string | undefined;
  /** Aborts the iteration (the next page request rejects). */
  signal?: AbortSignal | undefined;
}

/** One page of jobs. */
export interface JobPage<T extends JobTypeMap> {
  data: TypedJob<T>[];
  next_cursor: string | null;
}

/**
 * Iterates over pages of jobs, newest first, fetching each page when the loop asks for it.
 *
 * @example
 * for await (const page of listJobPages(client, { limit: 100 })) save(page.next_cursor)
 */
export async function* listJobPages<T extends JobTypeMap>(
  client: BaseClient<T>,
  options: ListJobsOptions<T> = {},
): AsyncGenerator<JobPage<T>, void, undefined> {
  let cursor = options.cursor;
  const status = Array.isArray(options.status) ? options.status.join(",") : options.status;
  do {
    const query = { status, type: options.type, limit: options.limit, cursor };
    const { data } = await request(
      client,
      (api, init) => api.GET("/v1/jobs", { ...init, params: { query } }),
      { signal: options.signal },
    );
    yield data as unknown as JobPage<T>;
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
}

/**
 * Iterates over every job across all pages (spec §2: a page never repeats or skips a job
 * that existed when the first page was read).
 *
 * @example
 * for await (const job of listJobs(client, { status: ["queued", "running"] })) console.log(job.id)
 */
export async function* listJobs<T extends JobTypeMap>(
  client: BaseClient<T>,
  options: ListJobsOptions<T> = {},
): AsyncGenerator<TypedJob<T>, void, undefined> {
  for await (const page of listJobPages(client, options)) yield* page.data;
}
