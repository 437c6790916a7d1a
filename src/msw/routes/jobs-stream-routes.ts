import { eventStreamHeartbeat, eventStreamType, firstStreamStep, formatServerSentEvent } from "../../protocol/event-stream.ts";
import { jobETag } from "../../protocol/job-etag.ts";
import { isJobStatus, isTerminal } from "../../protocol/job-state.ts";
import { jobsStreamEventId, jobsStreamPath, parseJobIds, parseJobsLastEventId } from "../../protocol/jobs-stream.ts";
import { maxJobsPerScope } from "../../protocol/scoped-token.ts";
import type { JobRecord } from "../job-simulator.ts";
import type { MockState } from "../mock-state.ts";
import { invalidRequest } from "../problem-response.ts";
import type { MockRoute } from "./mock-route.ts";

/**
 * `GET /v1/jobs-stream` (spec §8.2.1): many jobs in one stream, each job's events as in its own
 * stream with `id: <job id> <ETag>`, per-job resume from `Last-Event-ID`, the end once all are
 * terminal. Pulled, like the one-job stream: virtual time never runs ahead of the reader.
 *
 * @example
 * const handlers = jobsStreamRoutes(state).map((route) => routeHandler(state, route));
 */
export function jobsStreamRoutes(state: MockState): MockRoute[] {
  const { jobs, scheduler, retryAfter } = state;
  return [
    {
      method: "GET",
      path: jobsStreamPath,
      auth: true,
      handle({ request, url, tenant }) {
        const records = select(state, tenant, url.searchParams);
        const resume = parseJobsLastEventId(request.headers.get("last-event-id") ?? undefined);
        const encoder = new TextEncoder();
        const left = new AbortController();
        request.signal.addEventListener("abort", () => left.abort(), { once: true });
        // Per job still open: the version last sent (or acknowledged by Last-Event-ID).
        const sent = new Map<JobRecord, number>();
        const event = (rec: JobRecord) => formatServerSentEvent({ event: "job", id: jobsStreamEventId(rec.job.id, jobETag(rec.version)), data: JSON.stringify(jobs.view(rec)) });
        let started = false;
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            let text = "";
            if (!started) {
              started = true;
              text = formatServerSentEvent({ retry: Number(retryAfter) * 1000 });
              for (const rec of records) {
                const step = firstStreamStep({ etag: jobETag(rec.version), terminal: isTerminal(rec.job.status), lastEventId: resume.get(rec.job.id) });
                if (step === "send") text += event(rec);
                if (step !== "end" && !(step === "send" && isTerminal(rec.job.status))) sent.set(rec, rec.version);
              }
            } else {
              await jobs.hold(() => [...sent].some(([rec, version]) => rec.version !== version), scheduler.now() + state.maxWaitSeconds * 1000, left.signal);
              if (left.signal.aborted) return controller.close();
              for (const [rec, version] of sent) {
                if (rec.version === version) continue;
                text += event(rec);
                if (isTerminal(rec.job.status)) sent.delete(rec);
                else sent.set(rec, rec.version);
              }
            }
            controller.enqueue(encoder.encode(text || eventStreamHeartbeat));
            if (sent.size === 0) controller.close();
          },
          cancel: () => left.abort(),
        });
        return new Response(body, { status: 200, headers: { "content-type": `${eventStreamType}; charset=utf-8`, "cache-control": "no-cache" } });
      },
    },
  ];
}

/** The jobs a stream names: `ids` (each the tenant's, else 404), or the newest matching `status`/`type`. */
function select(state: MockState, tenant: string, query: URLSearchParams): JobRecord[] {
  const idList = query.get("ids");
  if (idList !== null) {
    const ids = parseJobIds(idList);
    if (ids.length === 0 || ids.length > maxJobsPerScope) throw invalidRequest("ids", `must list 1 to ${maxJobsPerScope} job ids`);
    return ids.map((id) => state.jobs.find(tenant, id));
  }
  const statuses = query.get("status")?.split(",");
  if (statuses && !statuses.every(isJobStatus)) throw invalidRequest("status", "must be a comma-separated list of job statuses");
  const type = query.get("type");
  return state.jobs.records
    .filter((r) => r.tenant === tenant && (!statuses || statuses.includes(r.job.status)) && (type === null || r.job.type === type))
    .reverse()
    .slice(0, maxJobsPerScope);
}
