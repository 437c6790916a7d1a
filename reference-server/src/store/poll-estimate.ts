import type { StoredJob } from "./job-store.ts";

/**
 * When a running job should end by its progress so far, for the `Retry-After` of its status
 * reads (spec §1.9: the suggested poll interval, the server's choice): `startedAt` and the
 * estimated end, ms since the epoch. Linear: the time to `percent` % again for each such share
 * left, from the last change of the representation (`updated_at`, which a progress report
 * moves). Null when the job says nothing usable: not running, no progress yet, a later attempt
 * (`started_at` is the first attempt's start, so its time would count twice), or a cancel asked
 * for (the job ends when its code notices, not by its progress; the request also moved
 * `updated_at`).
 *
 * @example
 * estimatedEnd({ status: "running", attempt: 1, cancelRequested: false, progress: { percent: 25, message: null }, startedAt: 0, updatedAt: 5_000 })
 * // → { startedAt: 0, endsAt: 20_000 }
 */
export function estimatedEnd(
  job: Pick<StoredJob, "status" | "attempt" | "progress" | "startedAt" | "updatedAt" | "cancelRequested">,
): PollEstimate | null {
  const percent = job.progress?.percent;
  if (job.status !== "running" || job.attempt !== 1 || job.cancelRequested || job.startedAt === null || percent === undefined) return null;
  if (!(percent > 0 && percent < 100)) return null;
  const ran = job.updatedAt - job.startedAt;
  return { startedAt: job.startedAt, endsAt: job.updatedAt + (ran * (100 - percent)) / percent };
}

export interface PollEstimate {
  readonly startedAt: number;
  readonly endsAt: number;
}

/** The longest interval an estimate may suggest: a wrong estimate (a job that sped up) costs at most this. */
export const MAX_ESTIMATED_POLL_S = 30;

/**
 * `Retry-After` seconds for a status read at `now` (`formatRetryAfter` rounds them up, so the
 * next read lands after the estimated end): the time left by the estimate, but never longer
 * than half the time the job has run so far (an estimate from early, uneven progress may be far
 * out: a job that speeds up is still noticed within half its own elapsed time, as a backoff of
 * ×1.5 would) nor than
 * {@link MAX_ESTIMATED_POLL_S}; never shorter than the operator's `floorS`. Without an estimate,
 * or once it is due, `floorS`. bench/await-job.ts `--estimate` measured the variants.
 *
 * @example
 * suggestedPollSeconds({ startedAt: 0, endsAt: 20_000 }, 16_500, 1) // → 3.5 (the time left; sent as "4")
 * suggestedPollSeconds({ startedAt: 0, endsAt: 20_000 }, 4_000, 1) // → 2 (half the time run)
 */
export function suggestedPollSeconds(estimate: PollEstimate | null, now: number, floorS: number): number {
  if (estimate === null) return floorS;
  const waitMs = Math.min(estimate.endsAt - now, (now - estimate.startedAt) / 2, MAX_ESTIMATED_POLL_S * 1000);
  return Math.max(floorS, waitMs / 1000);
}
