/**
 * The rules of a stream over many jobs (spec §8.2.1), shared by the reference server, the msw
 * mock and the SDK.
 */

/** The path of the many-jobs stream. */
export const jobsStreamPath = "/v1/jobs-stream";

/**
 * The ids of an `ids` query parameter (comma-separated), without repeats.
 *
 * @example
 * parseJobIds("job_1,job_2,job_1") // ["job_1", "job_2"]
 */
export function parseJobIds(ids: string | undefined): string[] {
  if (ids === undefined) return [];
  return [...new Set(ids.split(",").map((id) => id.trim()).filter((id) => id !== ""))];
}

/**
 * The `id:` of one job's event in a many-jobs stream: the job id, a space, its ETag.
 *
 * @example
 * jobsStreamEventId("job_1", '"3"') // 'job_1 "3"'
 */
export function jobsStreamEventId(jobId: string, etag: string): string {
  return `${jobId} ${etag}`;
}

/**
 * A many-jobs `Last-Event-ID`: comma-separated `<job id> <ETag>` pairs (a single event's own id
 * is a valid one) → job id → ETag. Unparsable pieces are ignored: that job is sent afresh.
 *
 * @example
 * parseJobsLastEventId('job_1 "3", job_2 "5"') // Map { "job_1" => '"3"', "job_2" => '"5"' }
 */
export function parseJobsLastEventId(header: string | undefined): Map<string, string> {
  const seen = new Map<string, string>();
  if (!header) return seen;
  // An ETag is a quoted string (commas allowed inside), optionally weak.
  for (const match of header.matchAll(/([^\s,"]+) +((?:W\/)?"[^"]*")/g)) seen.set(match[1]!, match[2]!);
  return seen;
}

/**
 * The `Last-Event-ID` a client sends to resume the jobs it still waits for.
 *
 * @example
 * formatJobsLastEventId(new Map([["job_1", '"3"']])) // 'job_1 "3"'
 */
export function formatJobsLastEventId(seen: ReadonlyMap<string, string>): string {
  return [...seen].map(([id, etag]) => jobsStreamEventId(id, etag)).join(", ");
}
