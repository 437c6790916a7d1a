import type { BaseClient } from "../client/create-base-client.ts";
import { isApiError } from "../errors.ts";
import { request } from "../internal/request.ts";
import { sleep } from "../internal/sleep.ts";
import { eventStreamType } from "../protocol/event-stream.ts";
import { isTerminal } from "../protocol/job-state.ts";
import { formatJobsLastEventId, jobsStreamPath } from "../protocol/jobs-stream.ts";
import type { JobStatus, JobTypeMap } from "../types.ts";
import type { TypedJob } from "./typed-job.ts";
import { isTransient, readEvents, reconnectDelay, watchJob } from "./watch-job.ts";

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
      const query: Record<string, string> =
        opened || "ids" in target
          ? { ids: [...pending.keys()].join(",") }
          : { ...(target.filter.status ? { status: target.filter.status.join(",") } : {}), ...(target.filter.type ? { type: target.filter.type } : {}) };
      const seen = new Map([...pending].filter((entry): entry is [string, string] => entry[1] !== undefined));
      const headers: Record<string, string> = { accept: eventStreamType };
      if (seen.size > 0) headers["last-event-id"] = formatJobsLastEventId(seen);
      const connection = new AbortController();
      const onAbort = () => connection.abort(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const { data } = await request(
          client,
          (api, init) => api.GET(jobsStreamPath, { ...init, params: { query }, parseAs: "stream" }),
          { signal: connection.signal, retry: false, headers },
        );
        opened = true;
        for await (const event of readEvents(data as unknown as ReadableStream<Uint8Array>, connection, (ms) => (suggestedMs = ms))) {
          if (event.event !== "job") continue;
          failures = 0;
          const job = JSON.parse(event.data) as TypedJob<T>;
          // The event id is "<job id> <ETag>" (spec §8.2.1).
          const etag = event.id?.slice(event.id.indexOf(" ") + 1);
          if (isTerminal(job.status)) pending.delete(job.id);
          else pending.set(job.id, etag);
          yield job;
        }
        // The server ends the stream once every job is terminal; an earlier end is a restart: resume.
        if (pending.size === 0) return;
      } finally {
        signal?.removeEventListener("abort", onAbort);
        connection.abort();
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!opened && "ids" in target && isApiError(error, "not_found") && error.status === 404) {
        // No many-jobs stream here (or an unknown id, which the per-job watch reports): one stream per job (spec §8.2.1).
        yield* mergeWatches(client, [...pending.keys()], signal);
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

/** The states of several `watchJob`s as they come, ending when all have ended. */
async function* mergeWatches<T extends JobTypeMap>(client: BaseClient<T>, ids: readonly string[], signal: AbortSignal | undefined): AsyncGenerator<TypedJob<T>> {
  const watches = ids.map((id) => watchJob(client, id, { signal }));
  const next = (i: number) => watches[i]!.next().then((result) => ({ i, result }));
  const inFlight = new Map(watches.map((_, i) => [i, next(i)]));
  while (inFlight.size > 0) {
    const { i, result } = await Promise.race(inFlight.values());
    if (result.done) inFlight.delete(i);
    else {
      inFlight.set(i, next(i));
      yield result.value;
    }
  }
}
