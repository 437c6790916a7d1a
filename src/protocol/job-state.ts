import type { JobStatus } from "../types.ts";

/**
 * Every job status, in the order of the state machine (spec §2).
 *
 * @example
 * jobStatuses.includes("running") // true
 */
export const jobStatuses: readonly JobStatus[] = ["queued", "running", "succeeded", "failed", "canceled"];

/**
 * The transitions spec §2 allows: `queued → running | canceled`, `running → succeeded | failed |
 * canceled`, and `running → queued` only when an attempt is lost or fails retryably. Terminal
 * states have none: a terminal job never changes again.
 *
 * @example
 * jobTransitions.running.includes("queued") // true
 */
export const jobTransitions: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ["running", "canceled"],
  running: ["succeeded", "failed", "canceled", "queued"],
  succeeded: [],
  failed: [],
  canceled: [],
};

/**
 * True for `succeeded`, `failed` and `canceled`: states that never change again (spec §2).
 *
 * @example
 * isTerminal("running") // false
 */
export function isTerminal(status: JobStatus | (string & {})): boolean {
  // Compared, not looked up: this runs on every status read of the server.
  return status === "succeeded" || status === "failed" || status === "canceled";
}

/**
 * May a job go from `from` to `to` (spec §2)?
 *
 * @example
 * canTransition("queued", "succeeded") // false: a job runs before it ends
 */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return jobTransitions[from].includes(to);
}

/**
 * Is `text` a job status? For `?status=` filters and stored rows.
 *
 * @example
 * isJobStatus("done") // false
 */
export function isJobStatus(text: string): text is JobStatus {
  return (jobStatuses as readonly string[]).includes(text);
}
