import { acceptsEventStream, eventStreamHeartbeat, eventStreamType, firstStreamStep, formatServerSentEvent } from "../../protocol/event-stream.ts";
import { ifNoneMatchMatches } from "../../protocol/if-none-match.ts";
import { jobETag } from "../../protocol/job-etag.ts";
import { isJobStatus, isTerminal } from "../../protocol/job-state.ts";
import { formatWaitPreference, preferredWait } from "../../protocol/prefer.ts";
import { requestFingerprint } from "../../protocol/canonical-json.ts";
import { webhookEventTypes } from "../../protocol/webhook-events.ts";
import type { JobList, JobTypeList, SubmitJobRequest } from "../../types.ts";
import type { JobRecord } from "../job-simulator.ts";
import type { IdempotencyRecord, MockState } from "../mock-state.ts";
import { invalidRequest, ProblemError } from "../problem-response.ts";
import { readIdempotencyKey, readJsonBody } from "../read-request.ts";
import { checkBody, integerIn, stringOfLength } from "../check-body.ts";
import type { MockRoute } from "./mock-route.ts";

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => Response.json(body, { status, headers });
// The mock compares fingerprints in memory: the canonical text itself is the digest.
const sameText = (canonical: string) => canonical;

/**
 * The job operations (spec §2, §3): submit with idempotency and `Prefer: wait`, list with
 * cursors, status with ETag, 304 and long poll, cancel, deliveries, job types.
 *
 * @example
 * const handlers = jobRoutes(state).map((route) => routeHandler(state, route));
 */
