import { createProblem } from "async-jobs/protocol";
import type { Job, JobEvent, JobStatus, Problem } from "async-jobs/types";
import type { StoredJob } from "./job-store.ts";
import { estimatedEnd, type PollEstimate } from "./poll-estimate.ts";

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
    webhook: job.webhookUrl === null ? null : job.webhookEvents ? { url: job.webhookUrl, events: job.webhookEvents } : { url: job.webhookUrl },
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
    started_at: job.startedAt === null ? null : iso(job.startedAt),
    completed_at: job.completedAt === null ? null : iso(job.completedAt),
    expires_at: iso((job.completedAt ?? job.createdAt) + JOB_TTL_MS),
  } as Job;
}

/**
 * What a status read answers with (spec §2): the job's version (its ETag), its status (a
 * running job's answer carries `Retry-After`, sized by `estimate`) and its Job representation
 * as JSON text.
 */
export interface JobText {
  readonly version: number;
  readonly status: JobStatus;
  readonly text: string;
  /** When the job's progress says it ends (null when it says nothing): the reads' `Retry-After`. */
  readonly estimate: PollEstimate | null;
}

/** Job representations by job id, each with the version it shows. */
const representations = new Map<string, JobText>();
/** Enough for every job being polled at once; past it the cache starts over (one clear, no LRU bookkeeping). */
const MAX_REPRESENTATIONS = 10_000;

/**
 * The Job representation as JSON text, `JSON.stringify(toJob(job))`, built once per job version
 * for status reads: a job's version changes with every change of its representation (its ETag
 * says so, spec §2), so polls of an unchanged job are answered with the same text, without
 * building the object, formatting its dates and serializing it again (issue 14). Answers that
 * are sent once (a submit's, a cancel's) use `JSON.stringify(toJob(job))`: caching them would only
 * keep every new job's text alive into the old generation.
 *
 * @example
 * reply.type("application/json; charset=utf-8").send(cachedJobText(stored).text);
 */
export function cachedJobText(job: StoredJob): JobText {
  const cached = cachedJobTextOf(job.id, job.version);
  if (cached !== undefined) return cached;
  const built: JobText = { version: job.version, status: job.status, text: JSON.stringify(toJob(job)), estimate: estimatedEnd(job) };
  if (representations.size >= MAX_REPRESENTATIONS) representations.clear();
  representations.set(job.id, built);
  return built;
}

/**
 * The text {@link cachedJobText} built for this version of job `id`, if it did: a store answers
 * a status read with it when it knows the version for less than a decoded row (SQLite looks the
 * version up alone; Postgres reads it off the raw row before decoding).
 * The caller has checked the id belongs to the reading tenant (an id never changes tenant).
 *
 * @example
 * const version = versionOf(tenant, id); const hit = version === undefined ? undefined : cachedJobTextOf(id, version);
 */
export function cachedJobTextOf(id: string, version: number): JobText | undefined {
  const cached = representations.get(id);
  return cached !== undefined && cached.version === version ? cached : undefined;
}

/**
 * The webhook event body of a terminal job (spec §3), or with `type`, the lifecycle event of a
 * running one, stamped with its `updated_at` (spec §3.1.1).
 *
 * @example
 * JSON.stringify(toJobEvent(terminalJob));
 */
export function toJobEvent(job: StoredJob, type: JobEvent["type"] = `job.${job.status as "succeeded" | "failed" | "canceled"}`): JobEvent {
  return { type, timestamp: iso(job.completedAt ?? job.updatedAt), data: toJob(job) } as JobEvent;
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
