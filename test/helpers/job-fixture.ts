import type { Job } from "async-jobs/types";

/**
 * A valid `conformance.echo` job for unit tests; override any field.
 *
 * @example
 * http.get(`${base}/v1/jobs/:id`, () => HttpResponse.json(makeJob({ status: "running" })))
 */
export function makeJob(overrides: Partial<Record<keyof Job, unknown>> = {}): Job {
  return {
    id: "job_1",
    type: "conformance.echo",
    status: "queued",
    input: { value: 1 },
    metadata: {},
    progress: null,
    attempt: 0,
    max_attempts: 3,
    result: null,
    error: null,
    cancel_requested: false,
    webhook: null,
    created_at: "2026-11-23T10:00:00Z",
    updated_at: "2026-11-23T10:00:00Z",
    started_at: null,
    completed_at: null,
    expires_at: "2026-11-30T10:00:00Z",
    ...overrides,
  } as Job;
}

/**
 * An RFC 9457 problem response body with its stable code (spec §1).
 *
 * @example
 * HttpResponse.json(problem(503, "overloaded"), { status: 503, headers: { "retry-after": "1" } })
 */
export function problem(status: number, code: string, detail = `${code} (test)`) {
  return { type: `https://async-jobs.dev/problems/${code}`, title: code, status, detail, code };
}

/** Base URL the unit tests' msw handlers answer on. */
export const testBaseUrl = "http://jobs.test";
