import type { FastifyReply, FastifyRequest } from "fastify";
import {
  eventStreamHeartbeat,
  firstStreamStep,
  formatServerSentEvent,
  isJobStatus,
  isTerminal,
  jobETag,
  jobsStreamEventId,
  maxJobsPerScope,
  parseJobIds,
  parseJobsLastEventId,
} from "async-jobs/protocol";
import { toJob } from "../store/job-representation.ts";
import type { JobStore, StoredJob } from "../store/job-store.ts";
import { startEventStream } from "./event-stream-response.ts";
import type { HeldWaits } from "./held-waits.ts";
import { defaultJobStreamOptions, type JobStreamOptions } from "./job-stream.ts";
import type { OperationHandlers, OperationRequest } from "./operation-handler.ts";
import { ProblemError } from "./problems.ts";

/** What the many-jobs stream needs: the one-job stream's options and the caps it shares with it. */
export interface JobsStreamDeps extends JobStreamOptions {
  /** The caps on open streams, the same counter as one-job streams (spec §8.2). */
  heldStreams: HeldWaits;
}

/**
 * `GET /v1/jobs-stream` (spec §8.2.1): the jobs named by `ids` (or matching `status`/`type`
 * when it opens) as one event stream, each job's events as in its own stream with
 * `id: <job id> <ETag>`, ending once every job of the set is terminal. Each job resumes from its
 * pair in `Last-Event-ID`, so across reconnects each terminal event is delivered once.
 *
 * @example
 * createApp({ handlers: { ...createJobsStreamHandlers({ store, heldStreams, retryMs: 1000 }) }, … })
 */
export function createJobsStreamHandlers(deps: JobsStreamDeps): OperationHandlers<"streamJobs"> {
  return {
    async streamJobs(request, reply) {
      const jobs = await selectJobs(deps.store, request);
      const release = deps.heldStreams.tryHold(request.tenant);
      // Unlike one job, there is no JSON to fall back to: the client retries later (spec §8.2.1).
      if (!release) throw new ProblemError("overloaded", "Too many open streams; retry shortly.", { headers: { "Retry-After": "1" } });
      return streamMany(deps, request, reply, jobs).finally(release);
    },
  };
}

/** The set a request names: every listed job (all the tenant's, else `404`), or the filter's newest matches. */
async function selectJobs(store: JobStore, request: OperationRequest<"streamJobs">): Promise<StoredJob[]> {
  const { ids: idList, status, type } = request.query;
  const tenant = request.tenant;
  if (idList === undefined) {
    return store.listJobs({ tenant, statuses: status?.split(",").filter(isJobStatus), type, limit: maxJobsPerScope });
  }
  const ids = parseJobIds(idList);
  if (ids.length > maxJobsPerScope) {
    throw new ProblemError("invalid_request", `A stream watches at most ${maxJobsPerScope} jobs.`, {
      errors: [{ path: "ids", message: `must list at most ${maxJobsPerScope} ids` }],
    });
  }
  const found = await Promise.all(ids.map((id) => store.getJob(tenant, id)));
  const missing = ids.find((_, i) => !found[i]);
  if (missing !== undefined) throw new ProblemError("not_found", `No job ${missing}.`);
  return found as StoredJob[];
}

async function streamMany(deps: JobsStreamDeps, request: FastifyRequest, reply: FastifyReply, jobs: StoredJob[]): Promise<void> {
  const { store } = deps;
  const heartbeatMs = deps.heartbeatMs ?? defaultJobStreamOptions.heartbeatMs;
  const raw = startEventStream(reply);

  const tenant = jobs[0]?.tenant ?? "";
  const resume = parseJobsLastEventId(header(request.headers["last-event-id"]));
  // Per job: the version last sent (undefined: not yet read on this stream); finished jobs leave.
  const sent = new Map<string, number | undefined>(jobs.map((job) => [job.id, undefined]));
  // Every job starts dirty: its first read happens after subscribing, so no change falls between.
  const dirty = new Set(sent.keys());
  let wake: () => void = () => {};
  let closed = false;
  const unsubscribes = [...sent.keys()].map((id) =>
    store.changes.onJob(id, () => {
      dirty.add(id);
      wake();
    }),
  );
  const onClose = () => {
    closed = true;
    wake();
  };
  raw.once("close", onClose);
  deps.closing?.addEventListener("abort", onClose, { once: true });
  if (deps.closing?.aborted) closed = true;
  try {
    raw.write(formatServerSentEvent({ retry: deps.retryMs }));
    while (sent.size > 0 && !closed) {
      if (dirty.size === 0) {
        const woke = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), heartbeatMs);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        if (closed) return;
        if (!woke) raw.write(eventStreamHeartbeat);
        continue;
      }
      const ids = [...dirty].filter((id) => sent.has(id));
      dirty.clear();
      const fresh = await Promise.all(ids.map((id) => store.getJob(tenant, id)));
      ids.forEach((id, i) => {
        const job = fresh[i];
        if (!job) return void sent.delete(id); // swept by retention: nothing more will come
        const text = nextEvent(job, sent.get(id), resume.get(id));
        if (text === "end") return void sent.delete(id);
        if (text !== undefined && !closed) raw.write(text);
        sent.set(id, Math.max(job.version, sent.get(id) ?? -1));
        if (isTerminal(job.status)) sent.delete(id);
      });
    }
  } catch (error) {
    // The store failed: end the stream; the client resumes with Last-Event-ID.
    request.log.warn({ err: error }, "jobs stream ended by an error");
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe();
    raw.off("close", onClose);
    deps.closing?.removeEventListener("abort", onClose);
    setImmediate(() => raw.destroyed || raw.end());
  }
}

/**
 * The event to send for a job just read: on its first read the one-job stream's resume rule
 * (spec §8.2) against its `Last-Event-ID` pair; later, only a representation newer than the last
 * sent. `"end"`: the client already has this job's terminal event.
 */
function nextEvent(job: StoredJob, sentVersion: number | undefined, lastEventId: string | undefined): string | "end" | undefined {
  if (sentVersion === undefined) {
    const step = firstStreamStep({ etag: jobETag(job.version), terminal: isTerminal(job.status), lastEventId });
    if (step === "end") return "end";
    if (step === "wait") return undefined;
  } else if (job.version <= sentVersion) {
    return undefined;
  }
  return formatServerSentEvent({ event: "job", id: jobsStreamEventId(job.id, jobETag(job.version)), data: JSON.stringify(toJob(job)) });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
