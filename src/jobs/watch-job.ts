import type { BaseClient } from "../client/create-base-client.ts";
import { isApiError, isNetworkError } from "../errors.ts";
import { backoffDelay, fullJitter } from "../internal/backoff.ts";
import { request } from "../internal/request.ts";
import { isTransientStatus } from "../internal/retry-policy.ts";
import { sleep } from "../internal/sleep.ts";
import { eventStreamType } from "../protocol/event-stream-type.ts";
import { isTerminal } from "../protocol/job-state.ts";
import type { JobTypeMap } from "../types.ts";
import { formatWaitPreference } from "../protocol/prefer.ts";
import { jobStateOf, type JobState } from "./get-job.ts";
import type { TypedJob } from "./typed-job.ts";

/** Options of `watchJob`. */
export interface WatchJobOptions {
  /** Ends the watch: the iteration rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** The ETag (event id) of the last job already seen: the watch resumes after it (spec §2 `Last-Event-ID`). */
  lastEventId?: string | undefined;
}

/** The defaults of the job stream's reconnects. */
export const defaultWatchJobOptions = {
  /** Reconnect delay when the server suggests none (`retry:`). */
  reconnectMs: 1_000,
  /** Cap of the reconnect backoff after repeated failures. */
  maxReconnectMs: 30_000,
  /** A stream silent this long (three missed 15 s heartbeats) is taken for dead and reopened. */
  idleMs: 45_000,
  /** Long-poll window used when the server does not stream. */
  waitSeconds: 20,
} as const;

/** How {@link jobStream} ended: the terminal event was yielded, or the server answered JSON. */
export type JobStreamEnd<T extends JobTypeMap> = { streaming: true } | { streaming: false; state: JobState<T> };

/**
 * A first request that is also a valid long poll (each read of `awaitJob`, each long poll of
 * `watchJob` once a server answered JSON), so a server that does not stream costs no extra request.
 */
export interface StreamProbe {
  etag: string | undefined;
  waitSeconds: number;
  /** Its transient failures are retried here (`watchJob`'s long polls), not thrown to the caller's loop (`awaitJob`'s). */
  retried?: boolean;
  /** Asks for JSON only: the server said it does not stream, or the caller does not want a stream. */
  json?: boolean;
}

/**
 * Watches one job: yields its current state, then each change, and finishes after the terminal
 * state (whatever it is: a failed job is a value here, not an error). Reads the job stream
 * (`Accept: text/event-stream`, with the `Authorization` header, over `fetch`, so it works in
 * browsers, Node, Deno, Bun and Workers); resumes after a dropped connection with
 * `Last-Event-ID` and backoff; on a server that does not stream it long-polls with the ETag
 * instead (spec §2, §6).
 *
 * @example
 * for await (const job of watchJob(client, id, { signal })) bar.set(job.progress?.percent ?? 0)
 */
export async function* watchJob<T extends JobTypeMap>(
  client: BaseClient<T>,
  id: string,
  options: WatchJobOptions = {},
): AsyncGenerator<TypedJob<T>, void, undefined> {
  let end = yield* jobStream(client, id, options);
  // No stream on this server: conditional long polls bring each change (spec §6.3). Each one
  // offers the stream again, so a server that starts streaming (after a restart) is read as one.
  for (let etag = options.lastEventId, first = true; !end.streaming; first = false) {
    const { job, ...state } = end.state;
    if (job && state.etag !== etag) yield job;
    etag = state.etag;
    if (job && isTerminal(job.status)) return;
    // A server that ignores Prefer: wait answers at once: poll at its pace.
    if (!state.longPolled && !first) await sleep(state.retryAfterMs ?? defaultWatchJobOptions.reconnectMs, options.signal);
    const probe = { etag, waitSeconds: defaultWatchJobOptions.waitSeconds, retried: true };
    end = yield* jobStream(client, id, { ...options, lastEventId: etag, probe });
  }
}

/**
 * The job stream of one job, reconnecting as needed: yields each job event and returns once
 * the terminal one was yielded, or as soon as the server answers JSON instead (spec §2: that is
 * how a server says it does not stream). With a `probe`, the first request is also a long poll
 * and, unless `probe.retried`, its failure is thrown (the caller's loop retries it). Not
 * re-exported: `watchJob` and `awaitJob` build on it.
 *
 * @example
 * const end = yield* jobStream(client, id, { signal })
 */
export async function* jobStream<T extends JobTypeMap>(
  client: BaseClient<T>,
  id: string,
  options: WatchJobOptions & { probe?: StreamProbe },
): AsyncGenerator<TypedJob<T>, JobStreamEnd<T>, undefined> {
  const { signal, probe } = options;
  let lastEventId = options.lastEventId;
  let suggestedMs: number | undefined;
  let connected = false;
  for (let failures = 0; ; ) {
    try {
      const headers: Record<string, string> = { accept: probe?.json ? "application/json" : `${eventStreamType}, application/json` };
      if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
      const wait = connected || !probe ? 0 : Math.floor(probe.waitSeconds);
      if (!connected && probe?.etag) headers["if-none-match"] = probe.etag;
      if (wait > 0) headers.prefer = formatWaitPreference(wait);
      const { data, response } = await request(
        client,
        (api, init) => api.GET("/v1/jobs/{id}", { ...init, params: { path: { id } }, parseAs: "stream" }),
        { signal, retry: false, headers, allowNotModified: true, timeoutMs: client["~transport"].options.timeoutMs + wait * 1000 },
      );
      if (!response.headers.get("content-type")?.startsWith(eventStreamType)) {
        const job = response.status === 304 ? undefined : ((await response.json()) as TypedJob<T>);
        return { streaming: false, state: jobStateOf<T>(response, job, wait, lastEventId) };
      }
      connected = true;
      // The stream reader is loaded only once a server streams (a polling app never pays for it).
      const { readJobEvents } = await import("./read-job-events.ts");
      for await (const event of readJobEvents<TypedJob<T>>(data as ReadableStream<Uint8Array>, signal, defaultWatchJobOptions.idleMs, (ms) => (suggestedMs = ms))) {
        failures = 0;
        lastEventId = event.id;
        yield event.job;
        if (isTerminal(event.job.status)) return { streaming: true };
      }
      // The server ended the stream before the end of the job (restart, shutdown): resume.
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!isTransient(error) || (probe && !probe.retried && !connected)) throw error;
      failures++;
    }
    await sleep(reconnectDelay(failures, suggestedMs), signal);
  }
}

/** Network loss, a cut stream, 408, 429 and 5xx: worth reconnecting (spec §6.3). */
export function isTransient(error: unknown): boolean {
  return error instanceof TypeError || isNetworkError(error) || (isApiError(error) && isTransientStatus(error.status));
}

/** The server's suggestion (or the default) at first, then exponential backoff with full jitter. */
export function reconnectDelay(failures: number, suggestedMs: number | undefined): number {
  const initialMs = suggestedMs ?? defaultWatchJobOptions.reconnectMs;
  if (failures <= 1) return initialMs;
  return fullJitter(backoffDelay(failures - 1, { initialMs, factor: 2, maxMs: defaultWatchJobOptions.maxReconnectMs }));
}
