import type { BaseClient } from "../client/create-base-client.ts";
import { isApiError, isNetworkError } from "../errors.ts";
import { backoffDelay, fullJitter } from "../internal/backoff.ts";
import { parseRetryAfter } from "../internal/retry-after.ts";
import { request } from "../internal/request.ts";
import { sleep } from "../internal/sleep.ts";
import { createEventStreamParser, eventStreamType, type ServerSentEvent } from "../protocol/event-stream.ts";
import { isTerminal } from "../protocol/job-state.ts";
import type { JobTypeMap } from "../types.ts";
import { formatWaitPreference } from "../protocol/prefer.ts";
import { getJobState, type JobState } from "./get-job.ts";
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

/** The first request of `awaitJob`: also a valid long poll, so a server that does not stream costs no extra request. */
export interface StreamProbe {
  etag: string | undefined;
  waitSeconds: number;
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
  const end = yield* jobStream(client, id, options);
  if (end.streaming) return;
  // No stream on this server: conditional long polls bring each change (spec §6).
  let state = end.state;
  let etag = options.lastEventId;
  for (let failures = 0, first = true; ; first = false) {
    if (state.job && state.etag !== etag) yield state.job;
    etag = state.etag;
    if (state.job && isTerminal(state.job.status)) return;
    // A server that ignores Prefer: wait answers at once: poll at its pace.
    if (!state.longPolled && !first) await sleep(state.retryAfterMs ?? defaultWatchJobOptions.reconnectMs, options.signal);
    for (;;) {
      try {
        state = await getJobState<T>(client, id, { etag, waitSeconds: defaultWatchJobOptions.waitSeconds, signal: options.signal, retry: false });
        failures = 0;
        break;
      } catch (error) {
        if (options.signal?.aborted || !isTransient(error)) throw error;
        await sleep(reconnectDelay(++failures, undefined), options.signal);
      }
    }
  }
}

/**
 * The job stream of one job, reconnecting as needed: yields each job event and returns once
 * the terminal one was yielded, or as soon as the server answers JSON instead (spec §2: that is
 * how a server says it does not stream). With a `probe`, the first request is also a long poll
 * and its failure is thrown (the caller's loop retries it). Not re-exported: `watchJob` and
 * `awaitJob` build on it.
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
      const headers: Record<string, string> = { accept: `${eventStreamType}, application/json` };
      if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
      const wait = connected || !probe ? 0 : Math.floor(probe.waitSeconds);
      if (!connected && probe?.etag) headers["if-none-match"] = probe.etag;
      if (wait > 0) headers.prefer = formatWaitPreference(wait);
      const connection = new AbortController();
      const onAbort = () => connection.abort(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const { data, response } = await request(
          client,
          (api, init) => api.GET("/v1/jobs/{id}", { ...init, params: { path: { id } }, parseAs: "stream" }),
          { signal: connection.signal, retry: false, headers, allowNotModified: true, timeoutMs: client["~transport"].options.timeoutMs + wait * 1000 },
        );
        if (!response.headers.get("content-type")?.startsWith(eventStreamType)) {
          const job = response.status === 304 ? undefined : ((await response.json()) as TypedJob<T>);
          return {
            streaming: false,
            state: {
              job,
              etag: response.headers.get("etag") ?? lastEventId,
              retryAfterMs: parseRetryAfter(response.headers),
              longPolled: wait > 0 && /\bwait\s*=/.test(response.headers.get("preference-applied") ?? ""),
            },
          };
        }
        connected = true;
        for await (const event of readEvents(data as ReadableStream<Uint8Array>, connection, (ms) => (suggestedMs = ms))) {
          if (event.event !== "job") continue;
          failures = 0;
          lastEventId = event.id;
          const job = JSON.parse(event.data) as TypedJob<T>;
          yield job;
          if (isTerminal(job.status)) return { streaming: true };
        }
        // The server ended the stream before the end of the job (restart, shutdown): resume.
      } finally {
        signal?.removeEventListener("abort", onAbort);
        connection.abort();
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!isTransient(error) || (probe && !connected)) throw error;
      failures++;
    }
    await sleep(reconnectDelay(failures, suggestedMs), signal);
  }
}

/** The events of one response body; a body silent for `idleMs` is aborted (a dead connection). */
export async function* readEvents(body: ReadableStream<Uint8Array>, connection: AbortController, onRetry: (ms: number) => void): AsyncGenerator<ServerSentEvent> {
  const events: ServerSentEvent[] = [];
  const parser = createEventStreamParser((e) => events.push(e), onRetry);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let idle: ReturnType<typeof setTimeout> | undefined;
  const cancelIdle = () => connection.abort(new TypeError("The job stream went silent."));
  // The request's signal no longer reaches a body already flowing: cancel the read ourselves.
  const onAbort = () => void reader.cancel().catch(() => undefined);
  connection.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      clearTimeout(idle);
      idle = setTimeout(cancelIdle, defaultWatchJobOptions.idleMs);
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
      yield* events.splice(0);
    }
  } catch (error) {
    // A connection cut mid-body, or found silent, is a network loss: resume (an abort by the
    // caller is told apart by its own signal).
    throw new TypeError("The job stream was cut.", { cause: error });
  } finally {
    clearTimeout(idle);
    connection.signal.removeEventListener("abort", onAbort);
    reader.cancel().catch(() => undefined);
  }
}

/** Network loss, a cut stream, 408, 429 and 5xx: worth reconnecting (spec §6). */
export function isTransient(error: unknown): boolean {
  return error instanceof TypeError || isNetworkError(error) || (isApiError(error) && (error.status === 408 || error.status === 429 || error.status >= 500));
}

/** The server's suggestion (or the default) at first, then exponential backoff with full jitter. */
export function reconnectDelay(failures: number, suggestedMs: number | undefined): number {
  const initialMs = suggestedMs ?? defaultWatchJobOptions.reconnectMs;
  if (failures <= 1) return initialMs;
  return fullJitter(backoffDelay(failures - 1, { initialMs, factor: 2, maxMs: defaultWatchJobOptions.maxReconnectMs }));
}
