import { createProblem } from "async-jobs/protocol";
import type { Job, JobEvent, Problem } from "async-jobs/types";
import type { StoredJob } from "./job-store.ts";
import { storedTextsOf } from "./job-row.ts";

/** How long a job is kept after it ends (or after creation while it runs): `expires_at`. */
export const JOB_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The contract's Job representation of a stored job (spec §2).
 *
 * @example
 * reply.send(toJob(stored));
 */
export function toJob(job: StoredJob): Job {
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    input: job.input,
    metadata: job.metadata,
    progress: job.progress,
    attempt: job.attempt,
    max_attempts: job.maxAttempts,
    result: job.status === "succeeded" ? job.result : null,
    error: job.status === "failed" ? job.error : null,
    cancel_requested: job.cancelRequested,
    webhook: job.webhookUrl === null ? null : { url: job.webhookUrl },
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
    started_at: job.startedAt === null ? null : iso(job.startedAt),
    completed_at: job.completedAt === null ? null : iso(job.completedAt),
    expires_at: iso((job.completedAt ?? job.createdAt) + JOB_TTL_MS),
  } as Job;
}

const text = JSON.stringify;
const isoText = (ms: number | null) => (ms === null ? "null" : `"${iso(ms)}"`);

/**
 * The Job representation as JSON text, the same bytes as `JSON.stringify(toJob(job))`. A job read
 * from the store keeps its stored JSON texts: they go out as they are, never parsed and
 * re-serialized on a status read (issue 14).
 *
 * @example
 * reply.type("application/json; charset=utf-8").send(toJobJson(stored));
 */
export function toJobJson(job: StoredJob): string {
  const stored = storedTextsOf(job);
  if (!stored) return text(toJob(job));
  const { progress } = job;
  return (
    `{"id":${text(job.id)},"type":${text(job.type)},"status":"${job.status}","input":${stored.input},"metadata":${stored.metadata}` +
    `,"progress":${progress === null ? "null" : `{"percent":${text(progress.percent)},"message":${text(progress.message)}}`}` +
    `,"attempt":${job.attempt},"max_attempts":${job.maxAttempts}` +
    `,"result":${job.status === "succeeded" ? (stored.result ?? "null") : "null"}` +
    `,"error":${job.status === "failed" ? (stored.error ?? "null") : "null"}` +
    `,"cancel_requested":${job.cancelRequested},"webhook":${job.webhookUrl === null ? "null" : `{"url":${text(job.webhookUrl)}}`}` +
    `,"created_at":${isoText(job.createdAt)},"updated_at":${isoText(job.updatedAt)},"started_at":${isoText(job.startedAt)}` +
    `,"completed_at":${isoText(job.completedAt)},"expires_at":${isoText((job.completedAt ?? job.createdAt) + JOB_TTL_MS)}}`
  );
}

/**
 * The webhook event body of a terminal job (spec §3).
 *
 * @example
 * JSON.stringify(toJobEvent(terminalJob));
 */
export function toJobEvent(job: StoredJob): JobEvent {
  return { type: `job.${job.status}`, timestamp: iso(job.completedAt ?? job.updatedAt), data: toJob(job) } as JobEvent;
}

/**
 * The `error` of a job whose attempts ran out (spec §2 `attempts_exhausted`).
 *
 * @example
 * attemptsExhausted(3, "The job's lease was lost.");
 */
export function attemptsExhausted(attempts: number, why: string): Problem {
  return createProblem("attempts_exhausted", `${why} All ${attempts} attempts are used.`);
}