export function jobRoutes(state: MockState): MockRoute[] {
  const { jobs, scheduler, retryAfter } = state;
  const view = jobs.view;
  const deadline = (seconds: number) => scheduler.now() + seconds * 1000;

  /** A submit's answer, also used verbatim for replays: 200 when terminal within the wait, else 202. */
  async function answerSubmit(rec: JobRecord, wait: number | undefined, request: Request, replayed: boolean) {
    if (wait !== undefined) await jobs.hold(() => isTerminal(rec.job.status), deadline(wait), request.signal);
    // 200 only when a honoured wait saw the end; a replay answers what a first request would get.
    const done = wait !== undefined && isTerminal(rec.job.status);
    return json(done ? 200 : 202, view(rec), {
      location: `/v1/jobs/${rec.job.id}`,
      ...(done ? {} : { "retry-after": retryAfter }),
      ...(wait !== undefined ? { "preference-applied": formatWaitPreference(wait) } : {}),
      ...(replayed ? { "idempotent-replayed": "true" } : {}),
    });
  }

  /**
   * The job stream (spec §2): the job at once, one event per change (the mock's versions never
   * skip back), the end after the terminal one; `Last-Event-ID` resumes. Pulled: the next change
   * is awaited only when the reader asks, so virtual time never runs ahead of the client.
   */
  function streamResponse(rec: JobRecord, request: Request): Response {
    const encoder = new TextEncoder();
    const left = new AbortController();
    request.signal.addEventListener("abort", () => left.abort(), { once: true });
    const jobEvent = () => formatServerSentEvent({ event: "job", id: jobETag(rec.version), data: JSON.stringify(view(rec)) });
    let sent: number | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === undefined) {
          let text = formatServerSentEvent({ retry: Number(retryAfter) * 1000 });
          const step = firstStreamStep({ etag: jobETag(rec.version), terminal: isTerminal(rec.job.status), lastEventId: request.headers.get("last-event-id") ?? undefined });
          if (step === "send") text += jobEvent();
          sent = rec.version;
          controller.enqueue(encoder.encode(text));
          if (step === "end" || (step === "send" && isTerminal(rec.job.status))) controller.close();
          return;
        }
        await jobs.hold(() => rec.version !== sent, deadline(state.maxWaitSeconds), left.signal);
        if (left.signal.aborted) return controller.close();
        if (rec.version === sent) return controller.enqueue(encoder.encode(eventStreamHeartbeat));
        sent = rec.version;
        controller.enqueue(encoder.encode(jobEvent()));
        if (isTerminal(rec.job.status)) controller.close();
      },
      cancel: () => left.abort(),
    });
    const headers = { "content-type": `${eventStreamType}; charset=utf-8`, "cache-control": "no-cache", vary: "Prefer, Accept" };
    return new Response(body, { status: 200, headers });
  }

  return [
    {
      method: "POST",
      path: "/v1/jobs",
      auth: true,
      async handle({ request, tenant, onDone }) {
        const key = readIdempotencyKey(request.headers);
        const wait = preferredWait(request.headers.get("prefer"), state.maxWaitSeconds);
        const body = checkBody(
          await readJsonBody(request, state.bodyLimit),
          {
            type: stringOfLength(1, 200),
            input: () => undefined,
            webhook: (v) => {
              const { url, events } = (v ?? {}) as { url?: unknown; events?: unknown };
              if (!(typeof v === "object" && v !== null && typeof url === "string" && /^https?:\/\//.test(url))) return "must be { url } with an http(s) URL";
              // spec §3.1.1: distinct event types.
              const types: readonly unknown[] = webhookEventTypes;
              if (events !== undefined && !(Array.isArray(events) && events.every((e) => types.includes(e)) && new Set(events).size === events.length)) {
                return `events must be distinct types among ${webhookEventTypes.join(", ")}`;
              }
              return undefined;
            },
            metadata: (v) =>
              typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((s) => typeof s === "string") ? undefined : "must map strings to strings",
            max_attempts: integerIn(1, 100),
          },
          ["type", "input"],
        ) as unknown as SubmitJobRequest;
        const type = Object.hasOwn(state.jobTypes, body.type) ? state.jobTypes[body.type] : undefined;
        if (!type) throw new ProblemError("unknown_job_type", `This server has no job type "${body.type}".`);
        const ctx = state.context(tenant);
        const errors = type.validate?.(body.input, ctx) ?? [];
        if (errors.length > 0) throw new ProblemError("invalid_input", `The input does not match the input_schema of ${body.type}.`, { errors });
        // A request refused by validation does not store its key; only now is the key looked at.
        const slot = key === undefined ? undefined : `${tenant}\n${key}`;
        const fingerprint = requestFingerprint(body, sameText);
        const seen = slot === undefined ? undefined : state.keys.get(slot);
        if (seen) {
          if (seen.fingerprint !== fingerprint) {
            throw new ProblemError("idempotency_key_reused", "This Idempotency-Key was used with a different request body.");
          }
          if (seen.jobId === undefined) {
            throw new ProblemError("idempotency_key_in_use", "A request with this Idempotency-Key is still being processed.", {
              headers: { "retry-after": retryAfter },
            });
          }
          return answerSubmit(jobs.find(tenant, seen.jobId), wait, request, true);
        }
        const record: IdempotencyRecord = { fingerprint };
        if (slot !== undefined) state.keys.set(slot, record);
        try {
          const run = await type.run(body.input, ctx);
          const rec = jobs.create(
            tenant,
            {
              type: body.type,
              input: body.input,
              metadata: body.metadata ?? {},
              webhook: body.webhook ?? null,
              max_attempts: body.max_attempts ?? state.options.maxAttempts ?? 3,
            },
            run,
          );
          // The key stays "in flight" until this request has answered (409 for a concurrent retry).
          onDone.push(() => (record.jobId = rec.job.id));
          return await answerSubmit(rec, wait, request, false);
        } catch (e) {
          if (slot !== undefined) state.keys.delete(slot);
          throw e;
        }
      },
    },
    {
      method: "GET",
      path: "/v1/jobs",
      auth: true,
      handle({ url, tenant }) {
        const q = url.searchParams;
        const statuses = q.get("status")?.split(",");
        if (statuses && !statuses.every(isJobStatus)) throw invalidRequest("status", "must be a comma-separated list of job statuses");
        const type = q.get("type");
        if (type !== null && (type.length < 1 || type.length > 200)) throw invalidRequest("type", "must be 1 to 200 characters");
        const limitText = q.get("limit") ?? "20";
        const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
        if (!(limit >= 1 && limit <= 100)) throw invalidRequest("limit", "must be an integer from 1 to 100");
        const cursor = q.get("cursor");
        let before = Infinity;
        if (cursor !== null) {
          // Cursors carry the sequence number of the last job shown: pages never repeat or skip.
          const m = /^c(\d+)$/.exec(safeAtob(cursor));
          if (!m) throw invalidRequest("cursor", "is not a cursor this server issued");
          before = Number(m[1]);
        }
        const matches = jobs.records
          .filter((r) => r.tenant === tenant && r.seq < before && (!statuses || statuses.includes(r.job.status)) && (type === null || r.job.type === type))
          .reverse();
        const page = matches.slice(0, limit);
        const body: JobList = {
          data: page.map(view),
          next_cursor: matches.length > limit ? btoa(`c${page[page.length - 1]!.seq}`).replace(/=+$/, "") : null,
        };
        return json(200, body);
      },
    },
    {
      method: "GET",
      path: "/v1/jobs/:id",
      auth: true,
      async handle({ request, tenant, params }) {
        const rec = jobs.find(tenant, params.id!);
        if (acceptsEventStream(request.headers.get("accept"))) return streamResponse(rec, request);
        const wait = preferredWait(request.headers.get("prefer"), state.maxWaitSeconds);
        const ifNoneMatch = request.headers.get("if-none-match");
        const matches = () => ifNoneMatchMatches(ifNoneMatch, jobETag(rec.version));
        if (wait !== undefined) {
          // Long poll: held until the ETag differs from If-None-Match, or without one until terminal.
          await jobs.hold(() => (ifNoneMatch !== null ? !matches() : isTerminal(rec.job.status)), deadline(wait), request.signal);
        }
        const headers: Record<string, string> = { etag: jobETag(rec.version), "cache-control": "no-cache", vary: "Prefer, Accept" };
        if (wait !== undefined) headers["preference-applied"] = formatWaitPreference(wait);
        if (matches()) return new Response(null, { status: 304, headers: { ...headers, "retry-after": retryAfter } });
        if (!isTerminal(rec.job.status)) headers["retry-after"] = retryAfter;
        return json(200, view(rec), headers);
      },
    },
    {
      method: "POST",
      path: "/v1/jobs/:id/cancel",
      auth: true,
      handle({ tenant, params }) {
        const rec = jobs.find(tenant, params.id!);
        const status = jobs.cancel(rec);
        return json(status, view(rec), status === 202 ? { "retry-after": retryAfter } : {});
      },
    },
    {
      method: "GET",
      path: "/v1/jobs/:id/deliveries",
      auth: true,
      // The mock records events (mock.events) but does not POST them, so no attempts exist.
      handle: ({ tenant, params }) => (jobs.find(tenant, params.id!), json(200, { data: [] })),
    },
    {
      method: "GET",
      path: "/v1/job-types",
      auth: true,
      handle() {
        const body: JobTypeList = {
          data: Object.entries(state.jobTypes).map(([type, t]) => ({
            type,
            description: t.description ?? type,
            // The generated type says Record<string, never> for a free-form object; any schema object is meant.
            input_schema: (t.inputSchema ?? {}) as Record<string, never>,
            result_schema: (t.resultSchema ?? {}) as Record<string, never>,
          })),
        };
        return json(200, body);
      },
    },
  ];
}

function safeAtob(text: string): string {
  try {
    return atob(text);
  } catch {
    return "";
  }
}
