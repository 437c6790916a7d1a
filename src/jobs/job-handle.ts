import type { BaseClient } from "../client/create-base-client.ts";
import { createIdempotencyKey } from "../internal/idempotency-key.ts";
import type { JobTypeMap } from "../types.ts";
import { awaitJobUntil, type AwaitJobOptions, type WaitTrack } from "./await-job.ts";
import { submit } from "./submit.ts";
import type { JobRequest, JobTypeName, SucceededJob, TypedJob } from "./typed-job.ts";

/**
 * A job handle as small JSON: enough for another process to finish the wait. Before the submit
 * was answered it also holds the request, so that `resumeJob` can send it again with the same
 * key (the server replays the job instead of making a second one, spec §2.3.3).
 *
 * @example
 * { "v": 1, "baseUrl": "https://jobs.example.com", "idempotencyKey": "8e0f…", "id": "job_01J…", "etag": "\"3\"", "nextPollAt": 1764756000000 }
 */
export interface JobHandleState {
  /** Format version. */
  v: 1;
  /** The server this job lives on; a handle never resumes against another. */
  baseUrl: string;
  /** The submit's `Idempotency-Key` (servers keep it at least 24 hours, spec §2.3.3). */
  idempotencyKey: string;
  /** The job's id, once the submit was answered. */
  id?: string | undefined;
  /** The submit body, only until the submit was answered. */
  request?: JobRequest<JobTypeMap, string> | undefined;
  /** The last ETag seen (spec §2.4). */
  etag?: string | undefined;
  /** When the next plain poll is due (epoch ms), so a resumed wait keeps the pace. */
  nextPollAt?: number | undefined;
}

/** Options of `prepareJob` and `resumeJob`. */
export interface JobHandleOptions {
  /** The submit's key; pass your own to tie it to your record. @default crypto.randomUUID() */
  idempotencyKey?: string | undefined;
  /**
   * Persists the handle: called, and awaited, with the new state before the submit is sent
   * (so a crash before the `202` loses nothing), when the id is known, and after each read
   * that changed the ETag or the next poll time. A throw before the submit stops it; the
   * saves during the wait are not awaited (a lost one costs a poll, not a job).
   */
  onState?: ((state: JobHandleState) => void | Promise<void>) | undefined;
}

/**
 * A durable job: submit, wait, and `toJSON()` at any point to carry on elsewhere with
 * `resumeJob` (like Azure's serialized pollers; the key chosen before sending, as Stripe's
 * idempotency keys are).
 *
 * @example
 * const handle = prepareJob(client, { type: "report.render", input }, { onState: (s) => db.save(s) })
 * const job = await handle.wait()
 */
export interface JobHandle<T extends JobTypeMap, K extends JobTypeName<T>> {
  readonly idempotencyKey: string;
  /** The job's id; `undefined` until the submit was answered. */
  readonly id: string | undefined;
  /** Sends the submit (again, with the same key, when resumed before its answer) unless the id is known. */
  submit(options?: { signal?: AbortSignal | undefined }): Promise<string>;
  /** Submits if needed, then waits as `awaitJob` does (results checked by `jobTypes`). */
  wait(options?: AwaitJobOptions<T, K>): Promise<SucceededJob<T, K>>;
  toJSON(): JobHandleState;
}

/**
 * A handle for a job not sent yet: nothing goes over the wire until `submit()` or `wait()`, and
 * `onState` has the key (and the request) before that.
 *
 * @example
 * const handle = prepareJob(client, { type: "conformance.echo", input: { value: 1 } }, { onState: save })
 * const job = await handle.wait({ deadlineMs: 60_000 })
 */
export function prepareJob<T extends JobTypeMap, K extends JobTypeName<T>>(
  client: BaseClient<T>,
  job: JobRequest<T, K>,
  options: JobHandleOptions = {},
): JobHandle<T, K> {
  const { baseUrl } = client["~transport"].options;
  const state: JobHandleState = { v: 1, baseUrl, idempotencyKey: options.idempotencyKey ?? createIdempotencyKey(), request: job as JobRequest<JobTypeMap, string> };
  return handleOf(client, state, options.onState);
}

/**
 * Continues a handle saved with `toJSON()` (or by `onState`), in this or another process. A
 * handle saved before its submit was answered sends the submit again with the same key: the
 * server answers the job it already made, or makes it now (spec §2.3.3).
 *
 * @example
 * const job = await resumeJob(client, JSON.parse(saved)).wait()
 */
export function resumeJob<T extends JobTypeMap, K extends JobTypeName<T> = JobTypeName<T>>(
  client: BaseClient<T>,
  saved: JobHandleState,
  options: Pick<JobHandleOptions, "onState"> = {},
): JobHandle<T, K> {
  const { baseUrl } = client["~transport"].options;
  if (saved?.v !== 1 || (!saved.id && !saved.request)) throw new TypeError("resumeJob(): not a JobHandleState");
  if (saved.baseUrl !== baseUrl) throw new TypeError(`resumeJob(): the job lives on ${saved.baseUrl}, not ${baseUrl}`);
  return handleOf(client, { ...saved }, options.onState);
}

function handleOf<T extends JobTypeMap, K extends JobTypeName<T>>(
  client: BaseClient<T>,
  state: JobHandleState,
  onState: JobHandleOptions["onState"],
): JobHandle<T, K> {
  const save = async (change: Partial<JobHandleState>) => {
    Object.assign(state, change);
    await onState?.(handle.toJSON());
  };
  const send = async (signal: AbortSignal | undefined): Promise<TypedJob<T, K> | undefined> => {
    if (state.id) return undefined;
    await save({}); // on disk before the request leaves
    const { job } = await submit(client, state.request as JobRequest<T, K>, { idempotencyKey: state.idempotencyKey, signal });
    await save({ id: job.id, request: undefined });
    return job;
  };
  const handle: JobHandle<T, K> = {
    get idempotencyKey() {
      return state.idempotencyKey;
    },
    get id() {
      return state.id;
    },
    submit: async (options = {}) => ((await send(options.signal)), state.id!),
    async wait(options = {}) {
      const deadline = options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.deadlineMs;
      const seen = await send(options.signal);
      if (seen) options.onProgress?.(seen);
      const track: WaitTrack = {
        etag: state.etag,
        nextPollAt: state.nextPollAt,
        onRead: (etag, nextPollAt) => {
          if (etag !== state.etag || nextPollAt !== state.nextPollAt) void save({ etag, nextPollAt }).catch(() => undefined);
        },
      };
      return awaitJobUntil(client, state.id!, options, deadline, seen, track);
    },
    toJSON: () => JSON.parse(JSON.stringify(state)) as JobHandleState,
  };
  return handle;
}
