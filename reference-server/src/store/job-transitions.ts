import type { Problem } from "async-jobs/types";
import { attemptsExhausted } from "./job-representation.ts";
import type { StoredJob } from "./job-store.ts";

/**
 * What happens to a running job whose attempt ended without a result. Both stores persist a
 * decision in their own dialect; the decision itself is made here, once.
 * `requeue`: back to `queued`, due at `runAt`; `end`: terminal now, with its outbox event.
 */
export type AttemptDecision =
  | { kind: "requeue"; runAt: number }
  | { kind: "end"; status: "failed" | "canceled"; error: Problem | null };

/** What a cancel request does (spec §2 "Cancellation"). */
export type CancelDecision =
  /** A queued job ends `canceled` at once. */
  | { kind: "cancel_now" }
  /** A running job is flagged; its worker ends it (or it finishes first). */
  | { kind: "flag_running" }
  /** A running job already flagged: nothing to write. */
  | { kind: "already_flagged" }
  | { kind: "already_canceled" }
  | { kind: "terminal" };

type AttemptState = Pick<StoredJob, "attempt" | "maxAttempts" | "cancelRequested">;

const canceled: AttemptDecision = { kind: "end", status: "canceled", error: null };

/**
 * A running job's lease expired (its worker died or stopped heartbeating).
 *
 * @example
 * onLeaseExpired({ attempt: 1, maxAttempts: 3, cancelRequested: false }, now); // { kind: "requeue", runAt: now }
 */
export function onLeaseExpired(job: AttemptState, now: number): AttemptDecision {
  // Running it again would ignore the client's request (docs/protocol.md I-12).
  if (job.cancelRequested) return canceled;
  if (job.attempt >= job.maxAttempts) {
    return { kind: "end", status: "failed", error: attemptsExhausted(job.maxAttempts, "The job's lease was lost.") };
  }
  return { kind: "requeue", runAt: now };
}

/**
 * An attempt failed. With `retryAt` the failure is retryable: the job runs again then while
 * attempts remain; otherwise it fails for good with `error`.
 *
 * @example
 * onAttemptFailed(job, { error, retryAt: Date.now() + 500 });
 */
export function onAttemptFailed(job: AttemptState, failure: { error: Problem; retryAt?: number }): AttemptDecision {
  if (failure.retryAt === undefined) return { kind: "end", status: "failed", error: failure.error };
  // A retryable failure of a job the client wants canceled ends it (docs/protocol.md I-12).
  if (job.cancelRequested) return canceled;
  if (job.attempt >= job.maxAttempts) {
    const why = `The last attempt failed: ${failure.error.detail ?? failure.error.code}.`;
    return { kind: "end", status: "failed", error: attemptsExhausted(job.maxAttempts, why) };
  }
  return { kind: "requeue", runAt: failure.retryAt };
}

/**
 * A client asked to cancel the job.
 *
 * @example
 * onCancelRequested({ status: "queued", cancelRequested: false }); // { kind: "cancel_now" }
 */
export function onCancelRequested(job: Pick<StoredJob, "status" | "cancelRequested">): CancelDecision {
  switch (job.status) {
    case "queued":
      return { kind: "cancel_now" };
    case "running":
      return job.cancelRequested ? { kind: "already_flagged" } : { kind: "flag_running" };
    case "canceled":
      return { kind: "already_canceled" };
    default:
      return { kind: "terminal" };
  }
}

/**
 * The `error` of a running job whose stored row cannot be processed (it cannot be decoded, or
 * its webhook event cannot be serialized): it fails instead of blocking other jobs' recovery.
 *
 * @example
 * unprocessableJob(new RangeError("Maximum call stack size exceeded"));
 */
export function unprocessableJob(cause: unknown): Problem {
  return {
    type: "https://async-jobs.dev/problems/internal",
    title: "Internal error",
    status: 500,
    detail: `The job's stored state could not be processed (${cause instanceof Error ? cause.name : "error"}).`,
    code: "internal",
  };
}
