import type { BaseClient } from "../client/create-base-client.ts";
import { JobCanceledError, JobFailedError, TimeoutError } from "../errors.ts";
import { decorrelatedJitter } from "../internal/backoff.ts";
import { outcomeOf, waitRetryDelay } from "../internal/retry-policy.ts";
import { isTerminal } from "../protocol/job-state.ts";
import type { Job, JobTypeMap } from "../types.ts";
import { cancelJob } from "./cancel-job.ts";
import { validateResult } from "./validate-job.ts";
import { jobStream } from "./watch-job.ts";
import type { JobTypeName, SucceededJob, TypedJob } from "./typed-job.ts";

/**
 * Plain polling, used when the server does not honour `Prefer: wait`: the first poll after a
 * change of the job (or of the server's `Retry-After`) comes after that `Retry-After` (or
 * `initialMs`), each next one after a wait drawn from [previous wait, previous wait × `factor`]
 * (decorrelated jitter that never drops back), capped at `maxMs` but never below `Retry-After`.
 */
export interface PollOptions {
  /** Base interval when the server gives no `Retry-After` hint. @default 1000 */
  initialMs?: number;
  /** Upper bound of the growth per unchanged poll (×1.05 on average with 1.1). @default 1.1 */
  factor?: number;
  /** Cap of the interval (a server's longer `Retry-After` still wins). @default 30000 */
  maxMs?: number;
}

/** Options of `awaitJob` (and of `submitAndWait`). */
export interface AwaitJobOptions<T extends JobTypeMap, K extends JobTypeName<T> = JobTypeName<T>> {
  /** Stops waiting within milliseconds, cancelling the in-flight request; rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /**
   * Give up after this many milliseconds (from the call) with `TimeoutError` (holding the last
   * job seen). Transient failures (network loss, 5xx, 429) never end a wait before it.
   * @default undefined (no deadline; use `signal` to stop)
   */
  deadlineMs?: number | undefined;
  /** Called once per observed change of the job (status, progress, attempt…), first state included. */
  onProgress?: ((job: TypedJob<T, K>) => void) | undefined;
  /**
   * Long-poll window asked of the server (`Prefer: wait=N`); servers cap it (the reference at
   * 20). `0` never long polls.
   * @default 20
   */
  waitSeconds?: number | undefined;
  /** Plain polling backoff. @default { initialMs: 1000, factor: 1.1, maxMs: 30000 } */
  poll?: PollOptions | undefined;
  /**
   * On abort, also cancel the job on the server (`POST /v1/jobs/{id}/cancel`, sent without
   * delaying the rejection; its outcome is not reported).
   * @default false
   */
  cancelOnAbort?: boolean | undefined;
  /**
   * Read the job stream (`Accept: text/event-stream`, spec §2) first: one request per job where
   * the server streams; a server answering JSON is long-polled (or polled) from there.
   * @default true
   */
  stream?: boolean | undefined;
}

/** The defaults of `awaitJob`, in one place. */
export const defaultAwaitJobOptions = {
  waitSeconds: 20,
  poll: { initialMs: 1_000, factor: 1.1, maxMs: 30_000 },
  cancelOnAbort: false,
  stream: true,
} as const;

/**
 * Waits until a job ends and returns it when it `succeeded`; throws `JobFailedError` or
 * `JobCanceledError` (with the job) otherwise, `TimeoutError` past `deadlineMs`. Reads the
 * job stream where the server offers it (one request per job; spec §2), else uses
 * `Prefer: wait` long polls where the server honours them (it says so in
 * `Preference-Applied`), else polls with `If-None-Match`, backing off from the server's
 * `Retry-After` (spec §6). Holds no state outside the call: after a restart, call it again
 * with the id.
 *
 * @example
 * const job = await awaitJob(client, id, { deadlineMs: 60_000, onProgress: (j) => bar.set(j.progress?.percent ?? 0) })
 */
export function awaitJob<T extends JobTypeMap, K extends JobTypeName<T> = JobTypeName<T>>(
  client: BaseClient<T>,
  id: string,
  options: AwaitJobOptions<T, K> = {},
): Promise<SucceededJob<T, K>> {
  const deadline = options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.deadlineMs;
  return awaitJobUntil(client, id, options, deadline, undefined);
}

/**
 * What a durable job handle keeps of a wait: the last ETag and when the next plain poll is due
 * (epoch ms; `undefined` while long polls or a stream pace the wait), told after each read.
 */
export interface WaitTrack {
  etag?: string | undefined;
  nextPollAt?: number | undefined;
  onRead?: ((etag: string | undefined, nextPollAt: number | undefined) => void) | undefined;
}

/**
 * `awaitJob` with an absolute deadline and the last job already seen (by `submitAndWait`), so
 * that `onProgress` is not called twice for one state, and optionally a `WaitTrack` (a resumed
 * handle). Not re-exported.
 *
 * @example
 * await awaitJobUntil(client, job.id, options, Date.now() + 60_000, job)
 */
