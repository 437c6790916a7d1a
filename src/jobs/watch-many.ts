import type { BaseClient } from "../client/create-base-client.ts";
import { isApiError } from "../errors.ts";
import { request } from "../internal/request.ts";
import { sleep } from "../internal/sleep.ts";
import { eventStreamType } from "../protocol/event-stream-type.ts";
import { isTerminal } from "../protocol/job-state.ts";
import { formatJobsLastEventId, jobsStreamPath } from "../protocol/jobs-stream.ts";
import type { JobStatus, JobTypeMap } from "../types.ts";
import type { TypedJob } from "./typed-job.ts";
import { defaultWatchJobOptions, isTransient, reconnectDelay, watchJob } from "./watch-job.ts";

/** Which jobs `watchMany` watches: these ids, or the jobs matching a filter when the stream opens. */
export type WatchManyTarget = { ids: readonly string[] } | { filter: { status?: readonly JobStatus[]; type?: string } };

/** Options of `watchMany`. */
export interface WatchManyOptions {
  /** Ends the watch: the iteration rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
}

/**
 * Watches many jobs over one connection (spec §8.2.1, `GET /v1/jobs-stream`): yields each job's
 * current state, then each change, interleaved, and finishes once every job is terminal. A
 * dropped stream resumes with the jobs not yet terminal and their last ETags, so each terminal
 * state is yielded exactly once. With a `filter`, the set is the jobs matching it when the
 * stream opens; reconnects keep that set. On a server without the many-jobs stream (`404`),
 * `{ ids }` falls back to one `watchJob` per job. Works with a job-scoped token (§8.3).
 *
 * @example
 * for await (const job of watchMany(client, { ids: [a, b] }, { signal })) render(job.id, job.status)
 */
export async function* watchMany<T extends JobTypeMap>(
  client: BaseClient<T>,
  target: WatchManyTarget,
  options: WatchManyOptions = {},
): AsyncGenerator<TypedJob<T>, void, undefined> {
  const { signal } = options;
  // Job id → last ETag seen (undefined: none yet); a job leaves once its terminal state is yielded.
  const pending = new Map<string, string | undefined>("ids" in target ? target.ids.map((id) => [id, undefined]) : []);
  if ("ids" in target && pending.size === 0) return;
  let suggestedMs: number | undefined;
  let opened = false;
  for (let failures = 0; ; ) {
    try {
      // The typed call leaves out a query value that is undefined.
      const query = opened || "ids" in target ? { ids: [...pending.keys()].join(",") } : { status: target.filter.status?.join(","), type: target.filter.type };
      const seen = new Map([...pending].filter((entry): entry is [string, string] => entry[1] !== undefined));
      const headers: Record<string, string> = { accept: eventStreamType };
      if (seen.size > 0) headers["last-event-id"] = formatJobsLastEventId(seen);
      const { data } = await request(
        client,
        (api, init) => api.GET(jobsStreamPath, { ...init, params: { query }, parseAs: "stream" }),
        { signal, retry: false, headers },
      );
      opened = true;
      // The stream reader loads on first use, as for one job's stream (decision 0012).
      const { readJobEvents } = await import("./read-job-events.ts");
      const body = data as unknown as ReadableStream<Uint8Array>;
      for await (const { id, job } of readJobEvents<TypedJob<T>>(body, signal, defaultWatchJobOptions.idleMs, (ms) => (suggestedMs = ms))) {
        failures = 0;
        // The event id is "<job id> <ETag>" (spec §8.2.1).
        const etag = id?.slice(id.indexOf(" ") + 1);
        if (isTerminal(job.status)) pending.delete(job.id);
        else pending.set(job.id, etag);
        yield job;
      }
      // The server ends the stream once every job is terminal; an earlier end is a restart: resume.
      if (pending.size === 0) return;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!opened && "ids" in target && isApiError(error, "not_found") && error.status === 404) {
        // No many-jobs stream here (or an unknown id, which the per-job watch reports): one stream per job (spec §8.2.1).
        const { mergeWatches } = await import("./merge-watches.ts");
        yield* mergeWatches([...pending.keys()].map((id) => watchJob(client, id, { signal })));
        return;
      }
      if (!isTransient(error)) throw error;
      failures++;
    }
    // A filtered stream cut before any job showed itself has nothing to resume by id: reopen the filter.
    if (opened && pending.size === 0 && !("ids" in target)) opened = false;
    await sleep(reconnectDelay(failures, suggestedMs), signal);
  }
}
