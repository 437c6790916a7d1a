import { http, HttpResponse, type HttpHandler } from "msw";
import type { Job } from "async-jobs/types";
import { makeJob, testBaseUrl } from "./job-fixture.ts";

/** One step of a scripted job: at `at` ms after start, the job becomes `patch` (cumulative). */
export interface TimelineStep {
  at: number;
  patch: Partial<Record<keyof Job, unknown>>;
}

/** What the scripted server saw. */
export interface SeenRequest {
  at: number;
  ifNoneMatch: string | null;
  prefer: string | null;
  status: number;
  aborted: () => boolean;
}

/**
 * An msw handler for `GET /v1/jobs/job_1` that plays a scripted job over (fake) time, with
 * ETags, `304`, `Retry-After`, and optionally `Prefer: wait` long polls announced in
 * `Preference-Applied` (spec §2). For SDK unit tests only.
 *
 * @example
 * const { handler, seen } = jobTimeline([{ at: 0, patch: {} }, { at: 5000, patch: { status: "succeeded" } }], { longPoll: true })
 * server.use(handler)
 */
export function jobTimeline(steps: TimelineStep[], options: { longPoll?: boolean; retryAfter?: number; waitCap?: number } = {}) {
  const start = Date.now();
  const seen: SeenRequest[] = [];
  const versionAt = (t: number) => steps.reduce((v, s, i) => (s.at <= t - start ? i : v), 0);
  const jobAt = (v: number): Job =>
    makeJob(
      Object.assign(
        { updated_at: new Date(start + steps[v]!.at).toISOString() },
        ...steps.slice(0, v + 1).map((s) => s.patch),
      ),
    );
  const isTerminal = (job: Job) => ["succeeded", "failed", "canceled"].includes(job.status);
  const handler: HttpHandler = http.get(`${testBaseUrl}/v1/jobs/job_1`, async ({ request }) => {
    const ifNoneMatch = request.headers.get("if-none-match");
    const prefer = request.headers.get("prefer");
    const wait = Number(/wait=(\d+)/.exec(prefer ?? "")?.[1] ?? 0);
    const entry: SeenRequest = { at: Date.now(), ifNoneMatch, prefer, status: 0, aborted: () => request.signal.aborted };
    seen.push(entry);
    const honoured = options.longPoll && wait > 0 ? Math.min(wait, options.waitCap ?? 20) : 0;
    if (honoured) {
      const until = Date.now() + honoured * 1000;
      for (;;) {
        const v = versionAt(Date.now());
        const done = ifNoneMatch ? `"${v}"` !== ifNoneMatch : isTerminal(jobAt(v));
        if (done || Date.now() >= until || request.signal.aborted) break;
        const next = steps.find((s) => s.at > Date.now() - start);
        const sleepMs = Math.min(until - Date.now(), next ? start + next.at - Date.now() : Number.POSITIVE_INFINITY);
        await new Promise((r) => setTimeout(r, Math.max(1, sleepMs)));
      }
    }
    const v = versionAt(Date.now());
    const job = jobAt(v);
    const headers: Record<string, string> = { etag: `"${v}"` };
    if (!isTerminal(job)) headers["retry-after"] = String(options.retryAfter ?? 1);
    if (honoured) headers["preference-applied"] = `wait=${honoured}`;
    if (ifNoneMatch === `"${v}"`) {
      entry.status = 304;
      return new HttpResponse(null, { status: 304, headers: { ...headers, "retry-after": String(options.retryAfter ?? 1) } });
    }
    entry.status = 200;
    return HttpResponse.json(job, { headers });
  });
  return { handler, seen, start };
}