export async function awaitJobUntil<T extends JobTypeMap, K extends JobTypeName<T>>(
  client: BaseClient<T>,
  id: string,
  options: AwaitJobOptions<T, K>,
  deadline: number,
  seen: TypedJob<T, K> | undefined,
  track: WaitTrack = {},
): Promise<SucceededJob<T, K>> {
  const waitSeconds = options.waitSeconds ?? defaultAwaitJobOptions.waitSeconds;
  const poll = { ...defaultAwaitJobOptions.poll, ...options.poll };
  const retry = client["~transport"].options.retry;
  const userSignal = options.signal;
  userSignal?.throwIfAborted();

  // One controller for the user's signal and the deadline: it cancels the in-flight request
  // and any sleep at once.
  const controller = new AbortController();
  const timedOut = new TimeoutError(`Job ${id} did not end within the deadline`);
  const onAbort = () => controller.abort(userSignal!.reason);
  userSignal?.addEventListener("abort", onAbort, { once: true });
  const timer = Number.isFinite(deadline)
    ? setTimeout(() => controller.abort(timedOut), Math.max(0, deadline - Date.now()))
    : undefined;

  let last: TypedJob<T, K> | undefined = seen;
  let etag = track.etag;
  let honoured: boolean | undefined; // undefined until a long poll tells us
  let unchanged = 0;
  let failures = 0;
  let pollMs = 0;
  let hintMs: number | undefined; // the Retry-After the last wait started from
  // Ask for the stream until the server answers JSON once (spec §2: that is its "no").
  let streamOffered = options.stream ?? defaultAwaitJobOptions.stream;

  const report = (job: TypedJob<T, K>) => {
    const changed = !last || last.updated_at !== job.updated_at || last.status !== job.status;
    last = job;
    if (changed) {
      unchanged = 0;
      options.onProgress?.(job);
    } else unchanged++;
  };

  try {
    if (seen && isTerminal(seen.status)) return await finish(client, seen);
    // A resumed plain-polling wait keeps the pace it had (no burst of polls after a restart).
    const dueIn = (track.nextPollAt ?? 0) - retry.clock.now();
    if (dueIn > 0) await retry.clock.sleep(dueIn, controller.signal);
    for (;;) {
      const remainingS = Math.floor((deadline - Date.now()) / 1000);
      const canLongPoll = waitSeconds > 0 && honoured !== false && remainingS >= 1;
      // With onProgress, the first read is a plain GET: its ETag makes every later long poll
      // come back on each change, not only at the end.
      const fetchingEtag = canLongPoll && etag === undefined && !!options.onProgress;
      const longPoll = canLongPoll && !fetchingEtag;
      try {
        const read = {
          // Without onProgress, a long poll with no If-None-Match is held until the job ends:
          // fewest requests. With it, every change must come back, so send the ETag.
          etag: longPoll && !options.onProgress ? undefined : etag,
          waitSeconds: longPoll ? Math.min(waitSeconds, remainingS) : 0,
          json: !streamOffered,
        };
        // One request: a stream where the server offers one, else this very read (spec §2); its
        // failure comes back here, where this loop retries it within the deadline.
        const stream = jobStream<T>(client, id, { signal: controller.signal, probe: read });
        let step = await stream.next();
        for (; !step.done; step = await stream.next()) report(step.value as TypedJob<T, K>);
        if (step.value.streaming) return await finish(client, last!);
        streamOffered = false;
        const { state } = step.value;
        failures = 0;
        if (longPoll) honoured = honoured || state.longPolled;
        etag = state.etag;
        if (state.job) report(state.job as TypedJob<T, K>);
        else unchanged++;
        if (last && isTerminal(last.status)) return await finish(client, last);
        const paced = state.longPolled || fetchingEtag; // the server already waited, or will
        // Plain polling (spec §6.3): a change of the job or of the server's Retry-After (§1.9:
        // the suggested interval) restarts from that hint; while neither changes, decorrelated
        // jitter floored at the last wait, so waits only grow (a wait that drops back costs
        // requests and delay: decision 0017), capped, and never sooner than the hint.
        const hint = state.retryAfterMs ?? poll.initialMs;
        const restart = unchanged === 0 || hint !== hintMs;
        hintMs = hint;
        pollMs = paced ? 0 : restart ? hint : Math.max(hint, decorrelatedJitter(pollMs, { ...poll, initialMs: pollMs }, retry.clock.random));
        track.onRead?.(etag, paced ? undefined : retry.clock.now() + pollMs);
        if (!paced) await retry.clock.sleep(pollMs, controller.signal);
      } catch (error) {
        if (controller.signal.aborted) throw error;
        // The client's one retry policy decides, with the waiter's §6.3 reading of it.
        const outcome = await outcomeOf(error, retry.clock);
        const wait = outcome && waitRetryDelay(retry, outcome, Math.min(failures + 1, 30));
        if (wait === undefined) throw error;
        failures++;
        await retry.clock.sleep(wait, controller.signal);
      }
    }
  } catch (error) {
    if (controller.signal.aborted) {
      if (controller.signal.reason === timedOut) throw new TimeoutError(timedOut.message, last as Job | undefined);
      if (options.cancelOnAbort) cancelJob(client, id).catch(() => undefined);
      throw controller.signal.reason;
    }
    throw error;
  } finally {
    clearTimeout(timer);
    userSignal?.removeEventListener("abort", onAbort);
  }
}

/** The outcome of a terminal job: the succeeded job, its result checked (`jobTypes`), or the error. */
function finish<T extends JobTypeMap, K extends JobTypeName<T>>(client: BaseClient<T>, job: TypedJob<T, K>): Promise<SucceededJob<T, K>> {
  if (job.status === "failed") throw new JobFailedError(job as Job);
  if (job.status === "canceled") throw new JobCanceledError(job as Job);
  return validateResult(client, job as SucceededJob<T, K>);
}
